"""Certificates and forms: donation receipt (attestation de don / de prise en charge), data-erasure
certificate, refurbishment / sale certificate, sheets of borrower cards; each certificate stored with a
reference and a verification code, checked by anyone on the public page /verify/<reference>."""


def init_app(app) -> None:
    from ..inventory.panels import Panel, register_panel
    from . import api  # noqa: F401  (its /api/v1 routes, on the shared blueprint)
    from .issuing import use_key
    from .services import device_panel, device_records
    from .views import bp

    use_key(app.config["SECRET_KEY"])
    app.register_blueprint(bp)
    register_panel(Panel("certificates", "certificates/_device_panel.html", device_panel, order=90,
                         records=device_records()))
