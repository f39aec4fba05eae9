"""Login, logout and one's own password."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..accounts import services
from ..accounts.roles import STAFF_ROLES
from ..errors import RefurbError
from ..extensions import get_db
from .access import roles_required, sign_in, sign_out
from .kit import see_other, submit
from .urls import safe_next

bp = Blueprint("accounts", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    def form(error: RefurbError | None = None):
        return render_template("accounts/login.html", error=error.message if error else None,
                               username=request.form.get("username", "")[:64])

    if request.method == "GET":
        return redirect(url_for("web.home")) if current_user.is_authenticated else form()

    def welcome(user):
        # Logging in and out answer a plain 302, as every login flow does; forms that change data answer 303.
        sign_in(user)
        flash(f"Bonjour {user.display_name} !", "success")
        return redirect(safe_next(request.args.get("next")))

    return submit(lambda: services.authenticate(get_db(), request.form.get("username", ""),
                                                request.form.get("password", ""), request.remote_addr or ""),
                  done=welcome, failed=form)


@bp.post("/logout")
@login_required
def logout():
    sign_out()
    flash("Vous êtes déconnecté.", "info")
    return redirect(url_for("accounts.login"))


@bp.route("/password", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
def change_password():
    def form(error: RefurbError | None = None):
        errors = (error.fields or {"new_password": error.message}) if error else {}
        return render_template("accounts/password.html", errors=errors)

    if request.method == "GET":
        return form()
    # This session goes on; the user's other ones are over.
    return submit(lambda: services.change_own_password(get_db(), current_user._get_current_object(),
                                                       request.form.get("current_password", ""),
                                                       request.form.get("new_password", ""),
                                                       request.form.get("confirm_password", "")),
                  done=lambda _: see_other(url_for("web.home"), "Votre mot de passe a été changé."), failed=form)


@bp.get("/session/ping")
@login_required
def keepalive():
    """Asked every minute by a kiosk screen while it is shown (see refurb.js): its session, whose
    idle limit is short, lasts as long as the screen and ends soon after it is closed."""
    return "", 204, {"Cache-Control": "no-store"}
