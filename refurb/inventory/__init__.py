"""Inventory: devices, asset tags, the lifecycle state machine, stock per site, transfers, labels."""


def init_app(app) -> None:
    from . import api  # noqa: F401  (its /api/v1 routes, on the shared blueprint)
    from .views import bp, register_hooks

    app.register_blueprint(bp)
    register_hooks()
