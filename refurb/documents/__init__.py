"""Documents: the Documents page (refurb.documents.views_catalogue lists what it offers), inventories (today or
at a past date), stock-takes by scanning, CSV/XLSX exports and imports."""

import shutil
from pathlib import Path


def remove_old_upload_folder(app) -> None:
    """Pending imports once waited as files in ``instance/imports``; they are in the database now. Files
    left there by an older version (spreadsheets of borrowers among them) are removed, not kept forever."""
    shutil.rmtree(Path(app.instance_path) / "imports", ignore_errors=True)


def remove_old_job_folder(app) -> None:
    """Files of background jobs once waited in ``instance/documents``; they are in the database now."""
    shutil.rmtree(Path(app.instance_path) / "documents", ignore_errors=True)


def init_app(app) -> None:
    from ..accounts.roles import STAFF_ROLES, WORKSHOP_ROLES
    from ..web.layout import add_nav
    from . import api  # noqa: F401  (its /api/v1 routes, on the shared blueprint)
    from .jobs import Runner
    from .views import bp

    app.register_blueprint(bp)
    add_nav("documents.index", "Documents", STAFF_ROLES)
    add_nav("documents.stocktakes_list", "Inventaire physique", WORKSHOP_ROLES)
    remove_old_upload_folder(app)
    remove_old_job_folder(app)
    # This process's workers for background documents (see jobs.py; `refurb serve` also polls).
    app.extensions["refurb.jobs"] = Runner(app.extensions["refurb.db"], context=app.app_context)
