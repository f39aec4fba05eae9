"""The activity and impact report: page with charts, PDF, CSV."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user

from ..accounts.roles import ADMIN, MANAGER, NETWORK_ROLES, RECEPTION, TECHNICIAN
from ..accounts.scope import sites_for
from ..errors import Invalid
from ..extensions import get_db
from ..inventory.categories import CATEGORIES, CATEGORIES_PLURAL
from ..tabular import CSV_MIMETYPE
from ..web.access import roles_required
from ..web.files import send_bytes
from ..web.layout import current_site
from . import figures, output

bp = Blueprint("reports", __name__)

STAFF = (ADMIN, MANAGER, TECHNICIAN, RECEPTION)


def _site_arg() -> str:
    code = request.args.get("site")
    if code is None:  # not chosen: the whole network for managers, the current site for the others
        if current_user.role in NETWORK_ROLES:
            return "*"
        here = current_site()
        return here.code if here else ""
    return code


def _build(db):
    return figures.build_report(db, current_user, site_code=_site_arg(), start=request.args.get("from"),
                                end=request.args.get("to"), factors=request.args.get("factors"))


def _filename(report, ext: str) -> str:
    scope = report.site.code if report.site else "reseau"
    return f"rapport-activite-{scope}-{report.start.isoformat()}-{report.end.isoformat()}.{ext}"


@bp.get("/rapports/activite")
@roles_required(*STAFF)
def activity():
    db = get_db()
    args = {"from": request.args.get("from", ""), "to": request.args.get("to", ""), "site": _site_arg(),
            "factors": request.args.get("factors", figures.DEFAULT_FACTORS)}
    try:
        report = _build(db)
    except Invalid as err:
        return render_template("reports/activity.html", report=None, errors=err.fields, args=args,
                               sites=sites_for(db, current_user), factor_sets=figures.FACTOR_SETS), 422
    args["from"], args["to"] = report.start.isoformat(), report.end.isoformat()
    return render_template("reports/activity.html", report=report, errors={}, args=args,
                           sites=sites_for(db, current_user), factor_sets=figures.FACTOR_SETS,
                           charts=output.charts_for(report), rows=figures.figure_rows(report),
                           kind_labels=figures.KIND_LABELS, outcomes=output.outcome_items(report), kg=output.kg,
                           kg2=output.kg2, fmt=output.fmt, categories=CATEGORIES_PLURAL, category_names=CATEGORIES)


@bp.get("/rapports/activite.pdf")
@roles_required(*STAFF)
def activity_pdf():
    report = _build(get_db())
    return send_bytes(output.render_pdf(report), _filename(report, "pdf"), "application/pdf", inline=True)


@bp.get("/rapports/activite.csv")
@roles_required(*STAFF)
def activity_csv():
    report = _build(get_db())
    return send_bytes(output.render_csv(report), _filename(report, "csv"), CSV_MIMETYPE)
