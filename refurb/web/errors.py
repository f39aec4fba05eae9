"""Error pages and messages in French, for pages, HTMX swaps and the API."""

from __future__ import annotations

from flask import Response, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from werkzeug.exceptions import HTTPException, SecurityError

from ..db import outage_kind
from ..errors import RefurbError
from ..extensions import discard_db, login_manager

MESSAGES = {
    400: ("Requête incorrecte", "La demande n'a pas pu être comprise. Revenez en arrière et réessayez."),
    401: ("Connexion requise", "Connectez-vous pour continuer."),
    403: ("Accès refusé", "Votre rôle ou vos sites ne permettent pas d'ouvrir cette page. "
                          "Demandez à un gestionnaire si vous en avez besoin."),
    404: ("Page introuvable", "Cette adresse ne correspond à rien. Vérifiez le lien ou utilisez la recherche."),
    405: ("Action impossible", "Cette action ne se fait pas ainsi. Revenez à la page précédente."),
    409: ("Conflit", "La demande ne correspond plus à l'état actuel. Rechargez la page."),
    413: ("Fichier trop volumineux", "Le fichier envoyé dépasse la taille autorisée."),
    422: ("Données incorrectes", "Certaines informations sont à corriger."),
    429: ("Trop de tentatives", "Patientez quelques minutes avant de réessayer."),
    500: ("Erreur du serveur", "Un problème inattendu est survenu ; rien n'a été enregistré. "
                              "Réessayez, et prévenez l'administrateur si cela se reproduit."),
    503: ("Service momentanément indisponible", "La base de données ne répond pas pour le moment ; rien n'a été "
          "enregistré. Réessayez dans quelques instants, et prévenez l'administrateur si cela dure."),
}
# SQLite's write lock still held by another writer (a long import…) after the busy timeout.
BUSY_MESSAGE = ("Le serveur est occupé par un autre enregistrement ; rien n'a été enregistré. "
                "Réessayez dans quelques secondes.")
OUTAGE_CODES = {"unavailable": "unavailable", "locked": "busy"}


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def api_error(status: int, code: str, message: str, fields: dict | None = None):
    body = {"error": {"code": code, "message": message}}
    if fields:
        body["error"]["fields"] = fields
    return jsonify(body), status


def render_error(status: int, message: str | None = None, headers: dict | None = None, code: str | None = None):
    """The French answer to an error; ``headers`` are those the error itself requires (``Allow`` of a 405)."""
    title, default = MESSAGES.get(status, MESSAGES[500] if status >= 500 else MESSAGES[400])
    headers = dict(headers or {})
    if _wants_json():
        body, status = api_error(status, code or {401: "unauthorized", 403: "forbidden", 404: "not_found",
                                                  405: "method_not_allowed", 409: "conflict", 413: "too_large",
                                                  422: "invalid", 429: "too_many_attempts"}.get(status, "error"),
                                 message or default)
        return body, status, headers
    template = "errors/_message.html" if request.headers.get("HX-Request") else "errors/error.html"
    if request.headers.get("HX-Request"):
        # htmx does not swap error answers by default; retarget the message to the flash area.
        headers |= {"HX-Retarget": "#flash", "HX-Reswap": "innerHTML",
                    "HX-Trigger": '{"refurb:tone": {"kind": "error"}}'}
    try:
        page = render_template(template, status=status, title=title, message=message or default)
    except Exception:
        if status < 500:
            raise
        # The page around the message needs something that is failing too: the message alone, still French.
        page = (f'<!doctype html><html lang="fr"><meta charset="utf-8"><title>{escape(title)}</title>'
                f'<h1>{escape(title)}</h1><p role="alert">{escape(message or default)}</p></html>')
    return page, status, headers


def _outage(app, err: Exception, kind: str):
    """The database cannot serve this request (stopped server, unusable file, write lock held too long):
    a French 503 made with no database at all, and one log line rather than tracebacks."""
    discard_db(broken=kind == "unavailable")
    g.db_unavailable = True  # the layout takes the network's name from its cache and shows no user menu
    g._login_user = login_manager.anonymous_user()  # flask-login would query the sessions table
    cause = str(getattr(err, "orig", None) or err).strip().splitlines()
    app.logger.warning("%s %s: %s (%s)", request.method, request.path,
                       "database busy" if kind == "locked" else "database unavailable", cause[0] if cause else "")
    if kind == "locked":
        return render_error(503, BUSY_MESSAGE, {"Retry-After": "2"}, code=OUTAGE_CODES[kind])
    return render_error(503, headers={"Retry-After": "10"}, code=OUTAGE_CODES[kind])


def _outage_in(err: BaseException) -> str | None:
    """The outage behind this error, also when it was raised while handling another one."""
    seen = 0
    while err is not None and seen < 5:
        kind = outage_kind(err)
        if kind:
            return kind
        err, seen = err.__cause__ or err.__context__, seen + 1
    return None


def _own_headers(err: HTTPException) -> dict:
    """The headers an HTTP error carries for the client (``Allow``, ``Retry-After``…), not its body's."""
    return {name: value for name, value in err.get_headers()
            if name.lower() not in ("content-type", "content-length")}


def init_app(app) -> None:
    @app.errorhandler(RefurbError)
    def _domain_error(err: RefurbError):
        if _wants_json():
            return api_error(err.status, err.code, err.message, err.fields)
        return render_error(err.status, err.message)

    @app.errorhandler(CSRFError)
    def _csrf(err):
        message = ("Le formulaire a expiré ou ne vient pas de Refurb (jeton de sécurité absent ou invalide). "
                   "Rechargez la page et recommencez : rien n'a été enregistré.")
        return render_error(400, message)

    @app.errorhandler(SecurityError)
    def _untrusted_host(err: SecurityError):
        # Refused before routing (TRUSTED_HOSTS): no URL can be built, so no page around the message.
        return Response("Adresse inconnue de ce serveur : ouvrez Refurb par son adresse habituelle.\n"
                        "Untrusted host.\n", 400, mimetype="text/plain")

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException):
        return render_error(err.code or 500, headers=_own_headers(err))

    @app.errorhandler(Exception)
    def _unexpected(err: Exception):
        kind = _outage_in(err)
        if kind:
            return _outage(app, err, kind)
        app.logger.exception("Unexpected error")
        return render_error(500)
