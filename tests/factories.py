"""The suite's one device factory.

A device is written as ``create_device`` writes it (its fields checked by ``parse_device_input``, a tag from
the counter, its "created" event), then given its past with one event per move, each written by
``record_event`` as the app writes it. No other area's rule runs (an erasure before "ready", a loan's
paperwork…), and nothing is committed: it arranges data, it does not test the workflow. The fixtures
(``make_device``, ``lk.device``, ``workshop.device``…) are shapes of this one function; ``make_many``
(fixtures_documents) alone writes devices in bulk, thousands at once, for the sizes of a whole network.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from refurb.accounts.models import User
from refurb.clock import utcnow
from refurb.inventory import services
from refurb.inventory.models import Device
from refurb.sites.models import Site


def new_device(db, *, site: str = "EPN-A", category: str = "laptop", state: str | None = None,
               user: str = "admin", tag: str | None = None, created: datetime | None = None, history=(),
               grade: str | None = None, **fields) -> Device:
    """A device of ``site`` (a code), flushed, not committed.

    ``fields`` are the creation form's (``brand``, ``model``, ``serial_number``, ``has_storage``, ``specs``…).
    ``created``: when it was registered (now by default). ``history``: ("state", at, to_state) and
    ("transfer", at, site_code), in time order after ``created``. ``state``: where it ends, by one more move
    (at the time of its last event) when the history does not already leave it there. ``tag``: a tag of the
    test's own instead of the counter's."""
    actor = db.scalar(select(User).where(User.username == user))
    spec = services.parse_device_input(db, actor, {"category": category, "site": site, **fields})
    device = Device(asset_tag=tag or services.next_asset_tag(db), category=spec.category, brand=spec.brand,
                    model=spec.model, serial_number=spec.serial_number, has_storage=spec.has_storage,
                    specs=spec.specs, condition=spec.condition, notes=spec.notes, site_id=spec.site.id,
                    site=spec.site, state="received", created_at=created or utcnow(), version=0)
    db.add(device)
    db.flush()
    services.record_event(db, device, actor, "created", to_state="received", at=device.created_at)
    last = device.updated_at
    for kind, at, value in history:
        if kind == "state":
            services.record_event(db, device, actor, "transition", from_state=device.state, to_state=value, at=at)
            device.state = value
        elif kind == "transfer":
            origin = device.site
            device.site = db.scalar(select(Site).where(Site.code == value))
            device.site_id = device.site.id  # read by record_event before the flush
            services.record_event(db, device, actor, "transfer", at=at,
                                  data={"transfer_id": 0, "from_site": origin.code, "to_site": value})
        else:  # pragma: no cover - a typo in a test
            raise ValueError(kind)
        last = at
    if state is not None and state != device.state:
        services.record_event(db, device, actor, "transition", from_state=device.state, to_state=state, at=last)
        device.state = state
    if grade is not None:
        device.grade = grade
    db.flush()
    return device
