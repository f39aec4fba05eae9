"""The form fields written in Python (refurb/web/fields.py): labels, hints and errors tied to their field,
every value escaped, and the workshop's forms on the device page built from them."""

from __future__ import annotations

import re

from refurb.web import fields

HOSTILE = '"><script>alert(1)</script>'


def test_an_input_ties_its_label_hint_and_error_and_escapes_what_it_prints():
    html = fields.input("er", "tool_version", f"Version {HOSTILE}", HOSTILE, required=True, hint=HOSTILE,
                        attrs='maxlength="40"')
    assert '<label for="er-tool-version">Version &#34;&gt;&lt;script&gt;' in html
    assert '<span aria-hidden="true">*</span>' in html and " required" in html
    assert 'value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in html
    assert 'aria-describedby="er-tool-version-hint"' in html and '<small id="er-tool-version-hint">&#34;&gt;' in html
    assert 'maxlength="40">' in html  # the template's own attributes, as written
    assert "<script>" not in html

    refused = fields.input("er", "media_serial", "N° de série", "", errors={"media.1.serial": HOSTILE},
                           key="media.1.serial", suffix="-1", hint="jamais montré avec une erreur")
    assert 'id="er-media-serial-1"' in refused
    assert 'aria-invalid="true" aria-describedby="er-media-serial-1-err"' in refused
    assert '<small id="er-media-serial-1-err" class="field-error">&#34;&gt;&lt;script&gt;' in refused
    assert "jamais montré" not in refused and "<script>" not in refused
    assert 'value=""' in fields.input("f", "n", "N", None)


def test_a_select_marks_the_chosen_option_and_escapes_values_and_texts():
    html = fields.select("er", "method", "Méthode", [("overwrite", "Réécriture"), (HOSTILE, HOSTILE)], "overwrite",
                         empty="— choisir —", required=True)
    options = re.findall(r"<option[^>]*>[^<]*</option>", html)
    assert options[0] == '<option value="">— choisir —</option>'
    assert options[1] == '<option value="overwrite" selected>Réécriture</option>'
    assert "<script>" not in html and options[2].startswith('<option value="&#34;&gt;&lt;script&gt;')
    assert '<select id="er-method" name="method" required>' in html


def test_a_checkbox_sends_zero_when_unticked_and_a_textarea_keeps_its_text():
    box = fields.checkbox("sl", "eligible", "Acheteur éligible", True, errors={"eligible": "À cocher"})
    assert box.index('type="hidden" name="eligible" value="0"') < box.index('type="checkbox" name="eligible"')
    assert ' checked aria-invalid="true" aria-describedby="sl-eligible-err"' in box
    area = fields.textarea("er", "notes", "Observations", f"</textarea>{HOSTILE}", rows=3)
    assert 'rows="3" maxlength="2000">&lt;/textarea&gt;&#34;&gt;&lt;script&gt;' in area and "<script>" not in area


def test_form_errors_say_the_general_refusal_then_each_field():
    assert fields.form_errors({}) == ""
    html = fields.form_errors({"_": "Appareil déjà vendu.", "price": f"Prix {HOSTILE}"})
    assert "Refusé — rien n'a été enregistré.</strong> Appareil déjà vendu." in html
    assert "<li>Prix &#34;&gt;&lt;script&gt;" in html and "<script>" not in html


def test_the_csrf_field_carries_the_sessions_token(app):
    with app.test_request_context("/"):
        html = fields.csrf()
        token = re.fullmatch(r'<input type="hidden" name="csrf_token" value="([^"]+)">', str(html)).group(1)
        assert token == fields.generate_csrf()  # one token for every form of the page
