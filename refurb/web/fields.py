"""Form fields with their label, their hint and their error tied by ``aria-describedby``: the workshop's
forms (several share the device page, so every id carries the form's prefix) and the CSRF field of every form.

Written in Python rather than as Jinja macros because the device page renders up to a hundred of them on each
scan: a macro call costs about ten times this function's work (``docs/ARCHITECTURE.md``, "What every request
reads is kept cheap"). Templates call them through Jinja globals, ``{{ fields.input(…) }}`` and ``{{ csrf() }}``,
not through a ``{% from … import %}``: Jinja compares every global's name at each import, and a device page
includes a form template up to seven times. Every value is escaped here; ``attrs`` (written in the templates,
never from a request) is the only markup taken as it is.
"""

from __future__ import annotations

from flask import g
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

_NO_ERRORS: dict = {}


def csrf() -> Markup:
    """The hidden CSRF field of a form (Flask-WTF's token of the session), written once per request: a device page
    has up to a dozen forms."""
    field = g.get("csrf_field")
    if field is None:
        field = g.csrf_field = Markup('<input type="hidden" name="csrf_token" value="%s">' % escape(generate_csrf()))
    return field


def _label(id_: str, label, required: bool) -> str:
    star = ' <span aria-hidden="true">*</span>' if required else ""
    return f'<label for="{id_}">{escape(label)}{star}</label>'


def _parts(form: str, name: str, suffix: str, errors, key, hint) -> tuple[str, str, str]:
    """A field's id (the form's prefix, its name, ``suffix``), its attributes that point at its error (else its
    hint), and that error or hint to print under it."""
    id_ = escape(f"{form}-{name.replace('_', '-')}{suffix}")
    err = errors.get(key or name)
    if err:
        return (id_, f' aria-invalid="true" aria-describedby="{id_}-err"',
                f'<small id="{id_}-err" class="field-error">{escape(err)}</small>')
    if hint:
        return id_, f' aria-describedby="{id_}-hint"', f'<small id="{id_}-hint">{escape(hint)}</small>'
    return id_, "", ""


def input(form: str, name: str, label, value="", type: str = "text", errors=_NO_ERRORS, key=None,  # noqa: A002
          required: bool = False, attrs: str = "", hint="", suffix: str = "") -> Markup:
    """A labelled ``<input>``; ``key``: the service's field key of its error (default ``name``)."""
    id_, described, note = _parts(form, name, suffix, errors, key, hint)
    value = "" if value is None else value
    return Markup(
        f'{_label(id_, label, required)}\n'
        f'<input id="{id_}" name="{escape(name)}" type="{escape(type)}" value="{escape(value)}"'
        f'{" required" if required else ""}{described} {attrs}>\n{note}')


def textarea(form: str, name: str, label, value="", errors=_NO_ERRORS, key=None, required: bool = False,
             rows: int = 2, maxlength: int = 2000, hint="") -> Markup:
    id_, described, note = _parts(form, name, "", errors, key, hint)
    return Markup(
        f'{_label(id_, label, required)}\n'
        f'<textarea id="{id_}" name="{escape(name)}" rows="{escape(rows)}" maxlength="{escape(maxlength)}"'
        f'{" required" if required else ""}{described}>{escape(value or "")}</textarea>\n{note}')


def select(form: str, name: str, label, options, selected="", errors=_NO_ERRORS, key=None, required: bool = False,
           empty=None, suffix: str = "", hint="") -> Markup:
    """A labelled ``<select>`` of ``options`` (value, text) pairs; ``empty``: the text of a first empty choice."""
    id_, described, note = _parts(form, name, suffix, errors, key, hint)
    choices = [] if empty is None else [f'<option value="">{escape(empty)}</option>']
    choices += [f'<option value="{escape(value)}"{" selected" if value == selected else ""}>{escape(text)}</option>'
                for value, text in options]
    return Markup(
        f'{_label(id_, label, required)}\n'
        f'<select id="{id_}" name="{escape(name)}"{" required" if required else ""}{described}>\n'
        f'{"".join(choices)}\n</select>\n{note}')


def checkbox(form: str, name: str, label, checked: bool = False, errors=_NO_ERRORS, key=None,
             value: str = "1") -> Markup:
    """A checkbox after a hidden "0" of the same name: an unticked box is sent as "0"."""
    id_, described, note = _parts(form, name, "", errors, key, None)
    return Markup(
        f'<input type="hidden" name="{escape(name)}" value="0">\n'
        f'<label for="{id_}"><input id="{id_}" type="checkbox" name="{escape(name)}" value="{escape(value)}"'
        f'{" checked" if checked else ""}{described}> {escape(label)}</label>\n{note}')


def form_errors(errors) -> Markup:
    """What a refused form says above its fields: the general refusal (key ``_``), then each field's error."""
    if not errors:
        return Markup("")
    parts = ['<div class="flash flash--error" role="alert" data-tone="error">']
    if errors.get("_"):
        parts.append(f"<p><strong>Refusé — rien n'a été enregistré.</strong> {escape(errors['_'])}</p>")
    others = [message for name, message in errors.items() if name != "_"]
    if others:
        parts.append("<p><strong>Le formulaire n'a pas été enregistré.</strong> Corrigez :</p>")
        parts.append("<ul>" + "".join(f"<li>{escape(m)}</li>" for m in others) + "</ul>")
    parts.append("</div>")
    return Markup("\n".join(parts))
