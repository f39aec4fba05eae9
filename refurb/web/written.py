"""Markup written once and filled for each page: the page header (``web.layout.site_header``) and the workshop
panel's forms (``refurbishment.panel_forms``).

Such markup is the same on every page for the same inputs but for a few values of the request (its CSRF token,
its path, the device's tag). It is written once for each key (everything else it shows) with a placeholder for
each of those values, split on them, then joined with the request's values, escaped. The caller puts in the key
everything the markup shows; the markup is written in a ``StrictUndefined`` environment from the values the caller
gives alone, so a template that comes to read anything else fails at once (in the tests) instead of keeping the
value of the first page written.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from flask import current_app
from jinja2 import Environment, StrictUndefined
from markupsafe import Markup, escape


def init_app(app) -> None:
    # the strict environment the markup is written in, and the markup written, by kind and key
    app.extensions["refurb.written"] = (app.jinja_env.overlay(undefined=StrictUndefined), {})


def strict_environment() -> Environment:
    return current_app.extensions["refurb.written"][0]


def written(kind: str, key, write: Callable[[Environment], str], values: dict[str, str], *, most: int) -> Markup:
    """The markup of ``kind`` for ``key``: ``write(environment)`` renders it once with each placeholder (a key of
    ``values``, spelled as no other text of that markup is) where the request's value goes; it is then filled with
    ``values``, escaped (a ``Markup`` value is taken as it is). At most ``most`` keys of a kind are kept, then all
    are forgotten at once; in debug mode none is (a developer's edit of a template shows at once)."""
    app = current_app._get_current_object()
    strict, kinds = app.extensions["refurb.written"]
    store = kinds.setdefault(kind, {})
    parts = store.get(key)
    if parts is None:
        parts = _splitter(tuple(values)).split(write(strict))  # the markup, then each placeholder and what follows
        if len(store) >= most:
            store.clear()
        if not app.debug:
            store[key] = parts
    return Markup("".join([escape(values[part]) if i % 2 else part for i, part in enumerate(parts)]))


@lru_cache(maxsize=16)
def _splitter(placeholders: tuple[str, ...]) -> re.Pattern:
    return re.compile("(" + "|".join(re.escape(p) for p in placeholders) + ")")
