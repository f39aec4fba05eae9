"""The activity and impact report: every figure computed here, from the device history (events) and the
records of the refurbishment channel and the loans, for a period and a site (or the whole network).

Definitions (also printed on the report):
- collected: devices of the donations received in the period (donation date, receiving site), by donor
  kind; devices registered without a donation ("created" event in the period) count as "sans don";
- refurbished: devices that reached "ready" for the first time in the period (site of that event);
- sold / donated: sales and donations out recorded in the period (site of the sale / donation);
- put in the loan pool: devices that entered the loan pool for the first time in the period;
- lent: loans started in the period at the site, the distinct borrowers of those loans, and loan-days:
  for every loan out during the period, the calendar days it was out within the period (day of the loan
  and day of the return included; a loan still out counts up to today);
- parts: devices dismantled for parts in the period; recycled: DEEE batches handed over in the period
  (weighed kg, devices in them);
- impact: devices reused = sold + donated + put in the loan pool, each device once, when it starts its
  second life (a device sold after a time in the loan pool was counted when it entered the pool).
  E-waste avoided = their weight; CO2e avoided = production footprint × displacement rate.
  Categories without a factor in the chosen set are listed and not counted.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from functools import lru_cache

from sqlalchemy import Date, and_, case, extract, func, or_, select
from sqlalchemy.orm import Session

from ..accounts.roles import NETWORK_ROLES, STAFF_ROLES
from ..accounts.scope import require_site
from ..clock import end_of_day_utc, start_of_day_utc, today, utcnow
from ..errors import Forbidden, Invalid
from ..formatting import PARIS, date_fr
from ..inventory.categories import CATEGORIES
from ..inventory.models import Device, DeviceEvent
from ..loans.models import Loan
from ..refurbishment.catalog import DONOR_KINDS
from ..refurbishment.models import (
    DeviceOrigin,
    Donation,
    Donor,
    Gift,
    RecyclingBatch,
    RecyclingItem,
    Sale,
)
from ..settings import get_setting
from ..sites.models import Site
from ..sites.services import get_site

D = Decimal

# --- factor sets ------------------------------------------------------------------------------------

# Average weights (kg) of the Restart Project 2021 factors; the eReuse set gives no weights and reuses them.
RESTART_WEIGHTS = {"laptop": D("1.83"), "desktop": D("8.87"), "tablet": D("0.77"), "smartphone": D("0.15")}


@dataclass(frozen=True)
class FactorSet:
    key: str
    label: str
    source: str
    displacement: Decimal  # share of a new device's production avoided by reusing one
    footprint: dict[str, Decimal]  # kg CO2e per device (production, or manufacture + transport)
    weight: dict[str, Decimal]  # kg per device (e-waste avoided)
    assumptions: tuple[str, ...]

    def co2_per_device(self, category: str) -> Decimal | None:
        f = self.footprint.get(category)
        return None if f is None else f * self.displacement

    @property
    def without_factor(self) -> list[str]:
        return [c for c in CATEGORIES if c not in self.footprint]


FACTOR_SETS: dict[str, FactorSet] = {
    "restart2021": FactorSet(
        key="restart2021", label="Restart Project 2021",
        source="The Restart Project, facteurs 2021 (Open Repair Alliance) : empreinte de production × 50 % de "
               "taux de substitution ; déchets évités = poids de l'appareil.",
        displacement=D("0.5"),
        footprint={"laptop": D("265.3"), "desktop": D("435.9"), "tablet": D("114.5"), "smartphone": D("50.5")},
        weight=RESTART_WEIGHTS,
        assumptions=(
            "Ordinateurs portables et fixes : facteurs « medium » du Restart Project.",
            "CO2e évité = empreinte de production × 50 % (un appareil réemployé évite en moyenne la moitié "
            "d'un achat neuf).",
            "Déchets évités = poids moyen de l'appareil (laptop 1,83 kg, fixe 8,87 kg, tablette 0,77 kg, "
            "smartphone 0,15 kg).",
        )),
    "ereuse2026": FactorSet(
        key="ereuse2026", label="eReuse 2026 (ADEME Base Carbone)",
        source="Méthode eReuse 2026 : ADEME Base Carbone, fabrication + transport (kg CO2e par appareil), "
               "moins les trajets de transport du réemploi.",
        displacement=D("1"),
        footprint={"desktop": D("169.0"), "laptop": D("156.2"), "smartphone": D("32.8"), "tablet": D("63.2")},
        weight=RESTART_WEIGHTS,
        assumptions=(
            "CO2e évité = facteur ADEME (fabrication + transport) d'un appareil neuf, sans taux de substitution "
            "(un réemploi remplace un achat neuf).",
            "Les trajets du réemploi (collecte, livraison) ne sont pas enregistrés dans Refurb : aucun n'est "
            "déduit, le chiffre est donc un majorant.",
            "La méthode ne donne pas de poids : les déchets évités reprennent les poids moyens du Restart "
            "Project 2021 (laptop 1,83 kg, fixe 8,87 kg, tablette 0,77 kg, smartphone 0,15 kg).",
        )),
}
DEFAULT_FACTORS = "restart2021"


# --- period and scope -------------------------------------------------------------------------------

def parse_period(raw_from, raw_to) -> tuple[date, date]:
    """The period from ?from=&to= (AAAA-MM-JJ); default: this month up to today. End before start: 422."""
    errors = {}
    now = today()

    def parse(raw, name, label, default):
        if raw in (None, ""):
            return default
        try:
            value = raw if isinstance(raw, date) else date.fromisoformat(str(raw).strip())
        except ValueError:
            errors[name] = f"{label} : date attendue au format AAAA-MM-JJ (ex. 2026-01-31)."
            return None
        if value.year < 2000:
            errors[name] = f"{label} : date trop ancienne (après le 01/01/2000)."
            return None
        return value

    start = parse(raw_from, "from", "Début de la période", now.replace(day=1))
    end = parse(raw_to, "to", "Fin de la période", now)
    if start and end and end < start:
        errors["to"] = (f"La fin de la période ({date_fr(end)}) est avant son début ({date_fr(start)}) : "
                        "corrigez l'une des deux dates.")
    if start and end and (end - start).days > 366 * 20:
        errors["to"] = "Période trop longue : 20 ans au plus."
    if errors:
        raise Invalid(fields=errors)
    return start, end


@dataclass(frozen=True)
class Preset:
    key: str
    label: str
    start: date
    end: date


def period_presets(day: date | None = None) -> list[Preset]:
    """The periods a report is usually asked for, from ``day`` (today, Europe/Paris): this month and this
    year up to today, last month and last year whole."""
    day = day or today()
    month_start = day.replace(day=1)
    last_month_end = month_start - timedelta(days=1)
    year_start = day.replace(month=1, day=1)
    return [Preset("month", "Ce mois-ci", month_start, day),
            Preset("last_month", "Le mois dernier", last_month_end.replace(day=1), last_month_end),
            Preset("year", "Cette année", year_start, day),
            Preset("last_year", "L'année dernière", year_start.replace(year=day.year - 1),
                   year_start - timedelta(days=1))]


def resolve_scope(db: Session, actor, site_code: str | None) -> Site | None:
    if actor.role not in STAFF_ROLES:
        raise Forbidden("Votre rôle ne permet pas de consulter les rapports d'activité.")
    code = (site_code or "").strip().upper()
    if code and code != "*":
        site = get_site(db, code)
        require_site(actor, site.id, f"le rapport du site « {site.name} »")
        return site
    if actor.role not in NETWORK_ROLES:
        raise Forbidden("Le rapport de tout le réseau est réservé aux gestionnaires : choisissez l'un de vos sites.")
    return None


def factor_set(key: str | None) -> FactorSet:
    key = (key or DEFAULT_FACTORS).strip()
    if key not in FACTOR_SETS:
        raise Invalid(fields={"factors": f"Jeu de facteurs inconnu « {key[:30]} » : "
                                         + ", ".join(f"{k} ({f.label})" for k, f in FACTOR_SETS.items()) + "."})
    return FACTOR_SETS[key]


# --- the report -------------------------------------------------------------------------------------

@dataclass
class ImpactLine:
    category: str
    devices: int
    weight_kg: Decimal | None  # per device
    co2_kg: Decimal | None  # per device, after displacement

    @property
    def waste_kg(self) -> Decimal | None:
        return None if self.weight_kg is None else self.weight_kg * self.devices

    @property
    def co2_total_kg(self) -> Decimal | None:
        return None if self.co2_kg is None else self.co2_kg * self.devices


@dataclass
class ActivityReport:
    network: str
    site: Site | None
    start: date
    end: date
    factors: FactorSet
    generated_at: datetime
    generated_by: str
    collected_by_kind: dict[str, int] = field(default_factory=dict)  # donor kind (or "none") -> devices
    collected_by_category: Counter = field(default_factory=Counter)
    donations: int = 0
    refurbished: Counter = field(default_factory=Counter)
    sold: Counter = field(default_factory=Counter)
    sales_amount: Decimal = D("0")
    donated: Counter = field(default_factory=Counter)
    loan_pool: Counter = field(default_factory=Counter)
    parts: Counter = field(default_factory=Counter)
    loans: int = 0
    borrowers: int = 0
    loan_days: int = 0
    recycled_devices: int = 0
    recycled_batches: int = 0
    recycled_kg: Decimal = D("0")
    # Sold or donated in the period after a time in the loan pool: their second life was counted then.
    reused_before: Counter = field(default_factory=Counter)

    @property
    def scope_label(self) -> str:
        return self.site.name if self.site else "Tout le réseau"

    @property
    def period_label(self) -> str:
        return f"du {date_fr(self.start)} au {date_fr(self.end)}"

    @property
    def collected(self) -> int:
        return sum(self.collected_by_kind.values())

    @property
    def reused(self) -> Counter:
        return (self.sold + self.donated + self.loan_pool) - self.reused_before

    def impact_lines(self) -> list[ImpactLine]:
        reused = self.reused
        return [ImpactLine(cat, reused[cat], self.factors.weight.get(cat), self.factors.co2_per_device(cat))
                for cat in CATEGORIES if reused[cat]]

    @property
    def waste_avoided_kg(self) -> Decimal:
        return sum((line.waste_kg for line in self.impact_lines() if line.waste_kg is not None), D("0"))

    @property
    def co2_avoided_kg(self) -> Decimal:
        return sum((line.co2_total_kg for line in self.impact_lines() if line.co2_total_kg is not None), D("0"))

    @property
    def not_counted(self) -> dict[str, int]:
        return {line.category: line.devices for line in self.impact_lines() if line.co2_kg is None}


def _first_events(db: Session, start: datetime, end: datetime, site: Site | None, to_state: str,
                  from_state: str | None = None) -> Counter:
    """Devices (by category) whose first event into ``to_state`` falls in [start, end) at the site."""
    def matching(event):
        return [event.to_state == to_state] + ([event.from_state == from_state] if from_state is not None else [])

    if site is None:
        # The same count, phrased for each database's planner (tests/test_reports.py runs on both). SQLite groups
        # the index ``ix_device_events_first`` (to_state, device_id, at, from_state, site_id) alone into each
        # device's first such event, and counts the devices as a set (IN) from the index of categories.
        # PostgreSQL cannot estimate how many first events a period holds (a condition on a minimum): it would
        # look each device up one by one and sort them on disk. Said as "a matching event in the period and
        # none before it", it joins by hashing.
        if db.get_bind().dialect.name == "postgresql":
            def events(*when):
                return select(DeviceEvent.id).where(DeviceEvent.device_id == Device.id, *matching(DeviceEvent),
                                                    *when).exists()
            counted = and_(events(DeviceEvent.at >= start, DeviceEvent.at < end), ~events(DeviceEvent.at < start))
        else:
            first_at = func.min(DeviceEvent.at)
            counted = Device.id.in_(select(DeviceEvent.device_id).where(*matching(DeviceEvent))
                                    .group_by(DeviceEvent.device_id).having(first_at >= start, first_at < end))
        return Counter(dict(db.execute(select(Device.category, func.count()).where(counted)
                                       .group_by(Device.category)).all()))
    # A site's report looks up where each device's first such event happened.
    first = (select(DeviceEvent.device_id, func.min(DeviceEvent.at).label("at"))
             .where(*matching(DeviceEvent)).group_by(DeviceEvent.device_id).subquery())
    # two matching events of a device at the same instant would join twice: each device counts once
    stmt = (select(Device.category, func.count(func.distinct(Device.id)))
            .select_from(first).join(Device, Device.id == first.c.device_id)
            .join(DeviceEvent, and_(DeviceEvent.device_id == first.c.device_id, DeviceEvent.at == first.c.at,
                                    *matching(DeviceEvent)))
            .where(first.c.at >= start, first.c.at < end, DeviceEvent.site_id == site.id))
    return Counter(dict(db.execute(stmt.group_by(Device.category)).all()))


# Before 22:00 UTC, a time falls on the same date in Paris as in UTC, in winter (UTC+1) as in summer (UTC+2).
_SAME_DATE_IN_PARIS_BEFORE = 22


@lru_cache(maxsize=2048)
def _paris_date(utc_day: date, hour: int) -> date:
    """The date in Paris of a time in the hour ``hour`` UTC of ``utc_day``: the clocks change at 01:00 UTC, so
    the whole of a late hour has one offset."""
    return datetime.combine(utc_day, time(hour), tzinfo=timezone.utc).astimezone(PARIS).date()


def _loan_days(db: Session, site: Site | None, first_day: date, last_day: date, lo: datetime) -> int:
    """The days lent in [first_day, last_day] (a loan's days up to the date of its return in Paris, or up to
    today): each loan counted from its start or the period's first day, whichever is later.

    The loans are read grouped by their start, their return's UTC date and, for a return in the last hours of a
    UTC day (whose date in Paris depends on the season), its hour (tens of thousands of loans in two years of a
    network; a few thousand groups, no timestamp read)."""
    hour = extract("hour", Loan.returned_at)
    late_hour = case((hour >= _SAME_DATE_IN_PARIS_BEFORE, hour), else_=None)
    returned_on = func.date(Loan.returned_at, type_=Date)
    scope = [Loan.start_on <= last_day, or_(Loan.returned_at.is_(None), Loan.returned_at >= lo)]
    if site is not None:
        scope.append(Loan.site_id == site.id)
    groups = db.execute(select(Loan.start_on, returned_on, late_hour, func.count()).where(*scope)
                        .group_by(Loan.start_on, returned_on, late_hour)).all()
    until = min(last_day, today())
    days = 0
    for start_on, back, late, count in groups:
        if late is not None:
            back = _paris_date(back, int(late))
        span = (min(back or until, until) - max(start_on, first_day)).days + 1
        days += max(0, span) * count
    return days


def build_report(db: Session, actor, *, site_code: str | None, start, end,
                 factors: str | None = None) -> ActivityReport:
    first_day, last_day = parse_period(start, end)
    fs = factor_set(factors)
    site = resolve_scope(db, actor, site_code)
    lo, hi = start_of_day_utc(first_day), end_of_day_utc(last_day)
    report = ActivityReport(network=get_setting(db, "network_name"), site=site, start=first_day, end=last_day,
                            factors=fs, generated_at=utcnow(),
                            generated_by=getattr(actor, "display_name", "") or getattr(actor, "username", ""))

    # Collected: donations received in the period, by donor kind; devices registered without a donation.
    stmt = (select(Donor.kind, Device.category, func.count())
            .select_from(DeviceOrigin).join(Donation, Donation.id == DeviceOrigin.donation_id)
            .join(Donor, Donor.id == Donation.donor_id).join(Device, Device.id == DeviceOrigin.device_id)
            .where(Donation.received_on >= first_day, Donation.received_on <= last_day))
    if site is not None:
        stmt = stmt.where(Donation.site_id == site.id)
    by_kind: Counter = Counter()
    for kind, category, n in db.execute(stmt.group_by(Donor.kind, Device.category)):
        by_kind[kind] += n
        report.collected_by_category[category] += n
    created = select(DeviceEvent.device_id).where(DeviceEvent.action == "created", DeviceEvent.at >= lo,
                                                  DeviceEvent.at < hi)
    if site is not None:
        created = created.where(DeviceEvent.site_id == site.id)
    # the devices as a set (IN), counted from the index of categories: no lookup of each device
    stmt = select(Device.category, func.count()).where(
        Device.id.in_(created), ~select(DeviceOrigin.device_id).where(DeviceOrigin.device_id == Device.id).exists())
    for category, n in db.execute(stmt.group_by(Device.category)):
        by_kind["none"] += n
        report.collected_by_category[category] += n
    report.collected_by_kind = {k: by_kind[k] for k in (*DONOR_KINDS, "none")}
    stmt = select(func.count()).select_from(Donation).where(Donation.received_on >= first_day,
                                                            Donation.received_on <= last_day)
    if site is not None:
        stmt = stmt.where(Donation.site_id == site.id)
    report.donations = db.scalar(stmt) or 0

    # Workshop and ways out, from the history and the sale / donation records.
    report.refurbished = _first_events(db, lo, hi, site, "ready")
    report.loan_pool = _first_events(db, lo, hi, site, "loan_pool", from_state="ready")
    report.parts = _first_events(db, lo, hi, site, "parts")
    stmt = (select(Device.category, func.count(), func.coalesce(func.sum(Sale.price), 0))
            .select_from(Sale).join(Device, Device.id == Sale.device_id).where(Sale.at >= lo, Sale.at < hi))
    if site is not None:
        stmt = stmt.where(Sale.site_id == site.id)
    for category, n, amount in db.execute(stmt.group_by(Device.category)):
        report.sold[category] += n
        report.sales_amount += D(str(amount))
    report.sales_amount = report.sales_amount.quantize(D("0.01"))
    stmt = (select(Device.category, func.count()).select_from(Gift).join(Device, Device.id == Gift.device_id)
            .where(Gift.at >= lo, Gift.at < hi))
    if site is not None:
        stmt = stmt.where(Gift.site_id == site.id)
    report.donated = Counter(dict(db.execute(stmt.group_by(Device.category)).all()))
    for model in (Sale, Gift):
        pooled = select(DeviceEvent.id).where(DeviceEvent.device_id == model.device_id,
                                              DeviceEvent.to_state == "loan_pool", DeviceEvent.at < model.at).exists()
        stmt = (select(Device.category, func.count()).select_from(model).join(Device, Device.id == model.device_id)
                .where(model.at >= lo, model.at < hi, pooled))
        if site is not None:
            stmt = stmt.where(model.site_id == site.id)
        report.reused_before.update(dict(db.execute(stmt.group_by(Device.category)).all()))

    # Loans.
    stmt = select(func.count(), func.count(func.distinct(Loan.borrower_id))).where(
        Loan.start_on >= first_day, Loan.start_on <= last_day)
    if site is not None:
        stmt = stmt.where(Loan.site_id == site.id)
    report.loans, report.borrowers = db.execute(stmt).one()
    report.loan_days = _loan_days(db, site, first_day, last_day, lo)

    # Recycling (DEEE register).
    stmt = select(func.count(), func.coalesce(func.sum(RecyclingBatch.weight_kg), 0)).where(
        RecyclingBatch.handed_over_on >= first_day, RecyclingBatch.handed_over_on <= last_day)
    if site is not None:
        stmt = stmt.where(RecyclingBatch.site_id == site.id)
    batches, kg = db.execute(stmt).one()
    report.recycled_batches, report.recycled_kg = batches, D(str(kg)).quantize(D("0.01"))
    stmt = (select(func.count()).select_from(RecyclingItem)
            .join(RecyclingBatch, RecyclingBatch.id == RecyclingItem.batch_id)
            .where(RecyclingBatch.handed_over_on >= first_day, RecyclingBatch.handed_over_on <= last_day))
    if site is not None:
        stmt = stmt.where(RecyclingBatch.site_id == site.id)
    report.recycled_devices = db.scalar(stmt) or 0
    return report


# --- outputs --------------------------------------------------------------------------------------

KIND_LABELS = {**DONOR_KINDS, "none": "Sans don enregistré"}


def _num(value: Decimal, places: str = "0.01") -> float:
    return float(value.quantize(D(places)))


def _cats(counter: Counter) -> dict[str, int]:
    return {c: counter[c] for c in CATEGORIES if counter[c]}


def to_json(r: ActivityReport) -> dict:
    fs = r.factors
    return {
        "period": {"from": r.start.isoformat(), "to": r.end.isoformat()},
        "site": r.site.code if r.site else None,
        "scope": r.scope_label,
        "factors": {"key": fs.key, "label": fs.label, "source": fs.source, "displacement": float(fs.displacement),
                    "categories": {c: {"co2e_kg_per_device": float(fs.footprint[c]),
                                       "co2e_avoided_kg_per_device": _num(fs.co2_per_device(c)),
                                       "weight_kg": float(fs.weight[c])} for c in fs.footprint},
                    "without_factor": fs.without_factor, "assumptions": list(fs.assumptions)},
        "collected": {"total": r.collected, "donations": r.donations, "by_donor_kind": r.collected_by_kind,
                      "by_category": _cats(r.collected_by_category)},
        "refurbished": {"total": sum(r.refurbished.values()), "by_category": _cats(r.refurbished)},
        "sold": {"total": sum(r.sold.values()), "amount_eur": _num(r.sales_amount), "by_category": _cats(r.sold)},
        "donated": {"total": sum(r.donated.values()), "by_category": _cats(r.donated)},
        "loan_pool": {"total": sum(r.loan_pool.values()), "by_category": _cats(r.loan_pool)},
        "lent": {"loans": r.loans, "borrowers": r.borrowers, "loan_days": r.loan_days},
        "parts": {"total": sum(r.parts.values())},
        "recycled": {"devices": r.recycled_devices, "batches": r.recycled_batches, "kg": _num(r.recycled_kg)},
        "impact": {
            "reused": sum(r.reused.values()),
            "e_waste_avoided_kg": _num(r.waste_avoided_kg), "co2e_avoided_kg": _num(r.co2_avoided_kg),
            "not_counted": r.not_counted,
            "by_category": [{"category": line.category, "devices": line.devices,
                             "weight_kg": None if line.weight_kg is None else float(line.weight_kg),
                             "e_waste_avoided_kg": None if line.waste_kg is None else _num(line.waste_kg),
                             "co2e_avoided_kg_per_device": None if line.co2_kg is None else _num(line.co2_kg),
                             "co2e_avoided_kg": None if line.co2_total_kg is None else _num(line.co2_total_kg)}
                            for line in r.impact_lines()],
        },
    }


def figure_rows(r: ActivityReport) -> list[list]:
    """(Rubrique, Indicateur, Valeur, Unité) — the CSV, and the tables of the HTML page and the PDF."""
    rows: list[list] = [["Période", "Du", r.start, ""], ["Période", "Au", r.end, ""],
                        ["Périmètre", "Site", r.scope_label, ""],
                        ["Collecte", "Dons reçus", r.donations, "dons"]]
    for kind, n in r.collected_by_kind.items():
        rows.append(["Collecte", f"Appareils collectés — {KIND_LABELS[kind]}", n, "appareils"])
    rows.append(["Collecte", "Appareils collectés — total", r.collected, "appareils"])
    rows += [["Reconditionnement", "Appareils reconditionnés (déclarés reconditionnés pour la première fois)",
              sum(r.refurbished.values()), "appareils"],
             ["Réemploi", "Appareils vendus", sum(r.sold.values()), "appareils"],
             ["Réemploi", "Montant des ventes", r.sales_amount, "€ TTC"],
             ["Réemploi", "Appareils donnés", sum(r.donated.values()), "appareils"],
             ["Réemploi", "Appareils mis au parc de prêt", sum(r.loan_pool.values()), "appareils"],
             ["Prêts", "Prêts", r.loans, "prêts"],
             ["Prêts", "Emprunteurs différents", r.borrowers, "personnes"],
             ["Prêts", "Jours-prêt", r.loan_days, "jours"],
             ["Fin de vie", "Appareils démontés pour pièces", sum(r.parts.values()), "appareils"],
             ["Fin de vie", "Lots DEEE remis", r.recycled_batches, "lots"],
             ["Fin de vie", "Appareils recyclés (DEEE)", r.recycled_devices, "appareils"],
             ["Fin de vie", "Poids recyclé (DEEE)", r.recycled_kg, "kg"],
             ["Impact", "Appareils réemployés (vendus, donnés, parc de prêt)", sum(r.reused.values()), "appareils"],
             ["Impact", "Déchets électroniques évités", r.waste_avoided_kg.quantize(D("0.01")), "kg"],
             ["Impact", "CO2e évité", r.co2_avoided_kg.quantize(D("0.01")), "kg CO2e"],
             ["Impact", "Jeu de facteurs", r.factors.label, ""]]
    for cat, n in r.not_counted.items():
        rows.append(["Impact", f"Non comptés (pas de facteur) — {CATEGORIES[cat]}", n, "appareils"])
    return rows


CSV_COLUMNS = [("section", "Rubrique"), ("indicator", "Indicateur"), ("value", "Valeur"), ("unit", "Unité")]
