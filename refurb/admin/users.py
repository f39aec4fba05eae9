"""Administration of user accounts and their API tokens (admins only)."""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from flask_login import current_user

from ..accounts import services
from ..accounts.roles import ADMIN, ROLES
from ..errors import RefurbError
from ..extensions import get_db
from ..sites.services import all_sites
from ..web.access import roles_required
from ..web.kit import see_other, submit

bp = Blueprint("users_admin", __name__, url_prefix="/admin/users")


def _form_data() -> dict:
    form = request.form
    return {
        "username": form.get("username", ""),
        "full_name": form.get("full_name", ""),
        "role": form.get("role", ""),
        "sites": form.getlist("sites"),
        "home_site": form.get("home_site", ""),
        "active": form.get("active") == "on",
        "password": form.get("password", ""),
    }


@bp.get("/")
@roles_required(ADMIN)
def list_users():
    return render_template("accounts/users.html", users=services.list_users(get_db()))


def _form(user, data: dict, error: RefurbError | None = None):
    db = get_db()
    errors = (error.fields or {"_": error.message}) if error else {}
    return render_template("accounts/user_form.html", user=user, data=data, errors=errors, roles=ROLES,
                           sites=all_sites(db), tokens=services.list_tokens(db, user) if user else [])


@bp.route("/new", methods=["GET", "POST"])
@roles_required(ADMIN)
def new_user():
    if request.method == "GET":
        return _form(None, {"active": True, "sites": []})
    data = _form_data()
    return submit(lambda: services.create_user(get_db(), data),
                  done=lambda user: see_other(url_for(".list_users"), f"Compte « {user.username} » créé."),
                  failed=lambda err: _form(None, data, err))


@bp.route("/<username>", methods=["GET", "POST"])
@roles_required(ADMIN)
def edit_user(username: str):
    user = services.get_user(get_db(), username)
    if request.method == "GET":
        return _form(user, {"username": user.username, "full_name": user.full_name, "role": user.role,
                            "active": user.active, "sites": [s.code for s in user.sites],
                            "home_site": user.home_site.code if user.home_site else ""})
    data = _form_data() | {"username": user.username}
    return submit(lambda: services.update_user(get_db(), current_user, user, data),
                  done=lambda _: see_other(url_for(".list_users"), f"Compte « {user.username} » enregistré."),
                  failed=lambda err: _form(user, data, err))


@bp.post("/<username>/tokens")
@roles_required(ADMIN)
def create_token(username: str):
    db = get_db()
    user = services.get_user(db, username)
    _token, secret = services.create_token(db, user, name=request.form.get("name", "")[:80])
    return render_template("accounts/token_created.html", user=user, secret=secret)


@bp.post("/<username>/tokens/<int:token_id>/revoke")
@roles_required(ADMIN)
def revoke_token(username: str, token_id: int):
    db = get_db()
    user = services.get_user(db, username)
    token = services.revoke_token(db, user, token_id)
    return see_other(url_for(".edit_user", username=user.username), f"Jeton « {token.prefix}… » révoqué.")
