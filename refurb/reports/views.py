"""The activity and impact report: page with charts, PDF, CSV."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user

from ..accounts.roles import NETWORK_ROLES, STAFF_ROLES
from ..errors import Invalid, RefurbError
from ..extensions import get_db
from ..inventory.categories import CATEGORIES, CATEGORIES_PLURAL
from ..tabular import CSV_MIMETYPE
from ..web.access import roles_required
from ..web.files import send_bytes
from ..web.kit import submit
from ..web.layout import current_site, user_sites
from . import services

bp = Blueprint("reports", __name__)


def _site_arg() -> str:
    code = request.args.get("site")
    if code is None:  # not chosen: the whole network for managers, the current site for the others
        if current_user.role in NETWORK_ROLES:
            return "*"
        here = current_site()
        return here.code if here else ""
    return code


def _build(db):
    return services.build_report(db, current_user, site_code=_site_arg(), start=request.args.get("from"),
                                end=request.args.get("to"), factors=request.args.get("factors"))


@bp.get("/rapports/activite")
@roles_required(*STAFF_ROLES)
def activity():
    db = get_db()
    args = {"from": request.args.get("from", ""), "to": request.args.get("to", ""), "site": _site_arg(),
            "factors": request.args.get("factors", services.DEFAULT_FACTORS)}

    def page(report, errors):
        extra = {} if report is None else {
            "charts": services.charts_for(report), "rows": services.figure_rows(report),
            "kind_labels": services.KIND_LABELS, "outcomes": services.outcome_items(report), "kg": services.kg,
            "kg2": services.kg2, "fmt": services.fmt, "categories": CATEGORIES_PLURAL, "category_names": CATEGORIES}
        return render_template("reports/activity.html", report=report, errors=errors, args=args,
                               sites=user_sites(), sees_network=current_user.role in NETWORK_ROLES,
                               factor_sets=services.FACTOR_SETS, presets=services.period_presets(), **extra)

    def shown(report):
        args["from"], args["to"] = report.start.isoformat(), report.end.isoformat()
        return page(report, {})

    def wrong_period(err: RefurbError):
        if not isinstance(err, Invalid):
            raise err  # a site not served, or unknown: the error page
        return page(None, err.fields)

    return submit(lambda: _build(db), done=shown, failed=wrong_period)


@bp.get("/rapports/activite.pdf")
@roles_required(*STAFF_ROLES)
def activity_pdf():
    report = _build(get_db())
    return send_bytes(services.render_pdf(report), services.filename(report, "pdf"), "application/pdf", inline=True)


@bp.get("/rapports/activite.csv")
@roles_required(*STAFF_ROLES)
def activity_csv():
    report = _build(get_db())
    return send_bytes(services.render_csv(report), services.filename(report, "csv"), CSV_MIMETYPE)
