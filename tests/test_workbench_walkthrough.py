"""What a first walkthrough asked of every page and of the workbench: a one-row header with the role's
menus, a favicon, a French command line, "reconditionné" for ready devices, one action area per device
page with its dangerous moves apart, undo of one's last step, a quicker diagnosis and grade, a queue
grouped by what devices wait for."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from conftest import csrf_token, login


HELPS = [(), ("serve",), ("db",), ("users", "create")]
_SEPARATOR = "\n=== fin de l'aide ===\n"


@pytest.fixture(scope="module")
def helps() -> dict[tuple, str]:
    """Each help as ``refurb … --help`` prints it, read in one process (an import of the app each costs seconds)."""
    script = ("import sys\nfrom refurb.cli import main\n"
              f"for args in {HELPS!r}:\n"
              "    sys.argv = ['refurb', *args, '--help']\n"
              "    try:\n        main()\n    except SystemExit as done:\n        assert not done.code, done.code\n"
              f"    print({_SEPARATOR!r}, end='', flush=True)\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    outs = result.stdout.split(_SEPARATOR)
    assert len(outs) == len(HELPS) + 1, result.stdout
    return dict(zip(HELPS, outs))


@pytest.mark.not_dated
@pytest.mark.parametrize("args", HELPS)
def test_the_command_line_help_is_in_french(helps, args):
    out = helps[args]
    assert out.startswith("Utilisation : refurb")
    for english in ("Usage:", "Show this message", "Commands:", "--env-file", "Run a development server",
                    "Show the routes", "Run a shell", "[default:", " TEXT ", " INTEGER "):
        assert english not in out, (english, out)
    if not args:
        assert "Commandes:" in out and "serve" in out and "routes" not in out and "shell" not in out


@pytest.mark.not_dated
def test_serve_help_says_what_demo_does_to_an_existing_database_and_how_to_pick_a_port(helps):
    out = " ".join(helps[("serve",)].split())
    assert "Base existante : ses données sont gardées" in out
    assert "--port 8080" in out


def test_the_favicon_is_linked_and_served(client, login_as):
    html = login_as("tech").get("/atelier/").get_data(as_text=True)
    match = re.search(r'<link rel="icon" href="([^"]+)"', html)
    assert match
    assert client.get(match.group(1)).status_code == 200
    ico = client.get("/favicon.ico")
    assert ico.status_code == 200 and ico.data[:4] == b"\0\0\1\0"


def _menus(html: str) -> list[str]:
    nav = html.split('aria-label="Menu principal"', 1)[1].split("</nav>", 1)[0]
    return re.findall(r"<summary[^>]*>([^<]+)</summary>", nav)


@pytest.mark.parametrize("user, menus", [
    ("tech", ["Atelier", "Stock", "Documents"]),
    ("desk", ["Atelier", "Prêts", "Stock", "Documents"]),
    ("admin", ["Atelier", "Prêts", "Stock", "Documents", "Administration"]),
])
def test_the_header_groups_the_menus_the_role_may_use(login_as, user, menus):
    html = login_as(user).get("/d/INCONNU").get_data(as_text=True)
    assert _menus(html) == menus


def test_the_menus_mark_the_page_shown_for_each_role_and_page(login_as):
    """The menus are written once per role and page, with the header (``web.layout.site_header``): each page still
    marks itself, and a role never gets another role's menus."""
    def marked(html: str) -> tuple[list[str], list[str]]:
        nav = html.split('aria-label="Menu principal"', 1)[1].split("</nav>", 1)[0]
        return (re.findall(r'<summary aria-current="true">([^<]+)</summary>', nav),
                re.findall(r'aria-current="page">([^<]+)</a>', nav))

    tech = login_as("tech")
    for _ in range(2):  # written, then remembered
        assert marked(tech.get("/atelier/").get_data(as_text=True)) == (["Atelier"], ["File de l&#39;atelier"])
        assert marked(tech.get("/stock").get_data(as_text=True)) == (["Stock"], ["Stock par site"])
        assert marked(tech.get("/d/INCONNU").get_data(as_text=True)) == ([], [])
    # under a URL prefix (Refurb behind a proxy at /refurb/), the same role and page have their own links
    prefixed = tech.get("/stock", base_url="http://localhost/refurb/").get_data(as_text=True)
    assert marked(prefixed) == (["Stock"], ["Stock par site"]) and 'href="/refurb/atelier/"' in prefixed
    assert 'href="/atelier/"' in tech.get("/stock").get_data(as_text=True)
    tech.post("/logout", data={"csrf_token": csrf_token(tech, "/stock")})
    admin = login_as("admin")
    html = admin.get("/stock").get_data(as_text=True)
    assert marked(html) == (["Stock"], ["Stock par site"]) and _menus(html)[-1] == "Administration"


def test_the_header_scan_box_is_not_shown_twice_on_the_workshop_queue(login_as):
    client = login_as("tech")
    queue = client.get("/atelier/").get_data(as_text=True)
    assert 'id="scan-box"' not in queue and 'id="workshop-scan"' in queue
    assert 'id="scan-box"' in client.get("/appareils/").get_data(as_text=True)


def test_the_site_switch_waits_for_its_button(login_as):
    html = login_as("desk").get("/appareils/").get_data(as_text=True)
    form = html.split('class="site-switch"', 1)[1].split("</form>", 1)[0]
    assert "data-autosubmit" not in form and "onchange" not in form
    assert ">Changer de site</button>" in form


# --- undo one's last step ---------------------------------------------------------------------------

from datetime import timedelta  # noqa: E402

import time_machine  # noqa: E402

from refurb.accounts.services import get_user  # noqa: E402
from refurb.clock import utcnow  # noqa: E402
from refurb.errors import Conflict  # noqa: E402
from refurb.inventory import services as inventory  # noqa: E402
from refurb.refurbishment import services as refurb  # noqa: E402


def _undo(workshop, tag, username):
    with workshop.session() as db:
        user = get_user(db, username)
        device = inventory.get_device(db, user, tag)
        event = inventory.undo_last_move(db, user, device)
        return event.from_state, event.to_state


def _move_as(workshop, tag, to_state, username):
    return workshop._do(tag, lambda db, user, device: refurb.move(db, user, device, to_state) and None, username)


def test_the_author_of_a_move_takes_it_back_within_minutes_and_the_history_keeps_both(workshop):
    tag = workshop.device()
    workshop.diagnose(tag)
    workshop.erase(tag)
    workshop.grade(tag)
    _move_as(workshop, tag, "ready", "tech")
    assert _undo(workshop, tag, "tech") == ("ready", "diagnosing")
    assert workshop.state(tag) == "diagnosing"
    assert workshop.events(tag)[-2:] == ["transition", "undo"]


def test_only_the_author_within_the_window_and_when_nothing_happened_since(workshop):
    tag = workshop.device()
    workshop.diagnose(tag)
    workshop.erase(tag)
    _move_as(workshop, tag, "ready", "tech")
    with pytest.raises(Conflict, match="Seule la personne qui a fait cette étape"):
        _undo(workshop, tag, "admin")
    with time_machine.travel(utcnow() + timedelta(minutes=11), tick=False):
        with pytest.raises(Conflict, match="délai d'annulation"):
            _undo(workshop, tag, "tech")
    workshop.grade(tag)  # something happened since: nothing to take back
    with pytest.raises(Conflict, match="n'est pas un changement d'état"):
        _undo(workshop, tag, "tech")
    assert workshop.state(tag) == "ready"


def test_the_device_page_offers_the_undo_to_its_author_only(workshop, client, login_as, app):
    tag = workshop.device()
    workshop.diagnose(tag)
    _move_as(workshop, tag, "repairing", "tech")
    html = login_as("tech").get(f"/d/{tag}").get_data(as_text=True)
    assert "Annuler cette étape" in html and "En diagnostic → En réparation" in html
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    done = client.post(f"/d/{tag}/annuler", data={"csrf_token": token})
    assert done.status_code == 303 and workshop.state(tag) == "diagnosing"
    _move_as(workshop, tag, "repairing", "tech")
    other = app.test_client()
    assert login(other, "admin").status_code == 302
    assert "Annuler cette étape" not in other.get(f"/d/{tag}").get_data(as_text=True)


# --- the device page's one action area ----------------------------------------------------------------

def test_dangerous_moves_sit_apart_each_with_what_happens(workshop, login_as):
    tag = workshop.device(category="screen")  # no storage: recycling and parts are allowed at once
    workshop.diagnose(tag)
    html = login_as("tech").get(f"/d/{tag}").get_data(as_text=True)
    assert html.count('id="refurb-panel"') == 1 and "Étapes possibles" not in html
    zone = html.split('class="danger-zone"', 1)[1].split("</details>\n  {% endif %}", 1)[0]
    for label, consequence in (("Démonter pour pièces", "compté en pièces détachées"),
                               ("Recycler (DEEE)", "compté recyclé (DEEE)"),
                               ("Déclarer perdu ou volé", "sera déclaré perdu ou volé")):
        assert label in zone and consequence in zone
    before_zone = html.split('class="danger-zone"', 1)[0]
    assert 'name="to" value="parts"' not in before_zone and 'name="to" value="recycled"' not in before_zone
    assert "hx-confirm" not in html and "onclick" not in html


def test_a_device_in_the_loan_pool_does_not_offer_to_declare_it_ready_again(workshop, login_as):
    tag = workshop.ready(workshop.device())
    workshop.move(tag, "loan_pool")
    html = login_as("tech").get(f"/d/{tag}").get_data(as_text=True)
    assert "Parc de prêt" in html
    assert "Déclarer reconditionné" not in html and "Déclarer prêt" not in html
    assert "Retirer du parc de prêt" in html


# --- diagnosis and grade in a few keystrokes --------------------------------------------------------

def test_the_diagnosis_form_has_a_tout_ok_button(workshop, login_as):
    tag = workshop.device()
    html = login_as("tech").get(f"/d/{tag}").get_data(as_text=True)
    assert 'data-all-pass="pass"' in html and ">Tout OK</button>" in html


def _csrf(html):
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_grade_and_declare_reconditionne_in_one_step_when_every_condition_holds(workshop, client, login_as):
    tag = workshop.device()
    workshop.diagnose(tag, battery=81)
    workshop.erase(tag)
    html = login_as("tech").get(f"/d/{tag}").get_data(as_text=True)
    assert 'name="then" value="ready"' in html and "Enregistrer et déclarer prêt à la vente" in html
    assert 'id="gr-battery-health" name="battery_health" type="number" value="81"' in html
    done = client.post(f"/atelier/appareils/{tag}/grade", data={
        "csrf_token": _csrf(html), "grade": "A", "functional": "full", "battery_health": "81", "then": "ready"})
    assert done.status_code == 303
    assert workshop.state(tag) == "ready" and workshop.get(tag).grade == "A"
    assert workshop.events(tag)[-2:] == ["grading", "transition"]


def test_grade_and_declare_is_not_offered_nor_done_while_a_condition_is_missing(workshop, client, login_as):
    tag = workshop.device()
    workshop.diagnose(tag)  # no erasure yet
    html = login_as("tech").get(f"/d/{tag}").get_data(as_text=True)
    assert 'name="then" value="ready"' not in html
    refused = client.post(f"/atelier/appareils/{tag}/grade", data={
        "csrf_token": _csrf(html), "grade": "A", "functional": "full", "battery_health": "80", "then": "ready"})
    assert refused.status_code == 422 and "Effacement des données non enregistré" in refused.get_data(as_text=True)
    assert workshop.state(tag) == "diagnosing" and workshop.get(tag).grade is None  # nothing recorded


def test_the_grade_form_never_prefills_a_battery_measured_before_a_battery_replacement(workshop, client, login_as):
    tag = workshop.device()
    workshop.diagnose(tag, verdict="repair", failed=("battery",), battery=31)
    workshop.repair(tag, fixed=("battery",))
    html = login_as("tech").get(f"/d/{tag}").get_data(as_text=True)
    assert 'id="gr-battery-health" name="battery_health" type="number" value=""' in html
    with workshop.session() as db:
        user = get_user(db, "tech")
        device = inventory.get_device(db, user, tag)
        with pytest.raises(Exception, match="batterie"):  # the service does not fall back on it either
            refurb.record_grading(db, user, device, {"grade": "B"})
    workshop.grade(tag, battery=97)  # measured on the new battery: shown from now on
    html = client.get(f"/d/{tag}").get_data(as_text=True)
    assert 'id="gr-battery-health" name="battery_health" type="number" value="97"' in html


# --- the workshop queue and the search ---------------------------------------------------------------

def test_the_queue_groups_by_what_devices_wait_for_and_shows_their_state_apart(workshop, login_as):
    waiting = workshop.device()
    repairing = workshop.device()
    workshop.diagnose(repairing, verdict="repair", failed=("screen",))
    html = login_as("tech").get("/atelier/").get_data(as_text=True)
    diagnose = html.split('id="step-diagnose"', 1)[1].split("</section>", 1)[0]
    repair = html.split('id="step-repair"', 1)[1].split("</section>", 1)[0]
    assert waiting in diagnose and repairing in repair
    assert "À réparer" in repair and 'data-label="État actuel"><span class="badge badge--repairing">En réparation' in repair
    assert 'class="stack-table"' in html


def test_the_device_search_matches_category_names(make_device, login_as):
    router = make_device(category="router", brand="Huawei", model="E5576")
    laptop = make_device(category="laptop", brand="Dell")
    client = login_as("tech")
    html = client.get("/devices?q=routeur").get_data(as_text=True)
    assert router in html and laptop not in html
    html = client.get("/devices?q=Ecran").get_data(as_text=True)
    assert router not in html
