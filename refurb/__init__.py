"""Refurb: refurbishment channel and equipment loans for a network of digital-inclusion sites."""

from __future__ import annotations

import mimetypes

from flask import Flask
from werkzeug.routing import IntegerConverter

from .validation import MAX_ID

# Windows may map .js to text/plain in its registry; browsers then refuse ES modules.
mimetypes.add_type("text/javascript", ".js")
mimetypes.add_type("application/wasm", ".wasm")

__version__ = "0.1.0"


class IdConverter(IntegerConverter):
    """``<int:…>`` in URLs: a number beyond a database id names nothing (404), not a driver overflow (500)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def create_app(test_config: dict | None = None) -> Flask:
    """Application factory (the Flask CLI and waitress both call it)."""
    from . import config, formatting
    from .db import Database
    from .extensions import close_db, csrf, htmx, login_manager
    from .web.urls import App

    app = App(__name__, instance_relative_config=True)
    app.url_map.converters["int"] = IdConverter
    config.configure(app, test_config)
    app.extensions["refurb.db"] = Database(app.config["DATABASE_URL"])
    app.teardown_appcontext(close_db)

    csrf.init_app(app)
    htmx.init_app(app)
    login_manager.init_app(app)
    formatting.register(app)

    # The areas, wired literally (an area that needs another's hook registers it here, in its init_app).
    from . import (
        bus,
        certificates,
        documents,
        inventory,
        loans,
        public,
        refurbishment,
        reports,
    )
    from .admin import sites as sites_admin
    from .admin import users as users_admin
    from .api import bp as api_bp
    from .web import access, layout, login, security
    from .web import errors as web_errors
    from .web import views as web_views

    access.init_app(app)
    web_errors.init_app(app)
    security.init_app(app)
    layout.init_app(app)
    app.register_blueprint(web_views.bp)
    app.register_blueprint(login.bp)
    app.register_blueprint(users_admin.bp)
    app.register_blueprint(sites_admin.bp)
    inventory.init_app(app)
    refurbishment.init_app(app)
    loans.init_app(app)
    documents.init_app(app)
    public.init_app(app)
    certificates.init_app(app)
    reports.init_app(app)
    bus.init_app(app)
    # Last: each area's init_app above imported its /api/v1 routes onto the shared blueprint.
    app.register_blueprint(api_bp)
    csrf.exempt(api_bp)  # the API authenticates by Bearer token only, never by cookie

    from .cli import register_commands
    register_commands(app)
    return app
