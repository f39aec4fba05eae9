"""Issued certificates (erasure certificates, donation receipts, device certificates) and the
valuation of donated devices at cost.

A certificate keeps the exact content it certified (canonical JSON), its SHA-256 and a short
verification code (HMAC-SHA256 with a signing key kept in the database, named by the certificate), so that the public page
/verify/<reference> can confirm a printed copy even after the records changed.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Numeric,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..db import Base, UTCDateTime, utcnow
from ..sites.models import Site

KINDS = {
    "erasure": "Certificat d'effacement des données",
    "receipt": "Attestation de don / de prise en charge",
    "device": "Certificat d'appareil (reconditionnement, vente)",
}


class Certificate(Base):
    __tablename__ = "certificates"
    __table_args__ = (
        CheckConstraint("kind IN ('erasure','receipt','device')", name="kind"),
        CheckConstraint("length(content_sha256) = 64", name="sha256_length"),
        UniqueConstraint("reference"),
        # The same content of the same subject is certified once: printing again gives the same reference.
        UniqueConstraint("kind", "subject", "content_sha256", name="uq_certificates_same_content"),
        Index("ix_certificates_subject_issued", "kind", "subject", "issued_at"),
        Index("ix_certificates_site_issued", "site_id", "issued_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(24))
    kind: Mapped[str] = mapped_column(String(12))
    subject: Mapped[str] = mapped_column(String(40))  # "donation:12", "device:RF-000123"
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    content: Mapped[dict] = mapped_column(JSON)
    content_sha256: Mapped[str] = mapped_column(String(64))
    code: Mapped[str] = mapped_column(String(24))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    issued_by_name: Mapped[str] = mapped_column(String(120), default="")
    # The signing key of its code (None: signed before keys were kept in the database, with the secret key).
    key_id: Mapped[int | None] = mapped_column(ForeignKey("signing_keys.id"))

    site: Mapped[Site | None] = relationship()
    issued_by: Mapped[User | None] = relationship(lazy="joined")

    @property
    def kind_label(self) -> str:
        return KINDS.get(self.kind, self.kind)


class SigningKey(Base):
    """A key that signs certificates' verification codes, kept in the database so that every server process
    and every restored backup verifies the same codes. One key is active (``retired_at`` empty); a retired
    key signs nothing new but still verifies the certificates that name it."""

    __tablename__ = "signing_keys"
    __table_args__ = (
        CheckConstraint("length(secret) > 0", name="secret_length"),
        Index("uq_signing_keys_one_active", "purpose", unique=True,
              sqlite_where=text("retired_at IS NULL"), postgresql_where=text("retired_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(String(30), default="certificates")
    secret: Mapped[str] = mapped_column(String(512))  # the HMAC key is its UTF-8 bytes
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DeviceValuation(Base):
    """The value of a donated device at cost (what a company reports for its gift in kind), when known."""

    __tablename__ = "device_valuations"
    __table_args__ = (CheckConstraint("amount >= 0", name="amount_positive"),)

    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"), primary_key=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    basis: Mapped[str] = mapped_column(String(200), default="")
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
