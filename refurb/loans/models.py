"""Loans: borrowers (usagers), loans, kits, reservations, kiosk sessions and the per-site loan rules.

Invariants that matter live in the database too: one open loan per device (partial unique
index), one kit per device, a reservation names a device or a category, a return has a
condition, a deposit has a method and a state.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..db import Base, UTCDateTime, utcnow
from ..inventory.categories import CATEGORIES
from ..inventory.models import Device
from ..sites.models import Site

BORROWER_KINDS = {
    "resident": "Habitant",
    "partner": "Structure partenaire",
    "staff": "Conseiller numérique ou personnel",
}
RETURN_CONDITIONS = {
    "complete": "Complet",
    "damaged": "Endommagé",
    "incomplete": "Accessoire manquant",
}
# A loan closed without the device coming back (the device goes to "lost").
LOSS_REASONS = {"lost": "Perdu", "stolen": "Volé"}
# Every way a loan ends: a return (above), the device declared lost or stolen, or a return at the kiosk
# whose condition the staff have not checked yet (they then record one of RETURN_CONDITIONS).
TO_CHECK = "to_check"
END_CONDITIONS = {**RETURN_CONDITIONS, "lost": "Perdu ou volé", TO_CHECK: "Rendu à la borne, à vérifier"}
DEPOSIT_METHODS = {"cash": "Espèces", "cheque": "Chèque", "card": "Carte bancaire", "other": "Autre"}
DEPOSIT_STATES = {"held": "Encaissée", "returned": "Rendue", "kept": "Conservée"}
RESERVATION_STATES = {
    "active": "Active",
    "fulfilled": "Honorée",
    "cancelled": "Annulée",
    "no_show": "Non venu (libérée)",
}
LOAN_CHANNELS = {"desk": "Accueil", "kiosk": "Borne", "api": "API"}


def _in(values) -> str:
    return ",".join(f"'{v}'" for v in values)


def borrower_name(first_name: str, last_name: str, organisation: str) -> str:
    """How a borrower is named (``Borrower.display_name``): an organisation with its contact person."""
    full_name = f"{first_name} {last_name}".strip()
    return f"{organisation} ({full_name})" if organisation else full_name


def days_late(returned_at: datetime | None, due_on: date, today: date) -> int:
    """How many days a loan is late (``Loan.days_late``): 0 once returned or until its due date has passed."""
    if returned_at is not None or due_on >= today:
        return 0
    return (today - due_on).days


def condition_label(return_condition: str | None, loss_reason: str | None) -> str:
    """The words for a loan's end (``Loan.condition_label``): its condition at the return, or why it was lost."""
    if return_condition == "lost":
        return LOSS_REASONS.get(loss_reason or "", END_CONDITIONS["lost"])
    return END_CONDITIONS.get(return_condition or "", "")


class Borrower(Base):
    """A person or organisation that borrows. Only what the loans need: no ID-document numbers."""

    __tablename__ = "borrowers"
    __table_args__ = (
        CheckConstraint(f"kind IN ({_in(BORROWER_KINDS)})", name="kind"),
        # One contact at least, until the borrower is anonymised.
        CheckConstraint("anonymised_at IS NOT NULL OR phone IS NOT NULL OR email IS NOT NULL", name="contact"),
        CheckConstraint("NOT blocked OR block_reason <> ''", name="block_reason"),
        CheckConstraint("anonymised_at IS NULL OR card_number IS NULL", name="anonymised_card"),
        Index("ix_borrowers_name_key", "name_key"),
        Index("ix_borrowers_last_activity", "last_activity_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    card_number: Mapped[str | None] = mapped_column(String(16), unique=True)
    kind: Mapped[str] = mapped_column(String(12), default="resident")
    first_name: Mapped[str] = mapped_column(String(80))
    last_name: Mapped[str] = mapped_column(String(80))
    organisation: Mapped[str] = mapped_column(String(120), default="")
    phone: Mapped[str | None] = mapped_column(String(30))
    email: Mapped[str | None] = mapped_column(String(120))
    # "nom prénom" without accents, lower case: duplicate detection and search.
    name_key: Mapped[str] = mapped_column(String(170), default="")
    home_site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    referring_partner: Mapped[str] = mapped_column(String(120), default="")
    pin_hash: Mapped[str | None] = mapped_column(String(255))
    pin_failures: Mapped[int] = mapped_column(Integer, default=0)
    pin_failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    blocked: Mapped[bool] = mapped_column(Boolean, default=False)
    block_reason: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    home_site: Mapped[Site] = relationship()

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def display_name(self) -> str:
        return borrower_name(self.first_name, self.last_name, self.organisation)

    @property
    def kind_label(self) -> str:
        return BORROWER_KINDS.get(self.kind, self.kind)

    @property
    def contact(self) -> str:
        return " · ".join(p for p in (self.phone, self.email) if p)

    @property
    def has_pin(self) -> bool:
        return bool(self.pin_hash)

    def __repr__(self) -> str:
        return f"<Borrower {self.card_number or self.id}>"


class Kit(Base):
    """A named set of devices lent and returned as one ("8 tablettes pour atelier")."""

    __tablename__ = "kits"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    site: Mapped[Site] = relationship()
    items: Mapped[list["KitDevice"]] = relationship(back_populates="kit", lazy="selectin",
                                                    cascade="all, delete-orphan", order_by="KitDevice.device_id")

    @property
    def devices(self) -> list[Device]:
        return [i.device for i in self.items]


class KitDevice(Base):
    __tablename__ = "kit_devices"

    kit_id: Mapped[int] = mapped_column(ForeignKey("kits.id", ondelete="CASCADE"), primary_key=True)
    # A device belongs to one kit at most.
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"), primary_key=True, unique=True)

    kit: Mapped[Kit] = relationship(back_populates="items")
    device: Mapped[Device] = relationship(lazy="joined")


class Loan(Base):
    __tablename__ = "loans"
    __table_args__ = (
        # Never two open loans for one device, whatever two desks do at the same second.
        Index("uq_loans_open_device", "device_id", unique=True,
              sqlite_where=text("returned_at IS NULL"), postgresql_where=text("returned_at IS NULL")),
        Index("ix_loans_borrower_returned", "borrower_id", "returned_at"),
        Index("ix_loans_site_started", "site_id", "started_at"),
        # Open loans by due date (today's returns, overdue lists), without the closed ones.
        Index("ix_loans_open_site_due", "site_id", "due_on",
              sqlite_where=text("returned_at IS NULL"), postgresql_where=text("returned_at IS NULL")),
        Index("ix_loans_device_started", "device_id", "started_at"),
        # Kiosk returns waiting for the staff's check, by the site where they were dropped.
        Index("ix_loans_to_check_site", "return_site_id",
              sqlite_where=text(f"return_condition = '{TO_CHECK}'"),
              postgresql_where=text(f"return_condition = '{TO_CHECK}'")),
        CheckConstraint("renewals >= 0", name="renewals"),
        CheckConstraint("due_on >= start_on", name="due_after_start"),
        CheckConstraint(f"return_condition IS NULL OR return_condition IN ({_in(END_CONDITIONS)})",
                        name="return_condition"),
        # Lost or stolen: the reason is recorded, and only then.
        CheckConstraint(f"loss_reason IS NULL OR loss_reason IN ({_in(LOSS_REASONS)})", name="loss_reason"),
        CheckConstraint("(return_condition = 'lost' AND loss_reason IS NOT NULL) OR "
                        "(COALESCE(return_condition, '') <> 'lost' AND loss_reason IS NULL)", name="loss_complete"),
        CheckConstraint("(returned_at IS NULL AND return_condition IS NULL) OR "
                        "(returned_at IS NOT NULL AND return_condition IS NOT NULL)", name="return_complete"),
        # A checked kiosk return ends with a condition the staff saw, by whom and when.
        CheckConstraint(f"checked_at IS NULL OR (checked_by_id IS NOT NULL AND return_condition IN "
                        f"({_in(RETURN_CONDITIONS)}))", name="checked"),
        CheckConstraint("deposit_amount IS NULL OR (deposit_amount > 0 AND deposit_method IS NOT NULL "
                        "AND deposit_status IS NOT NULL)", name="deposit"),
        CheckConstraint(f"deposit_method IS NULL OR deposit_method IN ({_in(DEPOSIT_METHODS)})",
                        name="deposit_method"),
        CheckConstraint(f"deposit_status IS NULL OR deposit_status IN ({_in(DEPOSIT_STATES)})",
                        name="deposit_status"),
        CheckConstraint(f"channel IN ({_in(LOAN_CHANNELS)})", name="channel"),
        CheckConstraint(f"borrower_kind IN ({_in(BORROWER_KINDS)})", name="borrower_kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"))
    borrower_id: Mapped[int] = mapped_column(ForeignKey("borrowers.id"))
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    kit_id: Mapped[int | None] = mapped_column(ForeignKey("kits.id"), index=True)
    # Kept on the loan so that statistics survive the anonymisation of the borrower.
    category: Mapped[str] = mapped_column(String(20))
    borrower_kind: Mapped[str] = mapped_column(String(12))
    channel: Mapped[str] = mapped_column(String(10), default="desk")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    start_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    renewals: Mapped[int] = mapped_column(Integer, default=0)
    rules_accepted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deposit_amount: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    deposit_method: Mapped[str | None] = mapped_column(String(10))
    deposit_status: Mapped[str | None] = mapped_column(String(10))
    lent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    return_site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    return_condition: Mapped[str | None] = mapped_column(String(12))
    loss_reason: Mapped[str | None] = mapped_column(String(10))
    return_note: Mapped[str] = mapped_column(Text, default="")
    returned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # A kiosk return (condition "to_check") checked at the desk: when and by whom.
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    device: Mapped[Device] = relationship(lazy="joined")
    borrower: Mapped[Borrower] = relationship(lazy="joined")
    site: Mapped[Site] = relationship(foreign_keys=[site_id])
    return_site: Mapped[Site | None] = relationship(foreign_keys=[return_site_id])
    kit: Mapped[Kit | None] = relationship()
    lent_by: Mapped[User | None] = relationship(foreign_keys=[lent_by_id])
    returned_by: Mapped[User | None] = relationship(foreign_keys=[returned_by_id])
    checked_by: Mapped[User | None] = relationship(foreign_keys=[checked_by_id])

    @property
    def is_open(self) -> bool:
        return self.returned_at is None

    def days_late(self, today: date) -> int:
        return days_late(self.returned_at, self.due_on, today)

    def state(self, today: date) -> str:
        if self.returned_at is not None:
            return "closed"
        return "overdue" if self.due_on < today else "open"

    @property
    def is_lost(self) -> bool:
        return self.return_condition == "lost"

    @property
    def to_check(self) -> bool:
        """Returned at the kiosk: the staff have not checked its condition yet."""
        return self.return_condition == TO_CHECK

    @property
    def condition_label(self) -> str:
        return condition_label(self.return_condition, self.loss_reason)

    @property
    def deposit_method_label(self) -> str:
        return DEPOSIT_METHODS.get(self.deposit_method or "", "")

    @property
    def deposit_status_label(self) -> str:
        return DEPOSIT_STATES.get(self.deposit_status or "", "")


class Reservation(Base):
    """A given device, or any device of a category at a site, booked for a date range."""

    __tablename__ = "reservations"
    __table_args__ = (
        CheckConstraint("device_id IS NOT NULL OR category IS NOT NULL", name="device_or_category"),
        CheckConstraint("end_on >= start_on", name="dates"),
        CheckConstraint(f"status IN ({_in(RESERVATION_STATES)})", name="status"),
        CheckConstraint(f"category IS NULL OR category IN ({_in(CATEGORIES)})", name="category"),
        Index("ix_reservations_site_status", "site_id", "status", "start_on"),
        Index("ix_reservations_device_status", "device_id", "status"),
        Index("ix_reservations_borrower", "borrower_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    borrower_id: Mapped[int] = mapped_column(ForeignKey("borrowers.id"))
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"))
    category: Mapped[str | None] = mapped_column(String(20))
    start_on: Mapped[date] = mapped_column(Date)
    end_on: Mapped[date] = mapped_column(Date)
    # Not collected by this day (inclusive): the booking is released (no-show).
    release_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="active")
    note: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    loan_id: Mapped[int | None] = mapped_column(ForeignKey("loans.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    borrower: Mapped[Borrower] = relationship(lazy="joined")
    site: Mapped[Site] = relationship()
    device: Mapped[Device | None] = relationship(lazy="joined")
    loan: Mapped[Loan | None] = relationship()

    def effective_status(self, today: date) -> str:
        if self.status == "active" and self.release_on < today:
            return "no_show"
        return self.status

    def status_label(self, today: date) -> str:
        return RESERVATION_STATES[self.effective_status(today)]

    @property
    def what(self) -> str:
        if self.device is not None:
            return f"{self.device.asset_tag} ({self.device.title})"
        return f"{CATEGORIES.get(self.category, self.category)} (tout appareil)"


class KioskSession(Base):
    """A kiosk (borne) opened by a staff member on one computer, for one site."""

    __tablename__ = "kiosk_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    kiosk_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ip: Mapped[str] = mapped_column(String(45), default="")
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Wrong PINs typed on this kiosk, whoever the card: slows down guessing with many cards.
    pin_failures: Mapped[int] = mapped_column(Integer, default=0)
    pin_failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    site: Mapped[Site] = relationship()
    kiosk_user: Mapped[User] = relationship(foreign_keys=[kiosk_user_id], lazy="joined")
    opened_by: Mapped[User] = relationship(foreign_keys=[opened_by_id], lazy="joined")


# --- loan rules, per site ---------------------------------------------------------------------

class LoanSiteRules(Base):
    __tablename__ = "loan_site_rules"
    __table_args__ = (
        CheckConstraint("no_show_days >= 0", name="no_show_days"),
        CheckConstraint("kiosk_idle_seconds >= 15", name="kiosk_idle"),
    )

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True)
    # This site takes back devices lent by other sites (the device then belongs here).
    accept_other_site_returns: Mapped[bool] = mapped_column(Boolean, default=True)
    # A reservation not collected within N days of its start is released.
    no_show_days: Mapped[int] = mapped_column(Integer, default=2)
    # Optional: kiosks may be opened only from these networks (comma separated CIDR).
    kiosk_ip_ranges: Mapped[str] = mapped_column(Text, default="")
    kiosk_idle_seconds: Mapped[int] = mapped_column(Integer, default=60)
    # Where the kiosk tells a resident to put a returned device ("" : at the reception).
    kiosk_return_place: Mapped[str] = mapped_column(String(200), default="")


class LoanKindRules(Base):
    __tablename__ = "loan_kind_rules"
    __table_args__ = (
        CheckConstraint(f"borrower_kind IN ({_in(BORROWER_KINDS)})", name="borrower_kind"),
        CheckConstraint("max_devices >= 1", name="max_devices"),
        CheckConstraint("max_renewals >= 0", name="max_renewals"),
        CheckConstraint("max_days >= 1", name="max_days"),
    )

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True)
    borrower_kind: Mapped[str] = mapped_column(String(12), primary_key=True)
    max_devices: Mapped[int] = mapped_column(Integer)
    max_renewals: Mapped[int] = mapped_column(Integer)
    max_days: Mapped[int] = mapped_column(Integer)


class LoanCategoryRules(Base):
    __tablename__ = "loan_category_rules"
    __table_args__ = (
        CheckConstraint(f"borrower_kind IN ({_in(BORROWER_KINDS)})", name="borrower_kind"),
        CheckConstraint(f"category IN ({_in(CATEGORIES)})", name="category"),
        CheckConstraint("loan_days >= 1", name="loan_days"),
        CheckConstraint("deposit >= 0", name="deposit"),
    )

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True)
    borrower_kind: Mapped[str] = mapped_column(String(12), primary_key=True)
    category: Mapped[str] = mapped_column(String(20), primary_key=True)
    loan_days: Mapped[int] = mapped_column(Integer)
    deposit: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=Decimal("0"))


