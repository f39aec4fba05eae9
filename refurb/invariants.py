"""What must hold in any Refurb database, whatever happened to it (load, a process killed, a restore, the
demonstration data): the checks run after a load test, after seeding the demo, after a restore.

    python -m refurb.invariants [DATABASE_URL]      (default: REFURB_DATABASE_URL; exit status 1 on a problem)

Each check answers the problems it found, in French, one line each; an empty list means the database holds.
"""

from __future__ import annotations

import os
import sys

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .formatting import plural
from .inventory.models import Device, DeviceEvent, StockTally, Transfer, TransferItem
from .loans.models import Loan
from .refurbishment.models import DeviceOrigin, Donation

SHOWN = 5  # examples given per problem


def _some(values) -> str:
    values = sorted(values)
    more = f" (et {len(values) - SHOWN} autres)" if len(values) > SHOWN else ""
    return ", ".join(str(v) for v in values[:SHOWN]) + more


def one_open_loan_per_device(db: Session) -> list[str]:
    twice = db.scalars(select(Loan.device_id).where(Loan.returned_at.is_(None)).group_by(Loan.device_id)
                       .having(func.count() > 1)).all()
    return [f"{plural(len(twice), 'appareil')} dans deux prêts ouverts : {_some(twice)}"] if twice else []


def on_loan_means_an_open_loan(db: Session) -> list[str]:
    open_loans = select(Loan.device_id).where(Loan.returned_at.is_(None))
    lost = db.scalars(select(Device.asset_tag).where(Device.state == "on_loan", Device.id.not_in(open_loans))).all()
    stray = db.scalars(select(Device.asset_tag).where(Device.id.in_(open_loans), Device.state != "on_loan")).all()
    problems = []
    if lost:
        problems.append(f"{plural(len(lost), 'appareil')} « en prêt » sans prêt ouvert : {_some(lost)}")
    if stray:
        problems.append(f"{plural(len(stray), 'prêt ouvert')} d'un appareil qui n'est pas « en prêt » : "
                        f"{_some(stray)}")
    return problems


def state_is_the_last_events(db: Session) -> list[str]:
    """A device's state is the ``to_state`` of its last history event that changed it."""
    ranked = (select(DeviceEvent.device_id, DeviceEvent.to_state,
                     func.row_number().over(partition_by=DeviceEvent.device_id,
                                            order_by=(DeviceEvent.at.desc(), DeviceEvent.id.desc())).label("n"))
              .where(DeviceEvent.to_state.is_not(None)).subquery())
    last = select(ranked.c.device_id, ranked.c.to_state).where(ranked.c.n == 1).subquery()
    wrong = db.execute(select(Device.asset_tag, Device.state, last.c.to_state)
                       .join(last, last.c.device_id == Device.id, isouter=True)
                       .where((last.c.to_state.is_(None)) | (last.c.to_state != Device.state))).all()
    if not wrong:
        return []
    shown = [f"{tag} ({state} ≠ {to_state or 'aucun événement'})" for tag, state, to_state in wrong]
    return [f"{plural(len(wrong), 'appareil')} dont l'état n'est pas celui du dernier événement : {_some(shown)}"]


def transfers_are_whole(db: Session) -> list[str]:
    """Each transfer moved all of its devices, each with its history event at the destination, or none."""
    items = {(t, d) for t, d in db.execute(select(TransferItem.transfer_id, TransferItem.device_id))}
    destination = dict(db.execute(select(Transfer.id, Transfer.to_site_id)).all())
    events = {}
    for device_id, site_id, data in db.execute(select(DeviceEvent.device_id, DeviceEvent.site_id, DeviceEvent.data)
                                               .where(DeviceEvent.action == "transfer")):
        transfer_id = (data or {}).get("transfer_id")
        if transfer_id is not None:  # a return at another site also moves a device, without a transfer
            events[(transfer_id, device_id)] = site_id
    problems = []
    empty = set(destination) - {t for t, _ in items}
    if empty:
        problems.append(f"{plural(len(empty), 'transfert')} sans appareil : {_some(empty)}")
    missing = items - set(events)
    if missing:
        problems.append(f"{plural(len(missing), 'appareil')} d'un transfert sans l'événement du transfert : "
                        f"{_some(f'n° {t} / appareil {d}' for t, d in missing)}")
    orphan = set(events) - items
    if orphan:
        problems.append(f"{plural(len(orphan), 'événement de transfert')} sans la ligne du transfert : "
                        f"{_some(f'n° {t} / appareil {d}' for t, d in orphan)}")
    elsewhere = {k for k, site in events.items() if k in items and destination.get(k[0]) != site}
    if elsewhere:
        problems.append(f"{plural(len(elsewhere), 'événement de transfert')} ailleurs qu'à la destination : "
                        f"{_some(f'n° {t} / appareil {d}' for t, d in elsewhere)}")
    return problems


def donations_are_whole(db: Session) -> list[str]:
    """Each donation has its devices, each with the history event of its creation."""
    empty = db.scalars(select(Donation.id).where(Donation.id.not_in(select(DeviceOrigin.donation_id)))).all()
    created = select(DeviceEvent.device_id).where(DeviceEvent.action == "created")
    unborn = db.scalars(select(DeviceOrigin.device_id).where(DeviceOrigin.device_id.not_in(created))).all()
    problems = []
    if empty:
        problems.append(f"{plural(len(empty), 'don')} sans appareil : {_some(empty)}")
    if unborn:
        problems.append(f"{plural(len(unborn), 'appareil')} d'un don sans l'événement de leur création : "
                        f"{_some(unborn)}")
    return problems


def stock_tallies_match_the_devices(db: Session) -> list[str]:
    """The stock the database tallies as devices move is the count of the devices themselves."""
    devices = {tuple(r[:3]): r[3] for r in db.execute(
        select(Device.site_id, Device.category, Device.state, func.count())
        .group_by(Device.site_id, Device.category, Device.state))}
    tallies = {tuple(r[:3]): r[3] for r in db.execute(
        select(StockTally.site_id, StockTally.category, StockTally.state, func.sum(StockTally.n))
        .group_by(StockTally.site_id, StockTally.category, StockTally.state))}
    wrong = [f"site {key[0]} {key[1]} {key[2]} : {tallies.get(key, 0)} au lieu de {devices.get(key, 0)}"
             for key in sorted(set(devices) | set(tallies)) if tallies.get(key, 0) != devices.get(key, 0)]
    return [f"{plural(len(wrong), 'compte de stock faux')} : {_some(wrong)}"] if wrong else []


CHECKS = (one_open_loan_per_device, on_loan_means_an_open_loan, state_is_the_last_events, transfers_are_whole,
          donations_are_whole, stock_tallies_match_the_devices)


def problems(db: Session) -> list[str]:
    """Every check's problems; an empty list when the database holds."""
    return [p for check in CHECKS for p in check(db)]


def main(argv: list[str] | None = None) -> int:
    from .db import Database

    argv = sys.argv[1:] if argv is None else argv
    url = argv[0] if argv else os.environ.get("REFURB_DATABASE_URL")
    if not url:
        print("Donnez l'adresse de la base (ou définissez REFURB_DATABASE_URL).", file=sys.stderr)
        return 2
    database = Database(url)
    try:
        with database.session() as db:
            found = problems(db)
            devices = db.scalar(select(func.count()).select_from(Device))
            open_loans = db.scalar(select(func.count()).select_from(Loan).where(Loan.returned_at.is_(None)))
    finally:
        database.dispose()
    for line in found:
        print(line)
    print(f"{plural(devices, 'appareil')}, {plural(open_loans, 'prêt ouvert')} : "
          + ("invariants respectés." if not found else f"{plural(len(found), 'problème')}."))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
