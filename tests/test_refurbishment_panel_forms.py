"""The workshop panel's forms, written once per set of inputs and filled per device (refurbishment/panel_forms.py):
each is exactly what its template writes for that device, and a template that reads an undeclared value fails."""

import re

import jinja2
import pytest

from refurb.accounts.services import get_user
from refurb.inventory import services as inventory
from refurb.refurbishment.panel_forms import panel_form
from refurb.refurbishment.views import panel_context


def _devices(workshop) -> list[str]:
    """Devices whose panels show every form, open and closed, with and without a price cap; two of them wait for
    the same form with the same data, but not for the same repair."""
    received, repairing, ready = workshop.donation(kind="public_body", devices=[{"category": "laptop"}] * 3)
    workshop.diagnose(repairing, verdict="repair", failed=("keyboard",))
    workshop.ready(ready)
    company_ready, company_received, company_repairing = workshop.donation(kind="company",
                                                                           devices=[{"category": "laptop"}] * 3)
    workshop.ready(company_ready, grade="A")
    workshop.diagnose(company_repairing, verdict="repair", failed=("screen", "wifi"))
    return [received, repairing, ready, company_ready, company_received, company_repairing]


def test_each_form_of_the_panel_is_what_its_template_writes_for_the_device(app, workshop):
    tags = _devices(workshop)
    env = app.jinja_env
    seen = set()
    with app.test_request_context("/"), app.extensions["refurb.db"].session() as db:
        user = get_user(db, "tech")
        for round_ in range(2):  # the second round fills the forms written in the first
            for tag in tags:
                device = inventory.get_device(db, user, tag)
                rp = panel_context(db, user, device)["rp"]
                for key in rp["forms"]:
                    primary = key == rp["primary"]
                    direct = env.get_template(f"refurbishment/_form_{key}.html").render(
                        device=device, rp=rp, f=rp["forms"][key], primary=primary)
                    assert panel_form(device, rp, key, primary) == direct, (tag, key, round_)
                    assert f"/{tag}/" in direct and f'name="expected_version" value="{device.version}"' in direct
                    seen.add(key)
    assert seen == {"diagnosis", "erasure", "destruction", "repair", "grading", "sale", "gift"}


def test_a_refused_form_shows_its_errors_and_what_was_typed(app, workshop):
    [tag] = workshop.donation(kind="company")
    with app.test_request_context("/"), app.extensions["refurb.db"].session() as db:
        user = get_user(db, "tech")
        device = inventory.get_device(db, user, tag)
        rp = panel_context(db, user, device, form="destruction", data={"recycler_name": "<Recyclage & Fils>"},
                           errors={"destroyed_by": "Choisissez qui a détruit les supports."})["rp"]
        html = panel_form(device, rp, "destruction")
    assert "Choisissez qui a détruit les supports." in html and 'aria-invalid="true"' in html
    assert "&lt;Recyclage &amp; Fils&gt;" in html and "<Recyclage" not in html


def test_a_form_whose_data_cannot_be_a_key_is_rendered_as_it_is(app, workshop):
    [tag] = workshop.donation(kind="company")
    with app.test_request_context("/"), app.extensions["refurb.db"].session() as db:
        user = get_user(db, "tech")
        device = inventory.get_device(db, user, tag)
        rp = panel_context(db, user, device)["rp"]
        rp["forms"]["destruction"]["data"]["method"] = {"broyage"}  # a set: no key
        direct = app.jinja_env.get_template("refurbishment/_form_destruction.html").render(
            device=device, rp=rp, f=rp["forms"]["destruction"], primary=False)
        assert panel_form(device, rp, "destruction") == direct
        assert "broyage" in direct


def test_two_pages_fill_the_same_written_form_each_with_its_own_device_and_token(client, login_as, workshop):
    first, second = workshop.donation(kind="company", devices=[{"category": "laptop"}] * 2)
    workshop.diagnose(second)  # its version moves on
    login_as("tech")
    pages = {tag: client.get(f"/d/{tag}").get_data(as_text=True) for tag in (first, second)}
    for tag, html in pages.items():
        [action] = re.findall(r'action="([^"]+/destruction)"', html)
        assert action == f"/atelier/appareils/{tag}/destruction"
        version = workshop.get(tag).version
        form = html[html.index(action):]
        assert re.search(r'name="expected_version" value="(\d+)"', form).group(1) == str(version)
        tokens = set(re.findall(r'name="csrf_token" value="([^"]+)"', html))
        assert len(tokens) == 1 and "x-refurb" not in html


def test_a_form_template_that_reads_an_undeclared_value_fails(app, workshop):
    [tag] = workshop.donation(kind="company")
    strict, kinds = app.extensions["refurb.written"]
    written = kinds.setdefault("workshop form", {})
    loader, saved = strict.loader, dict(written)
    strict.loader = jinja2.ChoiceLoader([jinja2.DictLoader({
        "refurbishment/_form_destruction.html": "<form>{{ device.category }}</form>"}), loader])
    strict.cache.clear()
    written.clear()
    try:
        with app.test_request_context("/"), app.extensions["refurb.db"].session() as db:
            user = get_user(db, "tech")
            device = inventory.get_device(db, user, tag)
            rp = panel_context(db, user, device)["rp"]
            with pytest.raises(jinja2.UndefinedError):
                panel_form(device, rp, "destruction")
    finally:
        strict.loader = loader
        strict.cache.clear()
        written.clear()
        written.update(saved)
