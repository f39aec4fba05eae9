"""What a first walkthrough asked of every page and of the workbench: a one-row header with the role's
menus, a favicon, a French command line, "reconditionné" for ready devices, one action area per device
page with its dangerous moves apart, undo of one's last step, a quicker diagnosis and grade, a queue
grouped by what devices wait for."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest


def _refurb(*args: str) -> str:
    result = subprocess.run([sys.executable, "-c", "from refurb.cli import main; main()", *args],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("args", [(), ("serve",), ("db",), ("users", "create")])
def test_the_command_line_help_is_in_french(args):
    out = _refurb(*args, "--help")
    assert out.startswith("Utilisation : refurb")
    for english in ("Usage:", "Show this message", "Commands:", "--env-file", "Run a development server",
                    "Show the routes", "Run a shell", "[default:", " TEXT ", " INTEGER "):
        assert english not in out, (english, out)
    if not args:
        assert "Commandes:" in out and "serve" in out and "routes" not in out and "shell" not in out


def test_serve_help_says_what_demo_does_to_an_existing_database_and_how_to_pick_a_port():
    out = " ".join(_refurb("serve", "--help").split())
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
