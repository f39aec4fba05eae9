from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime, utcnow

SITE_KINDS = {
    "epn": "Espace public numérique (EPN)",
    "france_services": "France Services",
    "mediatheque": "Médiathèque",
    "centre_social": "Centre social",
    "atelier": "Atelier de reconditionnement",
    "unite_mobile": "Unité mobile (bus numérique)",
}


class Site(Base):
    __tablename__ = "sites"
    __table_args__ = (
        CheckConstraint("kind IN ('epn','france_services','mediatheque','centre_social','atelier','unite_mobile')",
                        name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(200), default="")
    postal_code: Mapped[str] = mapped_column(String(10), default="")
    city: Mapped[str] = mapped_column(String(80), default="")
    phone: Mapped[str] = mapped_column(String(30), default="")
    email: Mapped[str] = mapped_column(String(120), default="")
    opening_hours: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def kind_label(self) -> str:
        return SITE_KINDS.get(self.kind, self.kind)

    @property
    def full_address(self) -> str:
        return ", ".join(p for p in (self.address, f"{self.postal_code} {self.city}".strip()) if p)

    def __repr__(self) -> str:
        return f"<Site {self.code}>"
