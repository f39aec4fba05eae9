"""Tables of the refurbishment channel: donors and donations in, the workshop records
(diagnosis, data erasure, repairs, grading), and the ways out (sale, donation, recycling).

Every record is append-only in practice: a new diagnosis or erasure is a new row; the
latest one counts. The device's state lives on ``devices`` (inventory); its origin here.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..db import Base, UTCDateTime, utcnow
from ..inventory.models import Device
from ..sites.models import Site
from . import catalog
from .hwreports import KIND_LABELS as HARDWARE_REPORT_KINDS


def _in(column: str, values) -> str:
    return f"{column} IN ({','.join(repr(v) for v in values)})"


class Donor(Base):
    __tablename__ = "donors"
    __table_args__ = (
        CheckConstraint(_in("kind", catalog.DONOR_KINDS), name="kind"),
        CheckConstraint("kind <> 'company' OR siret IS NOT NULL", name="company_siret"),
        CheckConstraint("siret IS NULL OR length(siret) = 14", name="siret_length"),
        UniqueConstraint("siret"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(160))
    siret: Mapped[str | None] = mapped_column(String(14))
    contact_name: Mapped[str] = mapped_column(String(120), default="")
    email: Mapped[str] = mapped_column(String(120), default="")
    phone: Mapped[str] = mapped_column(String(30), default="")
    address: Mapped[str] = mapped_column(String(200), default="")
    postal_code: Mapped[str] = mapped_column(String(10), default="")
    city: Mapped[str] = mapped_column(String(80), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    # The site where the donor was registered: it sees the donor before any donation (see donations.py).
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def kind_label(self) -> str:
        return catalog.DONOR_KINDS.get(self.kind, self.kind)

    @property
    def full_address(self) -> str:
        return ", ".join(p for p in (self.address, f"{self.postal_code} {self.city}".strip()) if p)


class Donation(Base):
    __tablename__ = "donations"
    __table_args__ = (Index("ix_donations_site_received", "site_id", "received_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    donor_id: Mapped[int] = mapped_column(ForeignKey("donors.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    received_on: Mapped[date] = mapped_column(Date)
    erasure_certificate_required: Mapped[bool] = mapped_column(Boolean, default=True)
    convention_reference: Mapped[str] = mapped_column(String(80), default="")
    conditions: Mapped[str] = mapped_column(Text, default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    donor: Mapped[Donor] = relationship(lazy="joined")
    site: Mapped[Site] = relationship()
    user: Mapped[User | None] = relationship(lazy="joined")
    origins: Mapped[list["DeviceOrigin"]] = relationship(back_populates="donation", lazy="selectin",
                                                         order_by="DeviceOrigin.device_id")

    @property
    def reference(self) -> str:
        return f"DON-{self.id:05d}"

    @property
    def devices(self) -> list[Device]:
        return [o.device for o in self.origins]


class DeviceOrigin(Base):
    """Where a device came from; ``price_capped``: given by a public body, "prix solidaires" apply."""

    __tablename__ = "device_origins"

    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"), primary_key=True)
    donation_id: Mapped[int] = mapped_column(ForeignKey("donations.id"), index=True)
    price_capped: Mapped[bool] = mapped_column(Boolean, default=False)

    device: Mapped[Device] = relationship(lazy="joined")
    donation: Mapped[Donation] = relationship(back_populates="origins")


class Diagnosis(Base):
    __tablename__ = "diagnoses"
    __table_args__ = (
        CheckConstraint(_in("verdict", catalog.VERDICTS), name="verdict"),
        CheckConstraint("battery_health IS NULL OR (battery_health >= 0 AND battery_health <= 100)",
                        name="battery_health"),
        Index("ix_diagnoses_device_at", "device_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    checks: Mapped[dict] = mapped_column(JSON, default=dict)  # check key -> pass | fail | na
    verdict: Mapped[str] = mapped_column(String(10))
    battery_health: Mapped[int | None] = mapped_column(Integer)
    notes: Mapped[str] = mapped_column(Text, default="")

    user: Mapped[User | None] = relationship(lazy="joined")

    @property
    def failed(self) -> list[str]:
        return [k for k, v in (self.checks or {}).items() if v == "fail"]

    @property
    def verdict_label(self) -> str:
        return catalog.VERDICTS.get(self.verdict, self.verdict)


class Erasure(Base):
    """One erasure session of one or more storage media of a device."""

    __tablename__ = "erasures"
    __table_args__ = (
        CheckConstraint(_in("method", catalog.ERASURE_METHODS), name="method"),
        CheckConstraint(_in("nist_category", catalog.NIST_CATEGORIES), name="nist_category"),
        CheckConstraint(_in("result", catalog.ERASURE_RESULTS), name="result"),
        CheckConstraint("(method = 'destruction' AND nist_category = 'destroy') OR "
                        "(method <> 'destruction' AND nist_category <> 'destroy')", name="destroy_method"),
        CheckConstraint("passes >= 0 AND passes <= 99", name="passes"),
        CheckConstraint("ended_at >= started_at", name="end_after_start"),
        CheckConstraint(_in("destination", catalog.ERASURE_DESTINATIONS), name="destination"),
        # A report is kept in the database (report_file_id) or, joined by an older version, as a file
        # (report_path); either way with its SHA-256.
        CheckConstraint("(report_path IS NULL AND report_file_id IS NULL AND report_sha256 IS NULL) OR "
                        "(report_sha256 IS NOT NULL AND (report_path IS NOT NULL OR report_file_id IS NOT NULL))",
                        name="report_hash"),
        CheckConstraint("report_kind IS NULL OR report_kind IN ('pdf','log')", name="report_kind"),
        Index("ix_erasures_device_ended", "device_id", "ended_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"))
    method: Mapped[str] = mapped_column(String(20))
    nist_category: Mapped[str] = mapped_column(String(10))
    tool: Mapped[str] = mapped_column(String(80))
    tool_version: Mapped[str] = mapped_column(String(40), default="")
    passes: Mapped[int] = mapped_column(Integer, default=1)
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    result: Mapped[str] = mapped_column(String(10))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime)
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    operator_name: Mapped[str] = mapped_column(String(120), default="")
    operator_title: Mapped[str] = mapped_column(String(80), default="")  # the operator's job title
    verification_method: Mapped[str] = mapped_column(String(160), default="")
    destination: Mapped[str] = mapped_column(String(12), default="reuse")
    notes: Mapped[str] = mapped_column(Text, default="")
    report_filename: Mapped[str | None] = mapped_column(String(200))
    report_path: Mapped[str | None] = mapped_column(String(300))
    report_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_files.id", ondelete="RESTRICT"))
    report_sha256: Mapped[str | None] = mapped_column(String(64))
    report_size: Mapped[int | None] = mapped_column(Integer)
    report_kind: Mapped[str | None] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    media: Mapped[list["ErasureMedium"]] = relationship(back_populates="erasure", lazy="selectin",
                                                        order_by="ErasureMedium.id", cascade="all, delete-orphan")

    @property
    def method_label(self) -> str:
        return catalog.ERASURE_METHODS.get(self.method, self.method)

    @property
    def passed(self) -> bool:
        """Erased for the certificate's purpose: the tool said so and the medium was read back."""
        return self.result == "passed" and bool(self.verified)

    @property
    def unverified(self) -> bool:
        return self.result == "passed" and not self.verified


class ErasureMedium(Base):
    __tablename__ = "erasure_media"
    __table_args__ = (
        CheckConstraint(_in("kind", catalog.MEDIA_KINDS), name="kind"),
        CheckConstraint("serial <> ''", name="serial_present"),
        CheckConstraint("size_gb IS NULL OR size_gb > 0", name="size_positive"),
        UniqueConstraint("erasure_id", "serial"),
        Index("ix_erasure_media_device", "device_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    erasure_id: Mapped[int] = mapped_column(ForeignKey("erasures.id", ondelete="CASCADE"))
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"))
    kind: Mapped[str] = mapped_column(String(10), default="other")
    manufacturer: Mapped[str] = mapped_column(String(80), default="")
    model: Mapped[str] = mapped_column(String(120), default="")
    serial: Mapped[str] = mapped_column(String(120))
    size_gb: Mapped[int | None] = mapped_column(Integer)

    erasure: Mapped[Erasure] = relationship(back_populates="media")


class MediaDestruction(Base):
    """The storage media of a device destroyed without an erasure session of their own: by us (the
    device shredded whole, its media unreadable or soldered) or by the recycler that takes it, who
    issues a destruction certificate. Destroyed media end a device's data for good."""

    __tablename__ = "media_destructions"
    __table_args__ = (
        CheckConstraint(_in("destroyed_by", catalog.DESTROYERS), name="destroyed_by"),
        CheckConstraint("destroyed_by <> 'us' OR method <> ''", name="our_method"),
        CheckConstraint("destroyed_by <> 'recycler' OR (recycler_name <> '' AND certificate_number <> '')",
                        name="recycler_certificate"),
        Index("ix_media_destructions_device", "device_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"))
    destroyed_by: Mapped[str] = mapped_column(String(10))
    method: Mapped[str] = mapped_column(String(120), default="")  # how we destroyed them (broyage, perçage…)
    recycler_name: Mapped[str] = mapped_column(String(160), default="")
    certificate_number: Mapped[str] = mapped_column(String(60), default="")
    destroyed_on: Mapped[date] = mapped_column(Date)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("recycling_batches.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    operator_name: Mapped[str] = mapped_column(String(120), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    device: Mapped[Device] = relationship(lazy="joined")

    @property
    def label(self) -> str:
        """What happened, in French, as the donor's certificate states it."""
        if self.destroyed_by == "recycler":
            return (f"Support(s) détruit(s) par le recycleur {self.recycler_name}, "
                    f"certificat de destruction n° {self.certificate_number}")
        return f"Support(s) détruit(s) par nos soins ({self.method})"


class Repair(Base):
    __tablename__ = "repairs"
    __table_args__ = (
        CheckConstraint("minutes IS NULL OR (minutes >= 0 AND minutes <= 10000)", name="minutes"),
        Index("ix_repairs_device_at", "device_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    problem: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(Text)
    checks_fixed: Mapped[list] = mapped_column(JSON, default=list)
    minutes: Mapped[int | None] = mapped_column(Integer)

    user: Mapped[User | None] = relationship(lazy="joined")
    parts: Mapped[list["RepairPart"]] = relationship(back_populates="repair", lazy="selectin",
                                                     order_by="RepairPart.id", cascade="all, delete-orphan")


class RepairPart(Base):
    __tablename__ = "repair_parts"
    __table_args__ = (
        CheckConstraint(_in("source", catalog.PART_SOURCES), name="source"),
        CheckConstraint("(source = 'harvested' AND from_device_id IS NOT NULL) OR "
                        "(source = 'bought' AND from_device_id IS NULL)", name="source_device"),
        CheckConstraint("cost IS NULL OR cost >= 0", name="cost_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    repair_id: Mapped[int] = mapped_column(ForeignKey("repairs.id", ondelete="CASCADE"), index=True)
    description: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(10))
    from_device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"), index=True)
    cost: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))

    repair: Mapped[Repair] = relationship(back_populates="parts")
    from_device: Mapped[Device | None] = relationship(lazy="joined")


class Grading(Base):
    __tablename__ = "gradings"
    __table_args__ = (
        CheckConstraint("grade IN ('A','B','C')", name="grade"),
        CheckConstraint(_in("functional", catalog.FUNCTIONAL_RESULTS), name="functional"),
        CheckConstraint("battery_health IS NULL OR (battery_health >= 0 AND battery_health <= 100)",
                        name="battery_health"),
        Index("ix_gradings_device_at", "device_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    grade: Mapped[str] = mapped_column(String(1))
    functional: Mapped[str] = mapped_column(String(10), default="full")
    battery_health: Mapped[int | None] = mapped_column(Integer)
    notes: Mapped[str] = mapped_column(Text, default="")

    user: Mapped[User | None] = relationship(lazy="joined")


class Sale(Base):
    __tablename__ = "sales"
    __table_args__ = (
        CheckConstraint("price >= 0", name="price_positive"),
        CheckConstraint(_in("payment_method", catalog.PAYMENT_METHODS), name="payment_method"),
        # Public-body equipment: only to eligible buyers, never above the cap.
        CheckConstraint("NOT price_capped OR eligible", name="capped_eligible"),
        CheckConstraint("price_cap IS NULL OR price <= price_cap", name="under_cap"),
        CheckConstraint("warranty_until >= delivered_on", name="warranty_after_delivery"),
        CheckConstraint("warranty_months >= 0 AND warranty_months <= 120", name="warranty_months"),
        Index("ix_sales_site_at", "site_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"), unique=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_on: Mapped[date] = mapped_column(Date)
    price: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    suggested_price: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    price_capped: Mapped[bool] = mapped_column(Boolean, default=False)
    price_cap: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    buyer_name: Mapped[str] = mapped_column(String(160))
    buyer_contact: Mapped[str] = mapped_column(String(200), default="")
    eligible: Mapped[bool] = mapped_column(Boolean, default=False)
    eligibility_reason_code: Mapped[str | None] = mapped_column(String(40))
    eligibility_reason: Mapped[str] = mapped_column(String(200), default="")
    payment_method: Mapped[str] = mapped_column(String(10))
    warranty_months: Mapped[int] = mapped_column(Integer, default=catalog.DEFAULT_WARRANTY_MONTHS)
    warranty_until: Mapped[date] = mapped_column(Date)
    sold_as_refurbished: Mapped[bool] = mapped_column(Boolean, default=False)
    grade: Mapped[str | None] = mapped_column(String(1))
    notes: Mapped[str] = mapped_column(Text, default="")

    device: Mapped[Device] = relationship(lazy="joined")
    site: Mapped[Site] = relationship()
    user: Mapped[User | None] = relationship(lazy="joined")

    @property
    def reference(self) -> str:
        return f"VTE-{self.id:05d}"

    @property
    def payment_label(self) -> str:
        return catalog.PAYMENT_METHODS.get(self.payment_method, self.payment_method)


class Gift(Base):
    """A device given away to a beneficiary or a partner association."""

    __tablename__ = "gifts"
    __table_args__ = (
        CheckConstraint(_in("recipient_kind", catalog.RECIPIENT_KINDS), name="recipient_kind"),
        CheckConstraint("NOT price_capped OR eligible", name="capped_eligible"),
        Index("ix_gifts_site_at", "site_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"), unique=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_on: Mapped[date] = mapped_column(Date)
    recipient_kind: Mapped[str] = mapped_column(String(12))
    recipient_name: Mapped[str] = mapped_column(String(160))
    recipient_contact: Mapped[str] = mapped_column(String(200), default="")
    price_capped: Mapped[bool] = mapped_column(Boolean, default=False)
    eligible: Mapped[bool] = mapped_column(Boolean, default=False)
    eligibility_reason_code: Mapped[str | None] = mapped_column(String(40))
    eligibility_reason: Mapped[str] = mapped_column(String(200), default="")
    sold_as_refurbished: Mapped[bool] = mapped_column(Boolean, default=False)
    notes: Mapped[str] = mapped_column(Text, default="")

    device: Mapped[Device] = relationship(lazy="joined")
    site: Mapped[Site] = relationship()


class RecyclingBatch(Base):
    """One hand-over to a DEEE channel: a line of the waste register."""

    __tablename__ = "recycling_batches"
    __table_args__ = (
        CheckConstraint("weight_kg > 0", name="weight_positive"),
        UniqueConstraint("tracking_number"),
        Index("ix_recycling_batches_on", "handed_over_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    handed_over_on: Mapped[date] = mapped_column(Date)
    waste_code: Mapped[str] = mapped_column(String(12))
    weight_kg: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    producer_siret: Mapped[str] = mapped_column(String(14), default="")
    eco_organisme: Mapped[str] = mapped_column(String(160), default="")
    carrier_name: Mapped[str] = mapped_column(String(160))
    carrier_address: Mapped[str] = mapped_column(String(300), default="")
    carrier_siret: Mapped[str] = mapped_column(String(14), default="")
    carrier_receipt: Mapped[str] = mapped_column(String(60), default="")  # récépissé de déclaration (transport)
    facility_name: Mapped[str] = mapped_column(String(160))
    facility_address: Mapped[str] = mapped_column(String(300), default="")
    facility_siret: Mapped[str] = mapped_column(String(14), default="")
    treatment_code: Mapped[str] = mapped_column(String(5), default="")
    contains_pop: Mapped[bool] = mapped_column(Boolean, default=False)  # persistent organic pollutants
    tracking_number: Mapped[str] = mapped_column(String(60))
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    site: Mapped[Site] = relationship()
    user: Mapped[User | None] = relationship(lazy="joined")
    items: Mapped[list["RecyclingItem"]] = relationship(back_populates="batch", lazy="selectin",
                                                        order_by="RecyclingItem.device_id")

    @property
    def reference(self) -> str:
        return f"DEEE-{self.id:05d}"

    @property
    def weight_tonnes(self) -> Decimal:
        """The register's unit (arrêté of 31 May 2021): tonnes, to the kilogram."""
        return (Decimal(self.weight_kg) / 1000).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)


class RecyclingItem(Base):
    __tablename__ = "recycling_items"

    batch_id: Mapped[int] = mapped_column(ForeignKey("recycling_batches.id", ondelete="CASCADE"), index=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"), primary_key=True)  # recycled once

    batch: Mapped[RecyclingBatch] = relationship(back_populates="items")
    device: Mapped[Device] = relationship(lazy="joined")


class PriceCap(Base):
    """The network's "prix solidaires" caps (overrides of catalog.CAPS)."""

    __tablename__ = "price_caps"
    __table_args__ = (CheckConstraint("amount >= 0", name="amount_positive"),)

    cap_key: Mapped[str] = mapped_column(String(20), primary_key=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(10, 2))


class PriceListEntry(Base):
    """Suggested price per category × grade (overrides of catalog.PRICE_LIST)."""

    __tablename__ = "price_list"
    __table_args__ = (
        CheckConstraint("grade IN ('A','B','C')", name="grade"),
        CheckConstraint("price >= 0", name="price_positive"),
    )

    category: Mapped[str] = mapped_column(String(20), primary_key=True)
    grade: Mapped[str] = mapped_column(String(1), primary_key=True)
    price: Mapped[Decimal] = mapped_column(Numeric(10, 2))


class EligibilityReason(Base):
    """The network's list of reasons a buyer is eligible (replaces catalog.ELIGIBILITY_REASONS once edited)."""

    __tablename__ = "eligibility_reasons"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    label: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class HardwareReport(Base):
    """A hardware tool's report (lshw, smartctl, nwipe, eReuse Workbench) as it came from the machine, kept
    as the evidence of what it set on a device: the file itself in ``stored_files`` (never expires), its
    SHA-256 (one record per file, whoever sends it again), what was read, applied, warned and left for a
    person to choose."""

    __tablename__ = "hardware_reports"
    __table_args__ = (
        CheckConstraint(_in("kind", HARDWARE_REPORT_KINDS), name="kind"),
        CheckConstraint("length(sha256) = 64", name="sha256_length"),
        UniqueConstraint("sha256"),
        Index("ix_hardware_reports_device_created", "device_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"))
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_files.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(10))
    filename: Mapped[str] = mapped_column(String(200), default="")
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    tool_version: Mapped[str] = mapped_column(String(40), default="")
    system_serial: Mapped[str] = mapped_column(String(120), default="")
    summary: Mapped[dict] = mapped_column(JSON, default=dict)  # what the report says (specs, disks, wipes)
    applied: Mapped[dict] = mapped_column(JSON, default=dict)  # what it set on the device
    warnings: Mapped[list] = mapped_column(JSON, default=list)
    choices: Mapped[list] = mapped_column(JSON, default=list)  # differences left for a person to settle
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User | None] = relationship(lazy="joined")

    @property
    def kind_label(self) -> str:
        return HARDWARE_REPORT_KINDS.get(self.kind, self.kind)
