"""Loans: borrowers, desk check-out and return by scanning, kits, renewals, reservations,
deposits, the self-service kiosk, history and the GDPR duties."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..formatting import plural, plural_word


def device_panel(db, user, device, reads=None):
    """Device page: the current loan and the loan history (names only for staff of the loan's site)."""
    from ..accounts.roles import LOAN_DESK_ROLES, STAFF_ROLES
    from ..clock import today
    from . import services as loans
    from .models import borrower_name, condition_label, days_late

    found = reads.known("loans") if reads is not None else None  # carried by the page's statement
    if found is None:
        found = loans.device_loans(db, device) if reads is None or reads.has("loans") else []
    if not found and device.state not in ("loan_pool", "on_loan"):
        return None
    day = today()
    staff, desk = user.role in STAFF_ROLES, user.role in LOAN_DESK_ROLES
    rows = []
    for loan in found:
        named = staff and loans.names_borrower(user, loan.site_id, loan.anonymised_at)
        rows.append({"loan": loan, "link": named and desk, "days_late": days_late(loan.returned_at, loan.due_on, day),
                     "condition": condition_label(loan.return_condition, loan.loss_reason),
                     "borrower": borrower_name(loan.first_name, loan.last_name, loan.organisation) if named else None})
    current = rows[0] if rows and rows[0]["loan"].returned_at is None else None
    return {"loan_rows": rows, "current": current}


def resolve_scan(db, user, code: str):
    """Global scan box: a borrower card is handed to the desk's scan (presented there, as if scanned at the
    desk; by a link, the desk's field filled in and nothing presented); a kit code opens the kit."""
    from flask import url_for

    from ..accounts.roles import LOAN_DESK_ROLES
    from ..web.scan import Handover
    from . import services as loans

    if user.role not in LOAN_DESK_ROLES:
        return None
    if loans.looks_like_card(code) and loans.card_exists(db, code):
        return Handover(url_for("loans.desk_scan"), url_for("loans.desk", carte=code.strip().upper()))
    if loans.looks_like_kit(code) and loans.find_kit(db, code) is not None:
        return url_for("loans.kit_page", code=code.strip().upper())
    return None


@click.command("purge-borrowers")
@click.option("--inactive-days", type=click.IntRange(1, 36500), default=None,
              help="Anonymise les usagers sans activité depuis N jours (par défaut : le réglage du réseau, 3 ans).")
@click.option("--dry-run", is_flag=True, help="Compte seulement, sans rien modifier.")
@with_appcontext
def purge_borrowers(inactive_days, dry_run) -> None:
    """Anonymise les usagers inactifs (RGPD) ; les statistiques de prêt restent."""
    from flask import current_app

    from . import services as loans

    with current_app.extensions["refurb.db"].session(write=True) as db:
        days = inactive_days or loans.retention_days(db)
        count = loans.purge_inactive(db, days, dry_run=dry_run)
    if dry_run:
        click.echo(f"{plural(count, 'usager inactif')} depuis plus de {plural(days, 'jour')} : "
                   f"{plural_word(count, 'serait anonymisé', 'seraient anonymisés')} "
                   "(simulation : rien n'a été modifié).")
    else:
        click.echo(f"{plural(count, 'usager inactif')} depuis plus de {plural(days, 'jour')} : "
                   f"{plural_word(count, 'anonymisé')}.")


def init_app(app) -> None:
    from ..accounts.roles import KIOSK, LOAN_DESK_ROLES
    from ..inventory.panels import EVENT_LABELS, Panel, register_panel
    from ..web.layout import add_nav
    from ..web.scan import register_resolver
    from ..web.views import HOME_BY_ROLE
    from . import api  # noqa: F401  (its /api/v1 routes, on the shared blueprint)
    from .services import device_loans_statement, loans_of_device
    from .views import bp

    app.register_blueprint(bp)
    add_nav("loans.desk", "Comptoir de prêt", LOAN_DESK_ROLES)
    add_nav("loans.borrower_list", "Usagers", LOAN_DESK_ROLES)
    add_nav("loans.loan_list", "Prêts", LOAN_DESK_ROLES)
    HOME_BY_ROLE["accueil"] = "loans.desk"
    HOME_BY_ROLE[KIOSK] = "loans.kiosk"
    register_resolver(resolve_scan)
    register_panel(Panel("loans", "loans/_device_panel.html", device_panel, order=50,
                         records={"loans": loans_of_device()}, carried={"loans": device_loans_statement()}))
    EVENT_LABELS.update({"loan": "Prêt", "loan_return": "Retour de prêt", "loan_renew": "Prolongation du prêt",
                         "loan_lost": "Prêt clos : perdu ou volé", "loan_return_checked": "Retour vérifié"})
    app.cli.add_command(purge_borrowers)
