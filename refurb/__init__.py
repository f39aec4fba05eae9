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

    app = Flask(__name__, instance_relative_config=True)
    app.url_map.converters["int"] = IdConverter
    config.configure(app, test_config)
    app.extensions["refurb.db"] = Database(app.config["DATABASE_URL"])
    app.teardown_appcontext(close_db)

    csrf.init_app(app)
    htmx.init_app(app)
    login_manager.init_app(app)
    formatting.register(app)

    from .accounts import access
    access.init_app(app)

    from .accounts.views import bp as accounts_bp
    from .accounts.admin_views import bp as users_admin_bp
    from .api import bp as api_bp
    from .sites.views import bp as sites_bp
    from .web import errors as web_errors
    from .web import security
    from .web.views import bp as web_bp

    app.register_blueprint(web_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(users_admin_bp)
    app.register_blueprint(sites_bp)
    app.register_blueprint(api_bp)
    csrf.exempt(api_bp)  # the API authenticates by Bearer token only, never by cookie
    web_errors.init_app(app)
    security.init_app(app)

    from .web.layout import init_app as init_layout
    init_layout(app)

    from .areas import init_all
    init_all(app)

    from .cli import register_commands
    register_commands(app)
    return app
