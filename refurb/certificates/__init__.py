"""Certificates and forms: donation receipt (attestation de don / de prise en charge), data-erasure
certificate, refurbishment / sale certificate, sheets of borrower cards; each certificate stored with a
reference and a verification code, checked by anyone on the public page /verify/<reference>."""


def init_app(app) -> None:
    from ..inventory.panels import Panel, register_panel
    from . import api  # noqa: F401  (its /api/v1 routes, on the shared blueprint)
    from .views import bp, panel_context

    app.register_blueprint(bp)
    register_panel(Panel("certificates", "certificates/_device_panel.html", panel_context, order=90))
    _register_documents()


def _register_documents() -> None:
    import importlib.util

    if importlib.util.find_spec("refurb.documents.registry") is None:
        return
    from flask import url_for
    from sqlalchemy import select

    from ..accounts.scope import limit_to_user_sites
    from ..documents.registry import DocumentContext, register_document
    from ..extensions import get_db
    from ..formatting import date_fr
    from .views import DESK, LOANS_DESK

    def donation_links(ctx: DocumentContext):
        from ..refurbishment.models import Donation

        stmt = limit_to_user_sites(select(Donation), Donation.site_id, ctx.user).where(
            Donation.received_on >= ctx.start, Donation.received_on <= ctx.end)
        if ctx.site is not None:
            stmt = stmt.where(Donation.site_id == ctx.site.id)
        items = list(get_db().scalars(stmt.order_by(Donation.received_on.desc(), Donation.id.desc()).limit(12)))
        return [(f"{d.reference} — {d.donor.name}, {date_fr(d.received_on)}",
                 url_for("certificates.donation", donation_id=d.id)) for d in items] + \
               [("Tous les dons", url_for("refurbishment.donations"))]

    register_document("donation_certificates", "Attestations de don et certificats d'effacement",
                      section="Certificats et attestations", roles=DESK, order=30,
                      description="Par don reçu sur la période : attestation de don ou de prise en charge (avec la "
                                  "valeur des appareils) et certificat d'effacement des données.",
                      links=donation_links)
    register_document("issued_certificates", "Certificats émis", section="Certificats et attestations", roles=DESK,
                      order=31, description="Tous les certificats émis, à réimprimer ou à vérifier par leur "
                                            "référence (page publique /verify).",
                      links=lambda ctx: [("Liste", url_for("certificates.index", site=ctx.site_code or "")),
                                         ("Page publique de vérification", url_for("certificates.verify_form"))])

    def card_links(ctx: DocumentContext):
        if ctx.site is None:
            return []
        return [(f"PDF — usagers inscrits du {date_fr(ctx.start)} au {date_fr(ctx.end)}",
                 url_for("certificates.card_sheet", site=ctx.site.code, **ctx.period_args)),
                ("Avec les versos (recto verso)",
                 url_for("certificates.card_sheet", site=ctx.site.code, verso="1", **ctx.period_args))]

    register_document("borrower_cards", "Cartes d'emprunteur (planche A4)", section="Certificats et attestations",
                      roles=LOANS_DESK, order=32,
                      description="10 cartes par page (format carte bancaire), pour les usagers du site inscrits "
                                  "sur la période ; la carte seule s'imprime depuis la fiche de l'usager.",
                      links=card_links)
