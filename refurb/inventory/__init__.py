"""Inventory: devices, asset tags, the lifecycle state machine, stock per site, transfers, labels."""


def init_app(app) -> None:
    from .views import bp, register_hooks

    app.register_blueprint(bp)
    register_hooks(app)
