"""Who may do what with the bus's offline queue: the sync, the conflicts "À régulariser", the local copy,
the desk's offline shell and its service worker."""

from sqlalchemy import select

from refurb.accounts.models import User
from refurb.bus.models import SyncConflict, SyncConflictEvent, SyncOperation
from refurb.db import utcnow
from refurb.sites.models import Site

from . import NETWORK, PUBLIC, STAFF, Case

DESK = frozenset({"admin", "gestionnaire", "accueil"})


def arrange(db, ctx) -> None:
    """At each site, an offline return that found the device not on loan: a conflict to settle."""
    desk = db.scalar(select(User).where(User.username == "admin"))
    for which, code in (("own", "EPN-A"), ("other", "EPN-B")):
        site = db.scalar(select(Site).where(Site.code == code))
        op = SyncOperation(client="matrix-client", op_id=f"op-{code}", user_id=desk.id, site_id=site.id,
                           kind="return", at=utcnow(), received_at=utcnow(), asset_tag="RF-999999",
                           payload={"asset_tag": "RF-999999", "condition": "complete", "site": code},
                           status="conflict", message="Pas en prêt.", result={"status": "conflict"})
        db.add(op)
        db.flush()
        conflict = SyncConflict(operation_id=op.id, site_id=site.id, code="not_on_loan", tablet=op.payload,
                                server={}, state="open", created_at=utcnow())
        db.add(conflict)
        db.flush()
        db.add(SyncConflictEvent(conflict_id=conflict.id, at=utcnow(), user_id=desk.id, action="raised", note=""))
        ctx[which]["sync_conflict"] = conflict.id


CASES = {
    "offline.conflicts": Case("GET", "/a-regulariser?site={o[site]}", STAFF, site_bound=True),
    "offline.resolve": Case("POST", "/a-regulariser/{o[sync_conflict]}", STAFF, site_bound=True,
                            data={"action": "cancel"}),
    "offline.sync_window": Case("POST", "/a-regulariser/fenetre", NETWORK, data={"days": "30"}),
    "offline.offline_desk": Case("GET", "/prets/comptoir/hors-ligne", DESK),
    "offline.service_worker": Case("GET", "/comptoir-sw.js", PUBLIC),
    "api.sync": Case("POST", "/api/v1/sync", STAFF, json={"format": 1, "client": "matrix-client-1", "operations": []}),
    "api.sync_conflicts": Case("GET", "/api/v1/sync/conflicts?site={o[site]}", STAFF, site_bound=True),
    "api.sync_local_copy": Case("GET", "/api/v1/sync/local-copy?site={o[site]}", STAFF, site_bound=True),
}
