"""The bus numérique's tour: its next stops, kept by managers and shown on the public pages."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, UTCDateTime, utcnow
from ..sites.models import Site


class BusStop(Base):
    """One stop of a mobile site (the bus numérique) on its tour: kept by managers, shown publicly."""

    __tablename__ = "bus_stops"
    __table_args__ = (
        CheckConstraint("end_time IS NULL OR end_time > start_time", name="times"),
        Index("ix_bus_stops_day", "day", "start_time"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date)
    start_time: Mapped[str] = mapped_column(String(5))  # HH:MM
    end_time: Mapped[str | None] = mapped_column(String(5))
    commune: Mapped[str] = mapped_column(String(80))
    place: Mapped[str] = mapped_column(String(160))
    postal_code: Mapped[str] = mapped_column(String(5), default="")
    note: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    site: Mapped[Site] = relationship()
