"""What the Documents page lists, one entry after the other: the inventories and stock-takes of this area,
the certificates and borrower cards (refurb.certificates), the activity report (refurb.reports), and the
exports and imports (rows written by the inventory, loans and refurbishment areas).

Each entry's ``links(ctx)`` gets a :class:`DocumentContext` (the user, the site chosen on the page — None
for the whole network —, the period) and returns [(label, url)], or [] when the document does not apply
(e.g. a site-only document while the whole network is chosen).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Callable

from flask import url_for
from sqlalchemy.orm import Session

from ..accounts.roles import LOAN_DESK_ROLES, NETWORK_ROLES, STAFF_ROLES, WORKSHOP_ROLES
from ..certificates import services as certificates
from ..formatting import date_fr
from . import services

SECTIONS = ("Inventaires", "Inventaire physique", "Certificats et attestations", "Rapports", "Exports et imports")


@dataclass(frozen=True)
class DocumentContext:
    db: Session
    user: object
    site: object | None  # refurb.sites.models.Site, or None for the whole network
    start: date
    end: date

    @property
    def site_code(self) -> str | None:
        return self.site.code if self.site is not None else None

    @property
    def site_arg(self) -> str:
        """The site argument of a link: the site's code, or "*" (the whole network)."""
        return self.site.code if self.site is not None else "*"

    @property
    def network_refused(self) -> bool:
        """The whole network is chosen by a user who sees only their sites."""
        return self.site is None and self.user.role not in NETWORK_ROLES

    @property
    def period_args(self) -> dict:
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}

    @property
    def site_filter(self) -> dict:
        return {"site": self.site.code} if self.site is not None else {}


Links = Callable[[DocumentContext], list[tuple[str, str]]]


@dataclass(frozen=True)
class DocumentEntry:
    title: str
    section: str
    roles: frozenset[str]
    links: Links
    description: str = ""


# --- inventories and stock-takes -----------------------------------------------------------------

def _inventory(ctx: DocumentContext):
    if ctx.network_refused:
        return []
    site = ctx.site_arg
    return [(fmt.upper(), url_for("documents.inventory_document", fmt=fmt, site=site))
            for fmt in ("pdf", "csv", "xlsx")] + [("À une date passée…", url_for("documents.inventory_form", site=site))]


def _inventory_at_end(ctx: DocumentContext):
    if ctx.network_refused:
        return []
    site, at = ctx.site_arg, ctx.end.isoformat()
    return [(f"PDF au {date_fr(ctx.end)}", url_for("documents.inventory_document", fmt="pdf", site=site, at=at)),
            ("XLSX", url_for("documents.inventory_document", fmt="xlsx", site=site, at=at))]


def _stocktakes(ctx: DocumentContext):
    items = services.list_stocktakes(ctx.db, ctx.user, site=ctx.site, limit=10)
    return [(f"N° {st.id} — {st.site.name}, {date_fr(st.started_at)} ({'en cours' if st.is_open else 'clos'})",
             url_for("documents.stocktake_report", stocktake_id=st.id))
            for st in items if ctx.start <= st.started_at.date() <= ctx.end or st.is_open] + \
        [("Commencer ou reprendre un inventaire physique", url_for("documents.stocktakes_list"))]


# --- certificates, cards and reports -------------------------------------------------------------

def _donation_certificates(ctx: DocumentContext):
    donations = certificates.donations_received(ctx.db, ctx.user, site=ctx.site, start=ctx.start, end=ctx.end)
    return [(f"{d.reference} — {d.donor.name}, {date_fr(d.received_on)}",
             url_for("certificates.donation", donation_id=d.id)) for d in donations] + \
        [("Tous les dons", url_for("refurbishment.donations"))]


def _issued_certificates(ctx: DocumentContext):
    return [("Liste", url_for("certificates.index", site=ctx.site_code or "")),
            ("Page publique de vérification", url_for("certificates.verify_form"))]


def _borrower_cards(ctx: DocumentContext):
    if ctx.site is None:
        return []
    return [(f"PDF — usagers inscrits du {date_fr(ctx.start)} au {date_fr(ctx.end)}",
             url_for("certificates.card_sheet", site=ctx.site.code, **ctx.period_args)),
            ("Avec les versos (recto verso)",
             url_for("certificates.card_sheet", site=ctx.site.code, verso="1", **ctx.period_args))]


def _activity_report(ctx: DocumentContext):
    if ctx.network_refused:
        return []
    args = {"site": ctx.site_code or "*", **ctx.period_args}
    return [("Page avec graphiques", url_for("reports.activity", **args)),
            ("PDF", url_for("reports.activity_pdf", **args)), ("CSV", url_for("reports.activity_csv", **args))]


# --- exports and imports -------------------------------------------------------------------------

def _export(key: str) -> Links:
    return lambda ctx: [(fmt.upper(), url_for("documents.export", key=key, fmt=fmt, **ctx.site_filter))
                        for fmt in ("csv", "xlsx")]


def _import(key: str) -> Links:
    return lambda ctx: [("Importer un fichier…", url_for("documents.import_upload", key=key,
                                                         site=ctx.site_code or ""))]


CATALOGUE = (
    DocumentEntry("Inventaire du jour", "Inventaires", STAFF_ROLES, _inventory,
                  "Appareils du site (ou du réseau) par catégorie et état, avec totaux et signatures."),
    DocumentEntry("Inventaire à la fin de la période", "Inventaires", STAFF_ROLES, _inventory_at_end,
                  "Reconstitué depuis l'historique des appareils (ex. « au 31 décembre »)."),
    DocumentEntry("Rapports d'inventaire physique", "Inventaire physique", WORKSHOP_ROLES, _stocktakes,
                  "Trouvés, manquants, inattendus et codes inconnus, avec la suite donnée."),
    DocumentEntry("Attestations de don et certificats d'effacement", "Certificats et attestations", STAFF_ROLES,
                  _donation_certificates,
                  "Par don reçu sur la période : attestation de don ou de prise en charge (avec la valeur des "
                  "appareils) et certificat d'effacement des données."),
    DocumentEntry("Certificats émis", "Certificats et attestations", STAFF_ROLES, _issued_certificates,
                  "Tous les certificats émis, à réimprimer ou à vérifier par leur référence (page publique /verify)."),
    DocumentEntry("Cartes d'emprunteur (planche A4)", "Certificats et attestations", LOAN_DESK_ROLES, _borrower_cards,
                  "10 cartes par page (format carte bancaire), pour les usagers du site inscrits sur la période ; "
                  "la carte seule s'imprime depuis la fiche de l'usager."),
    DocumentEntry("Rapport d'activité et d'impact", "Rapports", STAFF_ROLES, _activity_report,
                  "Collecte, reconditionnement, réemploi, prêts, recyclage, et impact (déchets et CO2e évités) sur "
                  "la période, avec le jeu de facteurs choisi."),
    DocumentEntry("Liste des appareils", "Exports et imports", STAFF_ROLES, _export("devices"),
                  "Tous les appareils (tous états) du site, pour un tableur."),
    DocumentEntry("Importer des appareils", "Exports et imports", WORKSHOP_ROLES, _import("devices"),
                  "Depuis un fichier CSV ou XLSX, avec aperçu des colonnes et vérification de chaque ligne."),
    DocumentEntry("Liste des prêts", "Exports et imports", LOAN_DESK_ROLES, _export("loans"),
                  "Tous les prêts du site (usager par son numéro de carte), pour un tableur."),
    DocumentEntry("Liste des dons", "Exports et imports", STAFF_ROLES, _export("donations"),
                  "Dons reçus : donateur, date, nombre d'appareils et étiquettes."),
    DocumentEntry("Registre DEEE", "Exports et imports", WORKSHOP_ROLES, _export("recycling"),
                  "Lots remis à la filière : code déchet, poids, transporteur, installation, SIRET, n° de bordereau."),
    DocumentEntry("Importer des usagers", "Exports et imports", LOAN_DESK_ROLES, _import("borrowers"),
                  "Depuis un fichier CSV ou XLSX : nom, prénom, contact, site, type ; chaque usager reçoit un numéro "
                  "de carte."),
)


def documents_for(ctx: DocumentContext) -> list[tuple[str, list[tuple[DocumentEntry, list[tuple[str, str]]]]]]:
    """[(section, [(entry, links)])] the user may print in this context, in the sections' order."""
    sections: dict[str, list] = {name: [] for name in SECTIONS}
    for entry in CATALOGUE:
        if ctx.user.role in entry.roles:
            links = entry.links(ctx)
            if links:
                sections[entry.section].append((entry, links))
    return [(name, entries) for name, entries in sections.items() if entries]
