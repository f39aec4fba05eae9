"""Login, logout and one's own password."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..accounts import services
from ..accounts.roles import STAFF_ROLES
from ..errors import RefurbError
from ..extensions import get_db
from .access import roles_required, sign_in, sign_out
from .urls import safe_next

bp = Blueprint("accounts", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated and request.method == "GET":
        return redirect(url_for("web.home"))
    error, status = None, 200
    if request.method == "POST":
        db = get_db()
        try:
            user = services.authenticate(db, request.form.get("username", ""), request.form.get("password", ""),
                                         request.remote_addr or "")
        except RefurbError as err:
            db.commit()  # keep the failed attempt: it feeds the throttling
            error, status = err.message, err.status
        else:
            sign_in(user)
            flash(f"Bonjour {user.display_name} !", "success")
            return redirect(safe_next(request.args.get("next")))
    return render_template("accounts/login.html", error=error,
                           username=request.form.get("username", "")[:64]), status


@bp.post("/logout")
@login_required
def logout():
    sign_out()
    flash("Vous êtes déconnecté.", "info")
    return redirect(url_for("accounts.login"))


@bp.route("/password", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
def change_password():
    errors: dict[str, str] = {}
    if request.method == "POST":
        db = get_db()
        user = current_user._get_current_object()
        try:
            services.change_own_password(db, user, request.form.get("current_password", ""),
                                         request.form.get("new_password", ""),
                                         request.form.get("confirm_password", ""))
        except RefurbError as err:
            errors = err.fields or {"new_password": err.message}
        else:
            db.commit()  # this session goes on, the user's other ones are over
            flash("Votre mot de passe a été changé.", "success")
            return redirect(url_for("web.home"))
    return render_template("accounts/password.html", errors=errors), (422 if errors else 200)


@bp.get("/session/ping")
@login_required
def keepalive():
    """Asked every minute by a kiosk screen while it is shown (see refurb.js): its session, whose
    idle limit is short, lasts as long as the screen and ends soon after it is closed."""
    return "", 204, {"Cache-Control": "no-store"}
