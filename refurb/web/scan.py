"""The global scan box: a code (typed or scanned) goes to what it names.

Each area registers a resolver (devices by asset tag or serial, borrowers by card…);
the first one that recognises the code wins. A resolver answers a link to open, or a ``Handover``: the code
is handed to a form (a card presented at the desk changes what the desk holds, so only a POST of the scan
box, with its CSRF token, may do it; a link or a typed address only shows the form filled in).
"""

from __future__ import annotations

import re
from typing import Callable, NamedTuple

from sqlalchemy.orm import Session


class Handover(NamedTuple):
    """The code goes to ``form`` by POST (the scan box's own POST, sent on with a 307); by GET, ``page``
    shows that form filled in, and changes nothing."""
    form: str
    page: str


Resolver = Callable[[Session, object, str], "str | Handover | None"]
RESOLVERS: list[Resolver] = []
MAX_CODE_LENGTH = 200


def register_resolver(resolver: Resolver) -> Resolver:
    if resolver not in RESOLVERS:
        RESOLVERS.append(resolver)
    return resolver


def normalise(code: str) -> str:
    """Strip what scanners add; a scanned QR code of a device URL gives its tag."""
    code = (code or "").strip()
    match = re.search(r"/d/([A-Za-z0-9-]+)/?$", code)
    if match:
        return match.group(1)
    return code


def resolve(db: Session, user, code: str) -> str | Handover | None:
    code = normalise(code)
    if not code or len(code) > MAX_CODE_LENGTH:
        return None
    for resolver in RESOLVERS:
        url = resolver(db, user, code)
        if url:
            return url
    return None
