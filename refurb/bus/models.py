"""The bus's offline operations as the server received them, applied at most once, and the conflicts
they left for the staff to settle ("À régulariser"), with their history."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..db import Base, UTCDateTime, utcnow
from ..sites.models import Site

KINDS = {"check_out": "Prêt", "return": "Retour", "receive": "Réception d'un don", "seen": "Vu ici (inventaire)"}
STATUSES = {"applied": "Appliquée", "duplicate": "Déjà reçue", "conflict": "À régulariser", "rejected": "Refusée"}
CONFLICT_STATES = {"open": "À régulariser", "resolved": "Régularisé", "cancelled": "Annulé"}


def _in(values) -> str:
    return ",".join(f"'{v}'" for v in values)


class SyncOperation(Base):
    """One operation queued offline by a user on a browser (``client``), as first received: its result is kept
    so that the same ``op_id`` sent again answers the same thing (``duplicate``)."""

    __tablename__ = "sync_operations"
    __table_args__ = (
        UniqueConstraint("client", "op_id"),
        CheckConstraint(f"kind IN ({_in(KINDS)})", name="kind"),
        CheckConstraint(f"status IN ({_in(s for s in STATUSES if s != 'duplicate')})", name="status"),
        Index("ix_sync_operations_user_received", "user_id", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client: Mapped[str] = mapped_column(String(64))
    op_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    kind: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    asset_tag: Mapped[str] = mapped_column(String(40), default="")
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(12))
    message: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[dict] = mapped_column(JSON, default=dict)

    user: Mapped[User] = relationship(lazy="joined")
    site: Mapped[Site | None] = relationship()

    @property
    def kind_label(self) -> str:
        return KINDS.get(self.kind, self.kind)


class SyncConflict(Base):
    """An offline operation the server could not apply as it was: what the tablet saw, what the server had,
    until someone settles it (recorded anyway, attached to another borrower, applied again, or cancelled)."""

    __tablename__ = "sync_conflicts"
    __table_args__ = (
        CheckConstraint(f"state IN ({_in(CONFLICT_STATES)})", name="state"),
        Index("ix_sync_conflicts_site_state", "site_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    operation_id: Mapped[int] = mapped_column(ForeignKey("sync_operations.id"), unique=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    code: Mapped[str] = mapped_column(String(30))
    tablet: Mapped[dict] = mapped_column(JSON, default=dict)  # what the tablet saw when it queued it
    server: Mapped[dict] = mapped_column(JSON, default=dict)  # what the server had when it came
    state: Mapped[str] = mapped_column(String(12), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    operation: Mapped[SyncOperation] = relationship(lazy="joined")
    site: Mapped[Site | None] = relationship()
    resolved_by: Mapped[User | None] = relationship(lazy="joined")
    history: Mapped[list["SyncConflictEvent"]] = relationship(lazy="selectin", order_by="SyncConflictEvent.id")

    @property
    def state_label(self) -> str:
        return CONFLICT_STATES.get(self.state, self.state)


class SyncConflictEvent(Base):
    """What happened to a conflict: raised, an action tried (and refused, with why), settled."""

    __tablename__ = "sync_conflict_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    conflict_id: Mapped[int] = mapped_column(ForeignKey("sync_conflicts.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")

    user: Mapped[User | None] = relationship(lazy="joined")
