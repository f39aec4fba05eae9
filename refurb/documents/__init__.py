"""Documents: inventories (today or at a past date), stock-takes by scanning, the Documents page and its
registry, CSV/XLSX exports and imports."""


def init_app(app) -> None:
    from .views import bp, register_hooks

    app.register_blueprint(bp)
    register_hooks(app)
