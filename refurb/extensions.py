"""Flask glue: the request's database session, login manager, CSRF, htmx."""

from __future__ import annotations

from flask import current_app, g, has_request_context, request
from flask_htmx import HTMX
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import Session

from .db import end_session

login_manager = LoginManager()
csrf = CSRFProtect()
htmx = HTMX()

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_db() -> Session:
    """The session of this request (or CLI command): writing requests take the write lock first."""
    if "db" not in g:
        write = not has_request_context() or request.method not in SAFE_METHODS
        g.db = current_app.extensions["refurb.db"].session(write=write)
    return g.db


def close_db(exc=None) -> None:
    db = g.pop("db", None)
    if db is not None:
        end_session(db, failed=exc is not None)


def discard_db(*, broken: bool) -> None:
    """Let go of this request's session before answering an outage. A ``broken`` connection (server gone,
    file unusable) is invalidated rather than rolled back: a rollback would only fail again and log a
    traceback; the pool opens a new connection for the next request."""
    db = g.pop("db", None)
    if db is None:
        return
    try:
        db.invalidate() if broken else db.close()
    except Exception:  # the connection is already unusable: nothing more to release
        pass
