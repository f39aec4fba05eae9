"""Administration of user accounts and their API tokens (admins only)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..accounts import services
from ..accounts.roles import ADMIN, ROLES
from ..errors import RefurbError
from ..extensions import get_db
from ..sites.services import all_sites
from ..web.access import roles_required

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


@bp.route("/new", methods=["GET", "POST"])
@roles_required(ADMIN)
def new_user():
    db = get_db()
    errors, data = {}, {"active": True, "sites": []}
    if request.method == "POST":
        data = _form_data()
        try:
            user = services.create_user(db, data)
        except RefurbError as err:
            db.rollback()
            errors = err.fields or {"_": err.message}
        else:
            db.commit()
            flash(f"Compte « {user.username} » créé.", "success")
            return redirect(url_for(".list_users"))
    return render_template("accounts/user_form.html", user=None, data=data, errors=errors, roles=ROLES,
                           sites=all_sites(db)), (422 if errors else 200)


@bp.route("/<username>", methods=["GET", "POST"])
@roles_required(ADMIN)
def edit_user(username: str):
    db = get_db()
    user = services.get_user(db, username)
    errors = {}
    data = {"username": user.username, "full_name": user.full_name, "role": user.role, "active": user.active,
            "sites": [s.code for s in user.sites], "home_site": user.home_site.code if user.home_site else ""}
    if request.method == "POST":
        data = _form_data() | {"username": user.username}
        try:
            services.update_user(db, current_user, user, data)
        except RefurbError as err:
            db.rollback()
            errors = err.fields or {"_": err.message}
        else:
            db.commit()
            flash(f"Compte « {user.username} » enregistré.", "success")
            return redirect(url_for(".list_users"))
    return render_template("accounts/user_form.html", user=user, data=data, errors=errors, roles=ROLES,
                           sites=all_sites(db), tokens=services.list_tokens(db, user)), (422 if errors else 200)


@bp.post("/<username>/tokens")
@roles_required(ADMIN)
def create_token(username: str):
    db = get_db()
    user = services.get_user(db, username)
    name = request.form.get("name", "")[:80]
    _token, secret = services.create_token(db, user, name=name)
    db.commit()
    return render_template("accounts/token_created.html", user=user, secret=secret)


@bp.post("/<username>/tokens/<int:token_id>/revoke")
@roles_required(ADMIN)
def revoke_token(username: str, token_id: int):
    db = get_db()
    user = services.get_user(db, username)
    token = next((t for t in services.list_tokens(db, user) if t.id == token_id), None)
    if token is None:
        flash("Ce jeton n'appartient pas à ce compte.", "error")
    else:
        services.revoke_token(db, token.id)
        db.commit()
        flash(f"Jeton « {token.prefix}… » révoqué.", "success")
    return redirect(url_for(".edit_user", username=user.username))
