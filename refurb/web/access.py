"""Who may open a page: login, roles, server-side sessions, and the HTMX-aware answer to an anonymous call.

The session cookie carries only the secret of a server-side session (``UserSession``): logging out,
an idle session, a new password or a deactivated account end it on the server, so a copied or
replayed cookie opens nothing afterwards.
"""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

from flask import abort, current_app, redirect, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from ..accounts import services
from ..extensions import SAFE_METHODS, get_db, login_manager

# The pages that worked with a user's own sites as records (``web.layout.user_sites``: the desk at its site, a form
# offering them): their requests read them with the session's statement (one round trip, not two). Each process
# learns them as pages ask; a hint only, the answer is the same without it.
PAGES_WITH_USER_SITES: set[str] = set()


def init_app(app) -> None:
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "Connectez-vous pour continuer."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def _load(secret: str):
        return resume_session(secret)

    @login_manager.unauthorized_handler
    def _unauthorized():
        if request.headers.get("HX-Request"):
            # A 302 would be swapped into the target; ask htmx to change page instead, and come back
            # to the page the user was on (not to the partial it asked for) after logging in again.
            page = urlsplit(request.headers.get("HX-Current-URL", ""))
            back = page.path + (f"?{page.query}" if page.query else "") if page.path else None
            return "", 401, {"HX-Redirect": url_for("accounts.login", next=back)}
        return redirect(url_for("accounts.login", next=request.full_path if request.method == "GET" else None))


def _write(change) -> None:
    """Record a small change about the session (a use case: it commits): in the request's own session
    when it writes (it holds the write lock already), else in a short session of its own so reading
    pages stay read-only."""
    if request.method not in SAFE_METHODS:
        change(get_db())
        return
    with current_app.extensions["refurb.db"].session(write=True) as db:
        change(db)


def resume_session(secret: str):
    """The user of this cookie's session, if the session is still open and was used recently enough."""
    db = get_db()
    found = services.open_session(db, secret, with_sites=request.endpoint in PAGES_WITH_USER_SITES)
    if found is None:
        return None
    user = found.user
    limit = services.idle_limit(user, current_app.config["IDLE_MINUTES"], current_app.config["KIOSK_IDLE_MINUTES"])
    if services.is_idle(found, limit):
        _write(lambda w: services.end_session(w, found.id, "idle"))
        return None
    if services.session_needs_touch(found):
        _write(lambda w: services.touch_session(w, found.id))
    user.session_token = secret
    return user


def sign_in(user) -> None:
    """Log a user in on this browser (a writing request): a new server-side session and a fresh cookie.
    The browser's previous session, if any, ends. Commits."""
    db = get_db()
    if current_user.is_authenticated:
        services.end_session_of(db, current_user.session_token, "logout")
    session.clear()  # nothing from before the login survives it (session fixation)
    services.start_session(db, user)
    login_user(user)


def sign_out() -> None:
    """Log out (a writing request): the session ends on the server, then the cookie is emptied. Commits."""
    if current_user.is_authenticated:
        services.end_session_of(get_db(), current_user.session_token, "logout")
    logout_user()
    session.clear()


def roles_required(*roles: str):
    """Login required, and one of these roles (site checks are the services' job)."""

    def decorate(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        wrapped.allowed_roles = frozenset(roles)
        return wrapped

    return decorate
