"""The donations and DEEE-register exports (listed with the other CSV/XLSX exports by refurb.documents),
scoped to the user's sites. ``register_row`` is the one description of a register line."""

from __future__ import annotations

from datetime import date
from typing import Iterable

from sqlalchemy import select

from ..accounts.scope import limit_to_user_sites
from ..sites.models import Site
from .models import Donation, RecyclingBatch

MAX_EXPORT_ROWS = 200_000

DONATION_COLUMNS = [
    ("reference", "Référence du don"), ("received_on", "Reçu le"), ("donor", "Donateur"),
    ("donor_kind", "Type de donateur"), ("site", "Site"), ("count", "Nombre d'appareils"),
    ("tags", "Étiquettes"),
]

REGISTER_COLUMNS = [
    ("handed_over_on", "Date"), ("reference", "Référence"), ("waste_code", "Code déchet"),
    ("weight_kg", "Quantité (kg)"), ("count", "Nombre d'appareils"), ("producer_siret", "SIRET producteur"),
    ("carrier", "Transporteur"), ("carrier_siret", "SIRET transporteur"), ("facility", "Installation"),
    ("facility_siret", "SIRET installation"), ("treatment_code", "Code de traitement"),
    ("tracking_number", "N° de bordereau"), ("site", "Site"), ("tags", "Étiquettes"),
]


def _site_filter(stmt, site_column, args):
    code = (args.get("site") or "").strip().upper()
    if code and code != "*":
        stmt = stmt.join(Site, Site.id == site_column).where(Site.code == code)
    return stmt


def donation_rows(db, user, args) -> Iterable[list]:
    stmt = _site_filter(limit_to_user_sites(select(Donation), Donation.site_id, user), Donation.site_id, args)
    stmt = stmt.order_by(Donation.received_on.desc(), Donation.id.desc()).limit(MAX_EXPORT_ROWS)
    for donation in db.scalars(stmt).unique():
        tags = [d.asset_tag for d in donation.devices]
        yield [donation.reference, donation.received_on, donation.donor.name, donation.donor.kind_label,
               donation.site.code, len(tags), " ".join(tags)]


def register_row(batch: RecyclingBatch) -> list:
    """One line of the DEEE register (typed values: the CSV/XLSX writer formats and neutralises them)."""
    tags = [item.device.asset_tag for item in batch.items]
    return [batch.handed_over_on, batch.reference, batch.waste_code, batch.weight_kg, len(tags),
            batch.producer_siret, batch.carrier_name, batch.carrier_siret, batch.facility_name,
            batch.facility_siret, batch.treatment_code, batch.tracking_number, batch.site.code, " ".join(tags)]


def recycling_rows(db, user, args) -> Iterable[list]:
    """The register in date order (?annee=YYYY for one year, ?site=CODE for one site)."""
    stmt = _site_filter(limit_to_user_sites(select(RecyclingBatch), RecyclingBatch.site_id, user),
                        RecyclingBatch.site_id, args)
    year = (args.get("annee") or "").strip()
    if year.isdigit() and 2000 <= int(year) <= 2100:
        stmt = stmt.where(RecyclingBatch.handed_over_on >= date(int(year), 1, 1),
                          RecyclingBatch.handed_over_on <= date(int(year), 12, 31))
    stmt = stmt.order_by(RecyclingBatch.handed_over_on, RecyclingBatch.id).limit(MAX_EXPORT_ROWS)
    for batch in db.scalars(stmt).unique():
        yield register_row(batch)
