"""URLs we send people to, and URLs we print: never built from what an outsider controls.

- ``safe_next``: where to go after a login or a site switch; only a path of this application.
- ``public_base_url``: the address printed on labels and certificates (QR codes, verification links).
  It is REFURB_PUBLIC_URL when set; otherwise the request's own address, but only when its host is one
  the administrator trusts (REFURB_TRUSTED_HOSTS, loopback names, the address given to ``refurb
  serve --host``): a forged ``Host:`` header must never end up printed on paper.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import current_app, request, url_for

from ..config import LOOPBACK_HOSTS, host_list
from ..errors import RefurbError

# Browsers drop tabs and newlines anywhere in a URL and read "\" as "/": "/\t/evil" and "/\evil" both
# lead to //evil, another site. Removed before the checks below.
_IGNORED_BY_BROWSERS = re.compile(r"[\x00-\x1f\x7f\\]")


def safe_next(target: str | None, default: str | None = None) -> str:
    """``target`` if it is a path of this application, else ``default`` (the home page)."""
    fallback = default or url_for("web.home")
    if not target or not isinstance(target, str):
        return fallback
    target = _IGNORED_BY_BROWSERS.sub("", target)
    if not target.startswith("/") or target.startswith("//") or target.startswith("/api/"):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return fallback
    return target


class UntrustedHost(RefurbError):
    status = 400
    code = "untrusted_host"


def public_base_url() -> str:
    """The address to print on a document (label QR code, certificate link), ending with "/"."""
    public = current_app.config.get("PUBLIC_URL")
    if public:
        return public.rstrip("/") + "/"
    names = host_list(request.host)
    if names and names[0] in (current_app.config.get("URL_TRUSTED_HOSTS") or LOOPBACK_HOSTS):
        return request.url_root
    shown = request.host[:80] or "(aucun)"
    raise UntrustedHost(
        f"Impossible d'imprimer l'adresse de Refurb sur ce document : la page a été ouverte par l'adresse "
        f"« {shown} », que la configuration ne connaît pas (elle pourrait venir d'un lien piégé). "
        "Ouvrez Refurb par son adresse habituelle, ou demandez à l'administrateur de définir "
        "REFURB_PUBLIC_URL (l'adresse publique de Refurb, par exemple https://refurb.mon-reseau.fr) "
        "ou d'ajouter ce nom à REFURB_TRUSTED_HOSTS.")
