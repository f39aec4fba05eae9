"""What the Documents page lists: every area registers the documents it can print.

    from refurb.documents.registry import register_document

    register_document(
        "activity_report", "Rapport d'activité et d'impact",
        section="Rapports", roles={"admin", "gestionnaire"},
        description="Collecte, reconditionnement, prêts, recyclage et impact sur la période.",
        links=lambda ctx: [("PDF", url_for("reports.activity_pdf", site=ctx.site_code, **ctx.period_args)),
                           ("CSV", ...)],
    )

``links(ctx)`` gets a :class:`DocumentContext` (the user, the site chosen on the page — None for the whole
network —, the period) and returns [(label, url)] — or [] when the document does not apply (e.g. a
site-only document while the whole network is chosen).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Callable

SECTIONS = ("Inventaires", "Inventaire physique", "Certificats et attestations", "Rapports", "Exports et imports",
            "Autres documents")


@dataclass(frozen=True)
class DocumentContext:
    user: object
    site: object | None  # refurb.sites.models.Site, or None for the whole network
    start: date
    end: date

    @property
    def site_code(self) -> str | None:
        return self.site.code if self.site is not None else None

    @property
    def period_args(self) -> dict:
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}


@dataclass(frozen=True)
class DocumentEntry:
    key: str
    title: str
    section: str
    roles: frozenset[str]
    links: Callable[[DocumentContext], list[tuple[str, str]]]
    description: str = ""
    order: int = 100


DOCUMENTS: dict[str, DocumentEntry] = {}


def register_document(key: str, title: str, *, links: Callable[[DocumentContext], list[tuple[str, str]]],
                      roles, section: str = "Autres documents", description: str = "",
                      order: int = 100) -> DocumentEntry:
    entry = DocumentEntry(key, title, section, frozenset(roles), links, description, order)
    DOCUMENTS[key] = entry
    return entry


def documents_for(ctx: DocumentContext) -> list[tuple[str, list[tuple[DocumentEntry, list[tuple[str, str]]]]]]:
    """[(section, [(entry, links)])] the user may print in this context, in the sections' order."""
    sections: dict[str, list] = {}
    for entry in sorted(DOCUMENTS.values(), key=lambda e: (e.order, e.title)):
        if ctx.user.role not in entry.roles:
            continue
        links = entry.links(ctx)
        if links:
            sections.setdefault(entry.section, []).append((entry, links))
    order = {name: i for i, name in enumerate(SECTIONS)}
    return sorted(sections.items(), key=lambda item: order.get(item[0], len(order)))
