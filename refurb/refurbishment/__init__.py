"""Refurbishment channel: donations in, diagnosis, data erasure, repair, grading,
then sale, donation, loan pool, parts or recycling out."""

from __future__ import annotations

from ..settings import DEFAULTS as _SETTING_DEFAULTS

# Network settings of this area (kept in the shared ``settings`` table).
_SETTING_DEFAULTS.setdefault("warranty_months", "24")
_SETTING_DEFAULTS.setdefault("producer_siret", "")

EVENT_LABELS = {
    "diagnosis_started": "Diagnostic commencé",
    "diagnosis": "Diagnostic",
    "erasure": "Effacement des données",
    "repair": "Réparation",
    "part_harvested": "Pièce prélevée",
    "grading": "Grade",
    "sale": "Vente",
    "gift": "Don à un bénéficiaire",
    "recycling": "Recyclage (lot DEEE)",
    "media_destroyed": "Destruction des supports de données",
}


def init_app(app) -> None:
    from ..inventory.panels import EVENT_LABELS as TIMELINE
    from ..inventory.panels import Panel, register_panel
    from ..inventory.workflow import register_guard
    from ..web.layout import add_nav
    from ..web.views import HOME_BY_ROLE
    from . import (
        api,  # noqa: F401  (its /api/v1 routes, on the shared blueprint)
        status,
    )
    from .common import DESK_ROLES, WORKSHOP_ROLES
    from .views import bp, panel_context

    app.register_blueprint(bp)
    register_guard(status.guard_erasure)
    register_guard(status.guard_diagnosis)
    register_guard(status.guard_disposal)
    register_guard(status.guard_media_disposal)
    register_panel(Panel("refurbishment", "refurbishment/_panel.html", panel_context, order=10))
    for action, label in EVENT_LABELS.items():
        TIMELINE.setdefault(action, label)
    add_nav("refurbishment.queue", "Atelier", WORKSHOP_ROLES)
    add_nav("refurbishment.donations", "Dons", DESK_ROLES)
    add_nav("refurbishment.sales", "Ventes", DESK_ROLES)
    add_nav("refurbishment.recycling", "Recyclage", WORKSHOP_ROLES)
    HOME_BY_ROLE["technicien"] = "refurbishment.queue"
