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

# The register of outgoing waste, arrêté of 31 May 2021 (art. 2, II): the columns in its order, then ours.
REGISTER_COLUMNS = [
    ("handed_over_on", "Date d'expédition"), ("waste_name", "Dénomination du déchet"),
    ("waste_code", "Code du déchet"), ("pop", "Contient des POP"), ("weight_t", "Quantité (t)"),
    ("weight_kg", "Quantité (kg)"), ("producer_siret", "SIRET du producteur"), ("eco_organisme", "Éco-organisme"),
    ("carrier", "Transporteur"), ("carrier_address", "Adresse du transporteur"),
    ("carrier_siret", "SIRET du transporteur"), ("carrier_receipt", "N° de récépissé du transporteur"),
    ("facility", "Installation de destination"), ("facility_address", "Adresse de l'installation"),
    ("facility_siret", "SIRET de l'installation"), ("treatment_code", "Code du traitement"),
    ("tracking_number", "N° du bordereau de suivi"), ("reference", "Référence du lot"),
    ("count", "Nombre d'appareils"), ("site", "Site"), ("tags", "Étiquettes"),
]
WASTE_NAME = "Déchets d'équipements électriques et électroniques (matériel informatique)"
# What the register requires and a batch recorded before it was required may lack: said plainly, not an
# empty cell.
MISSING = "non renseigné"


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
    return [batch.handed_over_on, WASTE_NAME, batch.waste_code, "oui" if batch.contains_pop else "non",
            batch.weight_tonnes, batch.weight_kg, batch.producer_siret, batch.eco_organisme,
            batch.carrier_name or MISSING, batch.carrier_address or MISSING, batch.carrier_siret,
            batch.carrier_receipt or MISSING, batch.facility_name or MISSING, batch.facility_address or MISSING,
            batch.facility_siret, batch.treatment_code or MISSING, batch.tracking_number,
            batch.reference, len(tags), batch.site.code, " ".join(tags)]


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
