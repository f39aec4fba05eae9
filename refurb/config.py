"""Configuration from environment variables, with safe defaults (see README)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


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
    app.config.update(
        DATABASE_URL=database_url,
        SECRET_KEY=overrides.get("SECRET_KEY") or _secret_key(instance),
        PUBLIC_URL=public_url,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=public_url.startswith("https://"),
        WTF_CSRF_TIME_LIMIT=None,  # a desk page stays open all day; the token is tied to the session
        MAX_CONTENT_LENGTH=int(os.environ.get("REFURB_MAX_UPLOAD_MB", "60")) * 1024 * 1024,
        JSON_SORT_KEYS=False,
    )
    app.config.update({k: v for k, v in overrides.items() if k not in ("DATABASE_URL", "PUBLIC_URL", "SECRET_KEY")})
