"""Configuration from environment variables, with safe defaults (see README)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

# Names of this computer: always trusted as the address printed on documents.
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")
# Addresses a server listens on that name no host: they say nothing about how people reach it.
_ANY_ADDRESS = {"", "0.0.0.0", "::", "[::]", "*"}


def host_list(value: str | None) -> list[str]:
    """``"A.example:8000, b.example"`` -> ``["a.example", "b.example"]`` (lower case, no port)."""
    hosts = []
    for item in (value or "").split(","):
        host = item.strip().lower()
        if host.startswith("[") and "]" in host:  # [::1]:5000
            host = host[: host.index("]") + 1]
        elif host.count(":") == 1:  # name:port
            host = host.partition(":")[0]
        elif ":" in host:  # a bare IPv6 address
            host = f"[{host}]"
        if host not in _ANY_ADDRESS and host not in hosts:
            hosts.append(host)
    return hosts


def trust_host(app, host: str) -> None:
    """Trust one more host name, e.g. the address given to ``refurb serve --host``."""
    names = host_list(host)
    # New lists, not appends: the lists of a saved copy of the config stay as they were.
    app.config["URL_TRUSTED_HOSTS"] = list(dict.fromkeys([*app.config["URL_TRUSTED_HOSTS"], *names]))
    if app.config["TRUSTED_HOSTS"] is not None:
        app.config["TRUSTED_HOSTS"] = list(dict.fromkeys([*app.config["TRUSTED_HOSTS"], *names]))


def _minutes(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or not 1 <= int(value) <= 24 * 60:
        raise RuntimeError(f"{name} doit être un nombre de minutes entre 1 et 1440 (reçu : « {value} »).")
    return int(value)


def _device_count(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip().replace("_", "").replace(" ", "")
    if not value:
        return default
    if not value.isdigit() or not 1 <= int(value) <= 10_000_000:
        raise RuntimeError(f"{name} doit être un nombre d'appareils entre 1 et 10 000 000 (reçu : "
                           f"« {os.environ[name].strip()[:40]} ») : corrigez-la ou retirez-la pour garder 10 000.")
    return int(value)


def _secret_key(instance: Path) -> str:
    """REFURB_SECRET_KEY, else a key generated once and kept in the instance folder."""
    key = os.environ.get("REFURB_SECRET_KEY")
    if key:
        return key
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_hex(32)
    path.write_text(key)
    try:
        path.chmod(0o600)
    except OSError:  # Windows: permissions are the folder's
        pass
    return key


def configure(app, overrides: dict | None = None) -> None:
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    overrides = overrides or {}
    database_url = overrides.get("DATABASE_URL") or os.environ.get("REFURB_DATABASE_URL") \
        or f"sqlite:///{instance / 'refurb.sqlite'}"
    public_url = overrides.get("PUBLIC_URL", os.environ.get("REFURB_PUBLIC_URL", "")).rstrip("/")
    trusted = host_list(os.environ.get("REFURB_TRUSTED_HOSTS"))
    public_host = host_list(urlsplit(public_url).netloc)
    app.config.update(
        DATABASE_URL=database_url,
        SECRET_KEY=overrides.get("SECRET_KEY") or _secret_key(instance),
        PUBLIC_URL=public_url,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=public_url.startswith("https://"),
        # flask-login's "remember me" cookie is not used; should it ever be, same flags as the session's.
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=public_url.startswith("https://"),
        WTF_CSRF_TIME_LIMIT=None,  # a desk page stays open all day; the token is tied to the session
        MAX_CONTENT_LENGTH=int(os.environ.get("REFURB_MAX_UPLOAD_MB", "60")) * 1024 * 1024,
        JSON_SORT_KEYS=False,
        # Hosts whose name may be printed on documents when PUBLIC_URL is unset (see web/urls.py).
        URL_TRUSTED_HOSTS=list(dict.fromkeys([*LOOPBACK_HOSTS, *trusted])),
        # Once the administrator lists hosts, Flask answers 400 to a request naming any other.
        TRUSTED_HOSTS=list(dict.fromkeys([*LOOPBACK_HOSTS, *trusted, *public_host])) if trusted else None,
        # A session with no request for this long is over (shared PCs in public places); kiosks,
        # whose screen keeps its session alive while it is shown, end soon after it is closed.
        IDLE_MINUTES=_minutes("REFURB_IDLE_MINUTES", 30),
        KIOSK_IDLE_MINUTES=_minutes("REFURB_KIOSK_IDLE_MINUTES", 5),
        # A document covering more devices than this is prepared in the background (a job, 202 in the API).
        REFURB_JOB_THRESHOLD=_device_count("REFURB_JOB_THRESHOLD", 10_000),
    )
    app.config.update({k: v for k, v in overrides.items() if k not in ("DATABASE_URL", "PUBLIC_URL", "SECRET_KEY")})
