"""Account rules: login and its throttling, users, passwords (and the hashing of kiosk PINs), API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from functools import lru_cache

from sqlalchemy import bindparam, delete, func, or_, select, update
from sqlalchemy.orm import Session, joinedload, lazyload
from sqlalchemy.orm.attributes import set_committed_value
from werkzeug.security import check_password_hash, generate_password_hash

from .. import settings
from ..db import use_case, utcnow
from ..errors import (
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    TooManyAttempts,
    Unauthorized,
)
from ..sites.models import Site
from ..validation import Checker
from . import scope
from .models import ApiToken, LoginAttempt, User, UserSession
from .roles import ADMIN, KIOSK, ROLES

MIN_PASSWORD_LENGTH = 10
MAX_FAILURES_PER_USER = 5
MAX_FAILURES_PER_IP = 20
THROTTLE_WINDOW = timedelta(minutes=15)
USERNAME_PATTERN = r"[a-z0-9][a-z0-9._-]{1,63}"


# Staff passwords and residents' kiosk PINs are kept only as slow hashes, one method for both: Werkzeug's
# scrypt (0.1-0.3 s a hash here, which slows a guesser as much as a login). The test suite lowers it once,
# in tests/conftest.py; nothing in the application changes it.
HASH_METHOD = "scrypt"


def hash_secret(secret: str) -> str:
    return generate_password_hash(secret, method=HASH_METHOD)


def secret_matches(hashed: str | None, secret: str | None) -> bool:
    """Whether ``secret`` is the one behind ``hashed``. Without a hash (an unknown user), a made-up one of
    the same method is checked, so the answer takes as long either way. Anything but text (a number from a
    script's JSON) is checked as an empty secret: never a match, never an error."""
    typed = secret if isinstance(secret, str) else ""
    return check_password_hash(hashed or _stand_in(HASH_METHOD), typed) and bool(hashed) and bool(typed)


@lru_cache(maxsize=2)
def _stand_in(method: str) -> str:
    return generate_password_hash("refurb-stand-in-secret", method=method)


def _token_hash(token: str) -> str:
    # API tokens and session secrets are 256 random bits: a fast hash is enough (no dictionary to
    # guard against), and the database never holds a usable secret.
    return hashlib.sha256(token.encode()).hexdigest()


def _check_new_password(password: str | None, field: str = "password") -> None:
    if not password or len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(fields={field: f"Le mot de passe doit faire au moins {MIN_PASSWORD_LENGTH} caractères."})
    if len(password) > 256:
        raise Invalid(fields={field: "Le mot de passe est trop long (256 caractères au maximum)."})


# --- login -------------------------------------------------------------------------------

def _recent_failures(db: Session, **where) -> int:
    since = utcnow() - THROTTLE_WINDOW
    stmt = select(func.count()).select_from(LoginAttempt).where(LoginAttempt.at >= since,
                                                                  LoginAttempt.success.is_(False))
    for column, value in where.items():
        stmt = stmt.where(getattr(LoginAttempt, column) == value)
    return db.scalar(stmt) or 0


def authenticate(db: Session, username: str, password: str, ip: str = "") -> User:
    """Check a login; records the attempt (a failed one is committed at once). Raises TooManyAttempts,
    Unauthorized or Forbidden. A success is committed with the session that ``start_session`` opens."""
    username = (username or "").strip().lower()[:64]
    ip = (ip or "")[:45]
    if (_recent_failures(db, username=username) >= MAX_FAILURES_PER_USER
            or (ip and _recent_failures(db, ip=ip) >= MAX_FAILURES_PER_IP)):
        raise TooManyAttempts("Trop de tentatives de connexion échouées. Réessayez dans 15 minutes, "
                              "ou demandez à un administrateur de vérifier votre compte.")
    user = db.scalar(select(User).where(User.username == username)) if username else None
    ok = secret_matches(user.password_hash if user else None, password)
    if user is None or not ok or not user.active:
        # The failed attempt is kept whatever happens next: it feeds the throttling.
        db.add(LoginAttempt(username=username, ip=ip, success=False))
        db.commit()
        if user is None or not ok:
            raise Unauthorized("Identifiant ou mot de passe incorrect.")
        raise Forbidden("Ce compte est désactivé. Adressez-vous à un administrateur.")
    db.add(LoginAttempt(username=username, ip=ip, success=True))
    user.last_login_at = utcnow()
    return user


# --- sessions (one per login and browser; the cookie carries its secret) -----------------------

SESSION_TOUCH_EVERY = timedelta(minutes=1)  # last_seen_at is refreshed at most this often
KEEP_OLD_SESSIONS = timedelta(days=30)  # ended or long-idle rows are then deleted


@use_case
def start_session(db: Session, user: User) -> str:
    """Open a server-side session for a user who just proved who they are; returns its secret."""
    now = utcnow()
    # Old rows of this user serve no one: no need to keep when and where they worked.
    db.execute(delete(UserSession).where(UserSession.user_id == user.id,
                                         or_(UserSession.ended_at < now - KEEP_OLD_SESSIONS,
                                             UserSession.last_seen_at < now - KEEP_OLD_SESSIONS)))
    secret = secrets.token_urlsafe(32)
    db.add(UserSession(user_id=user.id, token_hash=_token_hash(secret), created_at=now, last_seen_at=now))
    db.flush()
    user.session_token = secret
    return secret


# Built once: SQLAlchemy then reuses its compiled form without building it again (every request asks it). With the
# session, its user, and what every page's header prints or the user's scope needs: the network's settings, the
# active sites a network role may switch to, the user's own sites (ids, codes and names: the scope of a site-bound
# role). One statement, not four; the user as an entity beside the session rather than eagerly loaded through it,
# its sites as one value rather than a joined collection of mapped sites (that loading cost more than the query).
# ``with_sites``: also the user's sites as records, for a page that works with them (the desk, at its site).
_SESSION_BY_TOKEN = {
    with_sites: select(UserSession, User, settings.STORED_AS_JSON, scope.ACTIVE_SITE_NAMES_AS_JSON,
                       scope.OWN_SITE_NAMES_AS_JSON)
    .join(UserSession.user).where(UserSession.token_hash == bindparam("token_hash"))
    # its user is the one beside it (``open_session``)
    .options(lazyload(UserSession.user), *([joinedload(User.sites)] if with_sites else []))
    for with_sites in (False, True)}


def open_session(db: Session, secret: str | None, *, with_sites: bool = False) -> UserSession | None:
    """The session behind a cookie's secret, unless it was ended (its idle time is checked apart). ``with_sites``:
    read the user's sites as records with it (else they are read when something asks for them)."""
    if not secret or not isinstance(secret, str) or len(secret) > 100:
        return None
    row = db.execute(_SESSION_BY_TOKEN[with_sites], {"token_hash": _token_hash(secret)}).unique().one_or_none()
    if row is None:
        return None
    found, user, stored, site_names, own_sites = row
    set_committed_value(found, "user", user)  # read, not changed: the session holds it through ``found``
    settings.remember(db, stored)
    scope.remember_site_names(db, site_names)
    scope.remember_own_sites(db, user, own_sites)
    if found.ended_at is not None or not user.active:
        return None
    return found


def idle_limit(user: User, staff_minutes: int, kiosk_minutes: int) -> timedelta:
    """How long a session may stay without a request: shorter for a kiosk (see config.py)."""
    return timedelta(minutes=kiosk_minutes if user.role == KIOSK else staff_minutes)


def is_idle(found: UserSession, limit: timedelta) -> bool:
    return utcnow() - found.last_seen_at > limit


def session_needs_touch(found: UserSession) -> bool:
    return utcnow() - found.last_seen_at >= SESSION_TOUCH_EVERY


@use_case
def touch_session(db: Session, session_id: int) -> None:
    db.execute(update(UserSession).where(UserSession.id == session_id, UserSession.ended_at.is_(None))
               .values(last_seen_at=utcnow()))


@use_case
def end_session(db: Session, session_id: int, reason: str) -> None:
    db.execute(update(UserSession).where(UserSession.id == session_id, UserSession.ended_at.is_(None))
               .values(ended_at=utcnow(), end_reason=reason))


@use_case
def end_session_of(db: Session, secret: str | None, reason: str = "logout") -> None:
    """Logout: the session of this cookie is over, whatever happens to the cookie afterwards."""
    if secret:
        db.execute(update(UserSession).where(UserSession.token_hash == _token_hash(secret),
                                             UserSession.ended_at.is_(None))
                   .values(ended_at=utcnow(), end_reason=reason))


def end_sessions(db: Session, user: User, reason: str, keep: str | None = None) -> None:
    """End every session of a user (new password, deactivated account), except ``keep`` (a secret)."""
    stmt = update(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
    if keep:
        stmt = stmt.where(UserSession.token_hash != _token_hash(keep))
    db.execute(stmt.values(ended_at=utcnow(), end_reason=reason))


# --- users -------------------------------------------------------------------------------

def list_users(db: Session) -> list[User]:
    return list(db.scalars(select(User).order_by(User.active.desc(), User.username)))


def get_user(db: Session, username: str) -> User:
    user = db.scalar(select(User).where(User.username == (username or "").strip().lower()))
    if user is None:
        raise NotFound(f"Aucun utilisateur « {username} ».")
    return user


def _sites_from_codes(db: Session, codes: list[str]) -> list[Site]:
    codes = [c.strip().upper() for c in codes if c and c.strip()]
    sites = list(db.scalars(select(Site).where(Site.code.in_(codes)))) if codes else []
    missing = sorted(set(codes) - {s.code for s in sites})
    if missing:
        raise Invalid(fields={"sites": f"Site inconnu : {', '.join(missing)}."})
    return sites


def _apply_user_fields(db: Session, user: User, data: dict, creating: bool) -> None:
    c = Checker(data)
    full_name = c.text("full_name", "Le nom complet", max_len=120)
    role = c.choice("role", "Le rôle", ROLES)
    home = c.text("home_site", "Le site principal", max_len=32)
    active = c.boolean("active", "Compte actif", default=True)
    c.done()
    sites = _sites_from_codes(db, list(data.get("sites") or []))
    if home:
        home_sites = _sites_from_codes(db, [home])
        home_site = home_sites[0]
        if home_site not in sites:
            sites.insert(0, home_site)
    else:
        home_site = sites[0] if sites else None
    if role != ADMIN and not sites:
        raise Invalid(fields={"sites": "Choisissez au moins un site pour ce compte (son site principal)."})
    if role == KIOSK and len(sites) != 1:
        raise Invalid(fields={"sites": "Une borne appartient à un seul site."})
    user.full_name = full_name or ""
    user.role = role
    user.sites = sites
    user.home_site = home_site
    if not creating and user.active and active is False:
        deactivate(db, user)
    user.active = bool(active)


def deactivate(db: Session, user: User) -> None:
    """A deactivated account is out at once: its sessions end and its API tokens are revoked for good
    (reactivating the account does not bring them back)."""
    user.active = False
    end_sessions(db, user, "deactivated")
    db.execute(update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
               .values(revoked_at=utcnow()))


@use_case
def create_user(db: Session, data: dict) -> User:
    c = Checker(data)
    username = c.text("username", "L'identifiant", max_len=64, required=True, pattern=USERNAME_PATTERN,
                      pattern_hint="lettres minuscules, chiffres, point, tiret (2 à 64 caractères)")
    c.done()
    username = username.lower()
    if db.scalar(select(User.id).where(User.username == username)):
        raise Conflict(f"L'identifiant « {username} » est déjà pris : choisissez-en un autre.",
                       fields={"username": "Identifiant déjà pris."})
    _check_new_password(data.get("password"))
    user = User(username=username, password_hash=hash_secret(data["password"]))
    _apply_user_fields(db, user, data, creating=True)
    db.add(user)
    db.flush()
    return user


@use_case
def update_user(db: Session, actor: User, user: User, data: dict) -> User:
    if user.id == actor.id and (data.get("role") != user.role or not data.get("active", True)):
        raise Conflict("Vous ne pouvez ni changer votre propre rôle ni désactiver votre propre compte.")
    _apply_user_fields(db, user, data, creating=False)
    if data.get("password"):
        # An administrator changing their own password here keeps the session they work in.
        set_password(db, user, data["password"], keep=actor.session_token if actor.id == user.id else None)
    db.flush()
    return user


def set_password(db: Session, user: User, password: str, keep: str | None = None) -> None:
    """A new password ends every session opened with the old one (except ``keep``, the session secret
    of the person changing their own password)."""
    _check_new_password(password)
    user.password_hash = hash_secret(password)
    end_sessions(db, user, "password", keep=keep)


@use_case
def change_own_password(db: Session, user: User, current: str, new: str, confirm: str) -> None:
    if not secret_matches(user.password_hash, current):
        raise Invalid(fields={"current_password": "Le mot de passe actuel est incorrect."})
    if new != confirm:
        raise Invalid(fields={"confirm_password": "Les deux nouveaux mots de passe ne sont pas identiques."})
    _check_new_password(new, "new_password")
    set_password(db, user, new, keep=user.session_token)


# --- API tokens --------------------------------------------------------------------------

TOKEN_PREFIX = "rfb_"


@use_case
def create_token(db: Session, user: User, name: str = "", expires_days: int | None = None) -> tuple[ApiToken, str]:
    if user.role == KIOSK:
        raise Forbidden("Les comptes borne n'ont pas accès à l'API.")
    if not user.active:
        raise Forbidden("Ce compte est désactivé : pas de jeton possible.")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=(name or "")[:80], prefix=secret[:12], token_hash=_token_hash(secret),
                     expires_at=(utcnow() + timedelta(days=expires_days)) if expires_days else None)
    db.add(token)
    db.flush()
    return token, secret


def list_tokens(db: Session, user: User) -> list[ApiToken]:
    return list(db.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)))


@use_case
def revoke_token(db: Session, user: User | None, token_id: int) -> ApiToken:
    """Revoke a token of ``user`` (None: whichever user holds it, for the command line)."""
    token = db.get(ApiToken, token_id)
    if token is None or (user is not None and token.user_id != user.id):
        raise NotFound(f"Aucun jeton n° {token_id}" + (f" pour le compte « {user.username} »." if user else "."))
    if token.revoked_at is None:
        token.revoked_at = utcnow()
    return token


_TOKEN_BY_HASH = select(ApiToken).where(ApiToken.token_hash == bindparam("token_hash"))  # built once: each API call


def token_for_secret(db: Session, secret: str) -> ApiToken:
    """The valid token behind a Bearer secret; raises Unauthorized / Forbidden. Reads only."""
    if not secret or not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        raise Unauthorized("Jeton d'accès absent ou mal formé : envoyez « Authorization: Bearer <jeton> ».")
    token = db.scalar(_TOKEN_BY_HASH, {"token_hash": _token_hash(secret)})
    now = utcnow()
    if token is None:
        raise Unauthorized("Jeton d'accès inconnu.")
    if token.revoked_at is not None:
        raise Unauthorized("Ce jeton d'accès a été révoqué.")
    if token.expires_at is not None and token.expires_at <= now:
        raise Unauthorized("Ce jeton d'accès a expiré : demandez-en un nouveau.")
    user = token.user
    if not user.active:
        raise Unauthorized("Le compte de ce jeton est désactivé.")
    if user.role == KIOSK:
        raise Forbidden("Les comptes borne n'ont pas accès à l'API.")
    return token


def token_needs_touch(token: ApiToken) -> bool:
    """last_used_at is refreshed at most every 5 minutes, to keep reads read-only."""
    return token.last_used_at is None or utcnow() - token.last_used_at > timedelta(minutes=5)


@use_case
def touch_token(db: Session, token_id: int) -> None:
    token = db.get(ApiToken, token_id)
    if token is not None:
        token.last_used_at = utcnow()
