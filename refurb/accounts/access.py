"""Who may open a page: login, roles, and the HTMX-aware answer to an anonymous call."""

from __future__ import annotations

from functools import wraps

from flask import abort, redirect, request, url_for
from flask_login import current_user, login_required

from ..extensions import get_db, login_manager
from .services import load_user


def init_app(app) -> None:
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "Connectez-vous pour continuer."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def _load(user_key: str):
        return load_user(get_db(), user_key)

    @login_manager.unauthorized_handler
    def _unauthorized():
        target = url_for("accounts.login", next=request.full_path if request.method == "GET" else None)
        if request.headers.get("HX-Request"):
            # A 302 would be swapped into the target; ask htmx to change page instead.
            return "", 401, {"HX-Redirect": target}
        return redirect(target)


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
