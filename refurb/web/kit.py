"""The web kit: how every page answers, in one place.

The convention (after Hypermedia Systems' Contact.app):
- a form that fails is rendered again with its errors, status 422 (401, 403, 404 and 429 keep their own
  status: who the user is, what they may do, the thing is gone, or they must wait), and for htmx an error tone;
- a form that succeeds answers the partial it updates (htmx), or a 303 redirect to the page that
  shows the result (plain form, Post/Redirect/Get);
- never 204 + ``HX-Location``: that costs a second round trip on the bus's poor connection.

Views call one use case (``refurb.db.use_case``: it commits or rolls back); they never commit.
"""

from __future__ import annotations

import json
from typing import Callable, TypeVar

from flask import flash, redirect, request
from flask.typing import ResponseReturnValue

from ..errors import RefurbError
from ..extensions import htmx

T = TypeVar("T")


def is_htmx() -> bool:
    """An htmx request that wants a partial (a history restore wants the whole page)."""
    return bool(htmx) and not htmx.history_restore_request


def tone(kind: str = "ok") -> dict[str, str]:
    """Headers that make the page play its short success or error sound (static/js/refurb.js)."""
    return {"HX-Trigger": json.dumps({"refurb:tone": {"kind": kind}})}


def page_number(name: str = "page", last: int = 100_000) -> int:
    raw = request.args.get(name, "1")
    return max(1, min(last, int(raw))) if raw.isdigit() and len(raw) <= 6 else 1


def see_other(url: str, message: str | None = None, kind: str = "success") -> ResponseReturnValue:
    """Success of a plain form: say it on the next page, and go there (303: the browser GETs it)."""
    if message:
        flash(message, kind)
    return redirect(url, 303)


def refused(body: ResponseReturnValue, err: RefurbError) -> ResponseReturnValue:
    """The form again, with status 422 (401, 403, 404 or 429 when the refusal says so) and, for htmx, the error tone."""
    status = err.status if err.status in (401, 403, 404, 429) else 422
    return body, status, (tone("error") if is_htmx() else {})


def submit(action: Callable[[], T], *, done: Callable[[T], ResponseReturnValue],
           failed: Callable[[RefurbError], ResponseReturnValue]) -> ResponseReturnValue:
    """Run one use case for a form: ``done(result)`` on success, ``failed(error)`` re-rendered on refusal."""
    try:
        result = action()
    except RefurbError as err:
        return refused(failed(err), err)
    return done(result)
