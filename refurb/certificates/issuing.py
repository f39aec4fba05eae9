"""Issuing and verifying certificates: reference, canonical content, SHA-256, HMAC verification code.

- The *content* is what the certificate states (a JSON-safe dict built by the builders of this area);
  its canonical form is ``json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False)``.
- The *verification code* is HMAC-SHA256 (key: the application's SECRET_KEY, handed over once with
  ``use_key``) over the canonical JSON of {reference, kind, subject, issued_at, content_sha256}, cut to 16
  hex digits and printed as 4 groups.
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

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..db import utcnow
from ..errors import NotFound
from .models import Certificate

PREFIXES = {"erasure": "EFF", "receipt": "ATT", "device": "CRT"}
# Crockford's base 32: no I, L, O, U (nothing to misread on paper).
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
REFERENCE_PATTERN = re.compile(r"(EFF|ATT|CRT)-\d{4}-[0-9A-HJKMNP-TV-Z]{8}")


def canonical(data) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256(data) -> str:
    return hashlib.sha256(canonical(data).encode("utf-8")).hexdigest()


_signing_key: bytes | None = None


def use_key(secret_key: str) -> None:
    """The key that signs every verification code: the application's secret key (``init_app`` hands it over;
    a script that issues or verifies certificates without the web app calls this first)."""
    global _signing_key
    if not secret_key:
        raise ValueError("certificates need a non-empty secret key")
    _signing_key = str(secret_key).encode("utf-8")


def _key() -> bytes:
    if _signing_key is None:
        raise RuntimeError("no key to sign certificates: call refurb.certificates.issuing.use_key(SECRET_KEY)")
    return _signing_key


def verification_code(reference: str, kind: str, subject: str, issued_at: datetime, content_sha256: str) -> str:
    envelope = {"reference": reference, "kind": kind, "subject": subject,
                "issued_at": issued_at.replace(microsecond=0).isoformat(), "content_sha256": content_sha256}
    digest = hmac.new(_key(), canonical(envelope).encode("utf-8"), hashlib.sha256).hexdigest()[:16].upper()
    return "-".join(digest[i:i + 4] for i in range(0, 16, 4))


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
    for _attempt in range(5):
        reference = new_reference(kind, now.year)
        cert = Certificate(reference=reference, kind=kind, subject=subject, site_id=site_id, content=content,
                           content_sha256=digest, issued_at=now,
                           code=verification_code(reference, kind, subject, now, digest),
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
    intact = sha256(cert.content) == cert.content_sha256 and hmac.compare_digest(
        verification_code(cert.reference, cert.kind, cert.subject, cert.issued_at, cert.content_sha256), cert.code)
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
