"""Fixtures for documents, stock-takes, imports and public pages.

``make_device`` writes a device with a history chosen by the test (times included), the way
``refurb.inventory.services.record_event`` stores it: each event carries the device's site *after* it
(a transfer's event: the destination, also in ``data.to_site``). It arranges data only; what is under
test (inventories rebuilt from history, stock-takes…) runs through the app.
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import pytest
from factories import new_device
from sqlalchemy import select

from refurb.accounts.models import User
from refurb.clock import start_of_day_utc, today
from refurb.inventory.models import Device, DeviceEvent
from refurb.sites.models import Site


def noon_days_ago(n: int) -> datetime:
    """Noon in Paris ``n`` days before today (Paris), as an aware UTC datetime: its UTC date is that Paris
    day, whatever the hour the test runs, and a summer-time change between them moves nothing."""
    return start_of_day_utc(today() - timedelta(days=n)) + timedelta(hours=12)


T0 = noon_days_ago(300)  # "long ago": devices made without a history of their own


def site_by_code(db, code: str) -> Site:
    return db.scalar(select(Site).where(Site.code == code))


def user_by_name(db, username: str) -> User:
    return db.scalar(select(User).where(User.username == username))


def make_device(db, tag: str, site: str, *, category: str = "laptop", brand: str = "Lenovo",
                model: str = "ThinkPad T480", serial: str | None = None, grade: str | None = None,
                created: datetime = T0, history=(), user: str = "admin") -> Device:
    """A device created at ``site`` (state "received") at ``created``, then ``history``: a list of
    ("state", at, to_state) and ("transfer", at, to_site_code), in time order (``factories.new_device``)."""
    return new_device(db, site=site, category=category, tag=tag, brand=brand, model=model, serial_number=serial,
                      grade=grade, created=created, history=history, user=user)


def make_many(db, count: int, site: str, *, state: str = "loan_pool", category: str = "laptop",
              prefix: str = "RF-", start: int = 1) -> None:
    """Many devices at once (bulk insert), for sizes where one by one would be slow."""
    sites = {s.code: s for s in db.scalars(select(Site))}
    actor = user_by_name(db, "admin")
    rows = [dict(asset_tag=f"{prefix}{i:06d}", category=category, brand="Dell", model=f"Latitude {5000 + i % 500}",
                 serial_number=f"SN{i:09d}", has_storage=True, specs={}, condition="", notes="",
                 grade="ABC"[i % 3], site_id=sites[site].id, state=state, created_at=T0, updated_at=T0, version=1)
            for i in range(start, start + count)]
    db.execute(Device.__table__.insert(), rows)
    ids = db.execute(select(Device.id).where(Device.asset_tag.in_([r["asset_tag"] for r in rows]))).scalars().all() \
        if count <= 900 else db.execute(select(Device.id).where(Device.asset_tag >= rows[0]["asset_tag"],
                                                                Device.asset_tag <= rows[-1]["asset_tag"])).scalars().all()
    db.execute(DeviceEvent.__table__.insert(), [
        dict(device_id=i, at=T0, user_id=actor.id, site_id=sites[site].id, action="created", from_state=None,
             to_state=state, note="", data={}) for i in ids])
    db.flush()


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def pdf_pages(data: bytes) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


@pytest.fixture
def days_ago():
    """``noon_days_ago``: noon (Paris) ``n`` days before today, in UTC."""
    return noon_days_ago


def upload_import(client, key: str, content: bytes, filename: str, site: str = "EPN-A"):
    """Send a file to the import page of ``key`` (devices, borrowers…); answers with the preview's redirect."""
    import io

    from conftest import csrf_token
    token = csrf_token(client, f"/imports/{key}")
    return client.post(f"/imports/{key}", data={"csrf_token": token, "site": site,
                                                 "file": (io.BytesIO(content), filename)},
                       content_type="multipart/form-data")


def commit_import(client, preview_url: str, mapping: dict | None = None):
    """Confirm a previewed import, keeping the preview's column mapping unless ``mapping`` is given."""
    import re

    from conftest import csrf_token
    html = client.get(preview_url).get_data(as_text=True)
    data = {"csrf_token": csrf_token(client, preview_url), "step": "commit"}
    if mapping is None:
        for index, key in re.findall(r'name="map_(\d+)"[^>]*>.*?<option value="([a-z_]*)" selected', html, re.S):
            data[f"map_{index}"] = key
    else:
        data.update(mapping)
    return client.post(preview_url, data=data)


# --- hand-made spreadsheets (what a careless or hostile file can hold) ----------------------------

def xlsx_parts(sheet_data: str, *, dimension: str = "A1:B2", shared: list[str] | None = None,
               shared_xml: bytes | None = None) -> dict[str, bytes]:
    """The parts of a one-sheet workbook whose ``<sheetData>`` is ``sheet_data`` (rows as XML), with the
    ``dimension`` the sheet declares and, if given, a shared-strings part (cells ``t="s"`` point into it)."""
    from xml.sax.saxutils import escape

    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    has_shared = shared is not None or shared_xml is not None
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName='
            '"/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.'
            'main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxml'
            'formats-officedocument.spreadsheetml.worksheet+xml"/>'
            + ('<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
               'officedocument.spreadsheetml.sharedStrings+xml"/>' if has_shared else "") + "</Types>").encode(),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            f'package/2006/relationships"><Relationship Id="rId1" Type="{rel}/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>').encode(),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook {ns} xmlns:r="{rel}"><sheets><sheet name="Feuil1" '
            'sheetId="1" r:id="rId1"/></sheets></workbook>').encode(),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            f'package/2006/relationships"><Relationship Id="rId1" Type="{rel}/worksheet" '
            'Target="worksheets/sheet1.xml"/>'
            + (f'<Relationship Id="rId2" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/>'
               if has_shared else "") + "</Relationships>").encode(),
        "xl/worksheets/sheet1.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><worksheet {ns}><dimension ref="{dimension}"/>'
            f"<sheetData>{sheet_data}</sheetData></worksheet>").encode(),
    }
    if shared is not None:
        items = "".join(f"<si><t>{escape(s)}</t></si>" for s in shared)
        parts["xl/sharedStrings.xml"] = (f'<?xml version="1.0" encoding="UTF-8"?><sst {ns} count="{len(shared)}" '
                                         f'uniqueCount="{len(shared)}">{items}</sst>').encode()
    elif shared_xml is not None:
        parts["xl/sharedStrings.xml"] = shared_xml
    return parts


def zip_parts(parts: dict[str, bytes]) -> bytes:
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return buf.getvalue()


def inline_row(line: int, values: list[str]) -> str:
    """One ``<row>`` of inline text cells, columns A, B, C…"""
    from xml.sax.saxutils import escape

    from openpyxl.utils import get_column_letter
    cells = "".join(f'<c r="{get_column_letter(i + 1)}{line}" t="inlineStr"><is><t>{escape(v)}</t></is></c>'
                    for i, v in enumerate(values))
    return f'<row r="{line}">{cells}</row>'
