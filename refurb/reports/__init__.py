"""Activity and impact report for funders: collection, refurbishment, reuse, loans, recycling, and the
e-waste and CO2e avoided with a named, selectable set of factors (refurb.reports.figures)."""


def init_app(app) -> None:
    from ..accounts.roles import ADMIN, MANAGER
    from ..web.layout import add_nav
    from . import api  # noqa: F401  (its /api/v1 routes, on the shared blueprint)
    from .views import STAFF, bp

    app.register_blueprint(bp)
    add_nav("reports.activity", "Rapports", (ADMIN, MANAGER))
    _register_documents(STAFF)


def _register_documents(roles) -> None:
    import importlib.util

    if importlib.util.find_spec("refurb.documents.registry") is None:
        return
    from flask import url_for

    from ..accounts.roles import NETWORK_ROLES
    from ..documents.registry import DocumentContext, register_document

    def links(ctx: DocumentContext):
        if ctx.site is None and ctx.user.role not in NETWORK_ROLES:
            return []
        args = {"site": ctx.site_code or "*", **ctx.period_args}
        return [("Page avec graphiques", url_for("reports.activity", **args)),
                ("PDF", url_for("reports.activity_pdf", **args)), ("CSV", url_for("reports.activity_csv", **args))]

    register_document("activity_report", "Rapport d'activité et d'impact", section="Rapports", roles=roles, order=40,
                      description="Collecte, reconditionnement, réemploi, prêts, recyclage, et impact (déchets et "
                                  "CO2e évités) sur la période, avec le jeu de facteurs choisi.",
                      links=links)
