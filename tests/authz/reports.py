"""The activity and impact report: every staff role, for the sites they serve (the network: managers)."""

from . import STAFF, Case

CASES = {
    "reports.activity": Case("GET", "/rapports/activite?site={o[site]}", STAFF, site_bound=True),
    "reports.activity_pdf": Case("GET", "/rapports/activite.pdf?site={o[site]}", STAFF, site_bound=True),
    "reports.activity_csv": Case("GET", "/rapports/activite.csv?site={o[site]}", STAFF, site_bound=True),
    "api.activity_report": Case("GET", "/api/v1/reports/activity?site={o[site]}", STAFF, site_bound=True),
    "api.activity_report_pdf": Case("GET", "/api/v1/reports/activity.pdf?site={o[site]}", STAFF, site_bound=True),
}
