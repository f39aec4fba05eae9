"""URLs we send people to, and URLs we print: never built from what an outsider controls.

- ``safe_next``: where to go after a login or a site switch; only a path of this application.
- ``public_base_url``: the address printed on labels and certificates (QR codes, verification links).
  It is REFURB_PUBLIC_URL when set; otherwise the request's own address, but only when its host is one
  the administrator trusts (REFURB_TRUSTED_HOSTS, loopback names, the address given to ``refurb
  serve --host``): a forged ``Host:`` header must never end up printed on paper.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask, current_app, has_request_context, request, url_for
from flask.globals import _cv_request
from werkzeug.security import safe_join

from ..config import LOOPBACK_HOSTS, host_list
from ..errors import RefurbError

# Browsers drop tabs and newlines anywhere in a URL and read "\" as "/": "/\t/evil" and "/\evil" both
# lead to //evil, another site. Removed before the checks below.
_IGNORED_BY_BROWSERS = re.compile(r"[\x00-\x1f\x7f\\]")


class App(Flask):
    """Flask, with two changes to its links.

    - A link is remembered once built: a page builds 30 to 50 links (menus, forms, the device's own), most of
      them the same on every page, and building one with werkzeug costs a few microseconds each time. A link
      depends only on its endpoint, its values and the path the application is served under; a link with an
      anchor, a method, a scheme or a host, or with values that cannot be remembered (a list), is built each
      time, as are all links if URL defaults are ever registered.
    - A static file's link carries its version (``?v=`` and the start of its content's hash), and a file asked
      with its version is kept a year by the browser: a page no longer asks again for its four styles and
      scripts (four round trips on the bus's connection). A new release changes the links of the files it
      changed. Without ``v`` (a file named inside another), a file is checked each time as before. In debug
      mode (files edited while the server runs) there are no versions.
    """

    _MAX_LINKS = 20_000  # then forgotten all at once: a device's links are many (one set per device)
    STATIC_MAX_AGE = 365 * 24 * 3600

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._links: dict = {}

    def _static_version(self, filename: str) -> str | None:
        path = safe_join(self.static_folder, filename) if self.static_folder else None
        try:
            content = Path(path).read_bytes() if path else None
        except OSError:
            content = None
        if content is None:
            return None  # no such file: the link is built without a version, and answers 404
        return hashlib.sha256(content).hexdigest()[:12]

    def get_send_file_max_age(self, filename: str | None) -> int | None:
        if has_request_context() and request.endpoint == "static" and request.args.get("v") and not self.debug:
            return self.STATIC_MAX_AGE
        return super().get_send_file_max_age(filename)

    def url_for(self, endpoint: str, *, _anchor=None, _method=None, _scheme=None, _external=None, **values) -> str:
        ctx = _cv_request.get(None)
        if (ctx is None or ctx.url_adapter is None or _anchor or _method or _scheme or _external
                or self.url_default_functions or (self.debug and endpoint == "static")):
            return super().url_for(endpoint, _anchor=_anchor, _method=_method, _scheme=_scheme,
                                   _external=_external, **values)
        if endpoint[:1] == ".":
            blueprint = ctx.request.blueprint
            endpoint = f"{blueprint}{endpoint}" if blueprint is not None else endpoint[1:]
        key = (ctx.url_adapter.script_name, endpoint, *((k, type(v), v) for k, v in values.items()))
        try:
            link = self._links.get(key)
        except TypeError:  # a value that cannot be a key
            return super().url_for(endpoint, **values)
        if link is None:
            filename = values.get("filename") if endpoint == "static" else None
            if isinstance(filename, str) and "v" not in values:
                version = self._static_version(filename)
                if version:
                    values["v"] = version
            link = super().url_for(endpoint, **values)
            if len(self._links) >= self._MAX_LINKS:
                self._links.clear()
            self._links[key] = link
        return link


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
