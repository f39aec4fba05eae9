"""Refurbishment channel: donations in, diagnosis, data erasure, repair, grading,
then sale, donation, loan pool, parts or recycling out."""

from __future__ import annotations

# Timeline wording of this area's history actions (the device page shows them).
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
    "hardware_report": "Rapport matériel reçu",
    "hardware_choice": "Choix entre la fiche et un rapport",
}


def init_app(app) -> None:
    from ..accounts.roles import STAFF_ROLES, TECHNICIAN, WORKSHOP_ROLES
    from ..inventory import services as inventory
    from ..web.layout import add_nav
    from ..web.views import HOME_BY_ROLE
    from . import (
        api,  # noqa: F401  (its /api/v1 routes, on the shared blueprint)
        api_reports,  # noqa: F401  (hardware reports: /api/v1/devices/<tag>/reports, /api/v1/reports)
    )
    from . import panel_forms
    from .views import bp, panel_context
    from .views_reports import hardware_panel

    app.register_blueprint(bp)
    panel_forms.init_app(app)
    from .services import hardware_records, workshop_records

    inventory.register_panel(inventory.Panel("refurbishment", "refurbishment/_panel.html", panel_context, order=10,
                                             actions=True, records=workshop_records()))
    inventory.register_panel(inventory.Panel("hardware", "refurbishment/_hardware_panel.html", hardware_panel,
                                             order=11, records=hardware_records()))
    inventory.add_event_labels(EVENT_LABELS)
    add_nav("refurbishment.queue", "Atelier", WORKSHOP_ROLES)
    add_nav("refurbishment.donations", "Dons", STAFF_ROLES)
    add_nav("refurbishment.sales", "Ventes", STAFF_ROLES)
    add_nav("refurbishment.recycling", "Recyclage", WORKSHOP_ROLES)
    HOME_BY_ROLE[TECHNICIAN] = "refurbishment.queue"
