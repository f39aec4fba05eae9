"""The workshop panel's forms (``templates/refurbishment/_form_<key>.html``), as the device page prints them.

A device page shows up to seven of these forms on every scan, most of them closed under a ``<details>``: the erasure
and the destruction forms wait on nearly every device that holds a disk. Shown without errors, such a form is the
same markup for every device but for three values: the device's tag (in its URL), its version (the form's
``expected_version``) and the session's CSRF token. It depends otherwise on its data (the defaults of
``views._defaults``, the same for most devices within a minute) and on the few panel values it declares in
``_INPUTS``. So it is written once for each set of those inputs with a placeholder for the three values, then
filled for each page: the device page never shows anything of another device, nor an old state, since all that
varies is in the key.

The written form (``web.written``) is rendered with ``StrictUndefined``, with only the declared inputs and a device
that has only a tag and a version: a template that came to read anything else fails at once (in the tests), instead
of being kept with a value of the first device. A form with errors (refused) or without declared inputs is
rendered as it is, with the whole panel.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

from flask import current_app, request
from markupsafe import Markup

from ..inventory.services import TAG_PATTERN
from ..web.fields import csrf
from ..web.written import written
from . import catalog


def _st(rp: dict) -> dict:
    st = rp["st"]
    return {"unresolved": tuple(st.unresolved),
            "diagnosis": {"failed": tuple(st.diagnosis.failed)} if st.diagnosis else None}


def _price(rp: dict) -> dict:
    price = rp["price"]
    return {"capped": price.capped, "cap": price.cap, "cap_label": price.cap_label, "suggested": price.suggested,
            "confirm_above": price.confirm_above}


# What each form reads besides its data, its errors and whether it is the one open form: (the device's fields
# other than its tag and version, the panel's values), from the device and the panel's context.
_INPUTS: dict[str, Callable[[object, dict], tuple[dict, dict]]] = {
    "erasure": lambda d, rp: ({}, {"catalog": catalog, "max_report_mb": rp["max_report_mb"]}),
    "destruction": lambda d, rp: ({}, {"catalog": catalog}),
    "diagnosis": lambda d, rp: ({}, {"catalog": catalog, "checks": tuple(rp["checks"]), "battery": rp["battery"]}),
    "grading": lambda d, rp: ({}, {"catalog": catalog, "battery": rp["battery"], "finish": rp["finish"] is not None}),
    "repair": lambda d, rp: ({}, {"catalog": catalog, "st": _st(rp)}),
    "sale": lambda d, rp: ({"grade": d.grade}, {"catalog": catalog, "price": _price(rp), "reasons": tuple(rp["reasons"]),
                                                "warranty_months": rp["warranty_months"]}),
    "gift": lambda d, rp: ({}, {"catalog": catalog, "reasons": tuple(rp["reasons"])}),
}

# Lower case: a device's tag never is (``TAG_PATTERN``), and nothing else in a form's markup is spelled so.
_TAG = "x-refurb-tag-x"
_VERSION = "x-refurb-version-x"
_CSRF = "x-refurb-csrf-x"


def init_app(app) -> None:
    app.add_template_global(panel_form)


def panel_form(device, rp: dict, key: str, primary: bool = False) -> Markup:
    """The panel's form ``key`` for ``device`` (``rp``: the panel's context, ``views.panel_context``);
    ``primary``: the form the panel opens first (its first field takes the focus)."""
    form = rp["forms"][key]
    memo = _memo_key(device, rp, key, primary)
    if memo is None:  # a refused form with its errors and what was typed, among others: rendered as it is
        template = current_app.jinja_env.get_template(f"refurbishment/_form_{key}.html")
        return Markup(template.render(device=device, rp=rp, f=form, primary=primary))

    def write(environment) -> str:
        fields, values = _INPUTS[key](device, rp)
        stand_in = SimpleNamespace(asset_tag=_TAG, version=_VERSION, **fields)
        return environment.get_template(f"refurbishment/_form_{key}.html").render(
            device=stand_in, rp=values, f={"data": form["data"], "errors": {}}, primary=primary, csrf=lambda: _CSRF)

    # a few forms × their data (the time of day, a disk size): never 1,000 in a day, but bounded
    return written("workshop form", memo, write,
                   {_TAG: device.asset_tag, _VERSION: str(int(device.version)), _CSRF: csrf()}, most=1000)


def _memo_key(device, rp: dict, key: str, primary: bool) -> tuple | None:
    """What the written form ``key`` depends on, or None when it is rendered as it is: a form with errors, one
    without declared inputs, a device whose tag would need quoting in a URL, a value that cannot be a key."""
    form, inputs = rp["forms"][key], _INPUTS.get(key)
    if inputs is None or form["errors"] or not TAG_PATTERN.fullmatch(device.asset_tag or ""):
        return None
    fields, values = inputs(device, rp)
    memo = (key, primary, _frozen(form["data"]), _frozen(fields), _frozen(values), request.script_root)
    try:
        hash(memo)
    except TypeError:
        return None
    return memo


def _frozen(value):
    """``value`` (texts, numbers, lists and dicts of them, hashable objects) as a key."""
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_frozen(v) for v in value)
    return value
