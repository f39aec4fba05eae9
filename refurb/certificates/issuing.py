"""Issuing and verifying certificates: reference, canonical content, SHA-256, HMAC verification code.

- The *content* is what the certificate states (a JSON-safe dict built by the builders of this area);
  its canonical form is ``json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False)``.
- The *verification code* is HMAC-SHA256 over the canonical JSON of {reference, kind, subject, issued_at,
  content_sha256}, cut to 16 hex digits and printed as 4 groups. Its key is a signing key kept in the
  database (``signing_keys``), named by the certificate (``key_id``): every server process and every restored
  backup verifies the same codes, and changing the session SECRET_KEY changes nothing here. ``rotate_key``
  retires the active key (it still verifies the certificates it signed) and makes a new one.
  Certificates issued before keys were kept in the database were signed with the SECRET_KEY; the first key
  made adopts it (``use_key`` hands it over) as a retired key, so they stay verifiable after a change of it.
  A copy whose text was altered no longer matches what /verify shows; a database row altered without
  the key no longer matches its code.
- Issuing the same content for the same subject again returns the certificate already issued (same
  reference, same date); when the records changed, a new certificate with a new reference is issued.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..db import utcnow
from ..errors import NotFound
from .models import Certificate, SigningKey

PREFIXES = {"erasure": "EFF", "receipt": "ATT", "device": "CRT"}
# Crockford's base 32: no I, L, O, U (nothing to misread on paper).
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
REFERENCE_PATTERN = re.compile(r"(EFF|ATT|CRT)-\d{4}-[0-9A-HJKMNP-TV-Z]{8}")


def canonical(data) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256(data) -> str:
    return hashlib.sha256(canonical(data).encode("utf-8")).hexdigest()


KEY_PURPOSE = "certificates"
_legacy_key: bytes | None = None  # the SECRET_KEY that signed certificates before keys were in the database


def use_key(secret_key: str) -> None:
    """The application's secret key, which signed the certificates issued before signing keys were kept in the
    database (``init_app`` hands it over): adopted as a retired key when the first signing key is made."""
    global _legacy_key
    if not secret_key:
        raise ValueError("certificates need a non-empty secret key")
    _legacy_key = str(secret_key).encode("utf-8")


def _secret(db: Session, key_id: int | None) -> bytes | None:
    if key_id is None:
        return _legacy_key
    key = db.get(SigningKey, key_id)
    return key.secret.encode("utf-8") if key is not None else None


def active_key(db: Session) -> SigningKey:
    """The key that signs new certificates, made on first use (flushed in the caller's transaction)."""
    key = db.scalar(select(SigningKey).where(SigningKey.purpose == KEY_PURPOSE, SigningKey.retired_at.is_(None)))
    if key is not None:
        return key
    try:
        with db.begin_nested():
            _adopt_legacy_key(db)
            key = SigningKey(purpose=KEY_PURPOSE, secret=secrets.token_hex(32), note="Clé de signature des certificats",
                             created_at=utcnow())
            db.add(key)
            db.flush()
    except IntegrityError:  # another process made it at the same moment: use theirs
        key = db.scalar(select(SigningKey).where(SigningKey.purpose == KEY_PURPOSE,
                                                 SigningKey.retired_at.is_(None)))
    return key


def _adopt_legacy_key(db: Session) -> None:
    """Certificates signed with the SECRET_KEY get it as their (retired) key, kept in the database."""
    if _legacy_key is None or db.scalar(select(Certificate.id).where(Certificate.key_id.is_(None)).limit(1)) is None:
        return
    now = utcnow()
    legacy = SigningKey(purpose=KEY_PURPOSE, secret=_legacy_key.decode("utf-8"), created_at=now, retired_at=now,
                        note="Clé secrète de l'application, qui signait les certificats émis avant les clés de signature")
    db.add(legacy)
    db.flush()
    db.execute(update(Certificate).where(Certificate.key_id.is_(None)).values(key_id=legacy.id))


def rotate_key(db: Session) -> SigningKey:
    """Retire the active key (it keeps verifying what it signed) and make a new one. Flushes, never commits."""
    current = active_key(db)
    current.retired_at = utcnow()
    db.flush()
    key = SigningKey(purpose=KEY_PURPOSE, secret=secrets.token_hex(32), note="Clé de signature des certificats",
                     created_at=utcnow())
    db.add(key)
    db.flush()
    return key


def verification_code(key: bytes, reference: str, kind: str, subject: str, issued_at: datetime,
                      content_sha256: str) -> str:
    if not key:
        raise RuntimeError("no key to sign or verify this certificate")
    envelope = {"reference": reference, "kind": kind, "subject": subject,
                "issued_at": issued_at.replace(microsecond=0).isoformat(), "content_sha256": content_sha256}
    digest = hmac.new(key, canonical(envelope).encode("utf-8"), hashlib.sha256).hexdigest()[:16].upper()
    return "-".join(digest[i:i + 4] for i in range(0, 16, 4))


def code_of(db: Session, cert: Certificate) -> str | None:
    """The code this certificate's stored facts should carry under its key (None: the key is unknown here)."""
    key = _secret(db, cert.key_id)
    if key is None:
        return None
    return verification_code(key, cert.reference, cert.kind, cert.subject, cert.issued_at, cert.content_sha256)


def new_reference(kind: str, year: int) -> str:
    return f"{PREFIXES[kind]}-{year}-{''.join(secrets.choice(ALPHABET) for _ in range(8))}"


def normalise_reference(raw: str) -> str:
    parts = re.sub(r"\s+", "", str(raw or "")).upper()[:40].split("-")
    return "-".join(parts[:1] + [p.replace("O", "0").replace("I", "1").replace("L", "1") for p in parts[1:]])


def normalise_code(raw: str) -> str:
    text = re.sub(r"[^0-9A-Fa-f]", "", str(raw or "")).upper()[:16]
    return "-".join(text[i:i + 4] for i in range(0, len(text), 4))


def latest(db: Session, kind: str, subject: str) -> Certificate | None:
    return db.scalar(select(Certificate).where(Certificate.kind == kind, Certificate.subject == subject)
                     .order_by(Certificate.issued_at.desc(), Certificate.id.desc()).limit(1))


def issue(db: Session, actor, kind: str, subject: str, site_id: int | None, content: dict) -> Certificate:
    """The certificate of this content (the one already issued, or a new one). Flushes, never commits."""
    digest = sha256(content)
    existing = db.scalar(select(Certificate).where(Certificate.kind == kind, Certificate.subject == subject,
                                                   Certificate.content_sha256 == digest))
    if existing is not None:
        return existing
    now = utcnow().replace(microsecond=0)
    key = active_key(db)
    for _attempt in range(5):
        reference = new_reference(kind, now.year)
        cert = Certificate(reference=reference, kind=kind, subject=subject, site_id=site_id, content=content,
                           content_sha256=digest, issued_at=now,
                           code=verification_code(key.secret.encode("utf-8"), reference, kind, subject, now, digest),
                           key_id=key.id,
                           issued_by_id=getattr(actor, "id", None),
                           issued_by_name=(getattr(actor, "display_name", "") or "")[:120])
        try:
            with db.begin_nested():
                db.add(cert)
                db.flush()
        except IntegrityError:
            # Another desk issued the same content at the same second, or (rarely) the reference was taken.
            existing = db.scalar(select(Certificate).where(Certificate.kind == kind, Certificate.subject == subject,
                                                           Certificate.content_sha256 == digest))
            if existing is not None:
                return existing
            continue
        return cert
    raise RuntimeError("could not draw a free certificate reference")  # pragma: no cover


def find(db: Session, reference: str) -> Certificate:
    ref = normalise_reference(reference)
    cert = db.scalar(select(Certificate).where(Certificate.reference == ref)) if REFERENCE_PATTERN.fullmatch(ref) \
        else None
    if cert is None:
        shown = str(reference or "").strip()[:40]
        raise NotFound(f"Aucun certificat ne porte la référence « {shown} ». Vérifiez la référence imprimée en bas "
                       "du document (par exemple EFF-2026-7K3M9QXA) : un document dont la référence est inconnue "
                       "n'a pas été émis par ce réseau.")
    return cert


@dataclass
class Verification:
    certificate: Certificate
    intact: bool  # stored content still matches its hash and its code (nothing altered in the database)
    current: bool | None  # the records still say the same (None: cannot be rebuilt)
    newer: Certificate | None  # a later certificate of the same subject
    code_given: str
    code_matches: bool | None  # None: no code typed

    @property
    def ok(self) -> bool:
        return self.intact and self.code_matches is not False

    @property
    def disclosed(self) -> bool:
        """What the certificate covers is shown only to a reader holding its verification code."""
        return self.code_matches is True


def verify(db: Session, reference: str, code: str | None = None, *, rebuild=None) -> Verification:
    """Check a certificate: integrity of the stored copy, the code typed by the reader, and (only when
    that code matches) whether the records still say the same (``rebuild(db, cert) -> content | None``)
    and whether a newer certificate of the same subject exists. Without the code, a reader learns only
    that the reference exists."""
    cert = find(db, reference)
    expected = code_of(db, cert)
    intact = sha256(cert.content) == cert.content_sha256 and expected is not None and hmac.compare_digest(
        expected, cert.code)
    given = normalise_code(code) if code else ""
    matches = None if not given else hmac.compare_digest(given, cert.code)
    if not matches:
        return Verification(cert, intact, None, None, given, matches)
    current = None
    if rebuild is not None:
        try:
            content = rebuild(db, cert)
        except Exception:  # noqa: BLE001 - a record gone or unreadable: "cannot say", not an error page
            content = None
        current = None if content is None else sha256(content) == cert.content_sha256
    newer = latest(db, cert.kind, cert.subject)
    if newer is not None and newer.id == cert.id:
        newer = None
    return Verification(cert, intact, current, newer, given, matches)
