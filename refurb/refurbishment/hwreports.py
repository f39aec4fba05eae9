"""Readers of the hardware tools' own reports: ``lshw -json``, ``smartctl --json -a``, nwipe's log and
eReuse Workbench snapshots that embed lshw / smartctl data. Pure functions: bytes in, a ``Reading`` out,
or ``Unreadable`` with a French message saying which formats are read. Nothing here touches the database.

What each tool really writes (checked against lshw 02.19, smartmontools 7.3 and nwipe 0.33 on Debian):
- lshw prints one object (the machine) or, since 02.18 on some builds, a list of them; sizes in bytes,
  disks as ``class: disk`` nodes (the live USB stick among them: skipped), the battery as ``class: power``
  with its design capacity in mWh (a full-charge capacity only when the firmware gives one);
- smartctl's JSON carries ``smart_status.passed``, ``rotation_rate`` (0: solid state), ``user_capacity``
  and, when it could not read the disk, only ``smartctl.messages``;
- nwipe writes timestamped lines (``[2026/12/02 15:12:33]  notice: …``; 0.2x adds ``nwipe: ``), the
  machine's DMI data (``system-serial-number = …``, masked as XXXX with ``-q``), one ``Found /dev/…``
  line per disk, and since 0.28 an "Error Summary" and a "Drive Status" table (Erased, -FAILED-,
  UABORTED…). Without the table a disk's result is read from its own lines; a log that stops in the
  middle of a wipe gives "unfinished".
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime

FORMATS = ("lshw -json", "smartctl --json -a", "journal nwipe (ShredOS)", "instantané eReuse Workbench (JSON)")
KIND_LABELS = {"lshw": "lshw", "smartctl": "smartctl (SMART)", "nwipe": "journal nwipe", "workbench": "eReuse Workbench"}
KINDS = tuple(KIND_LABELS)
MEDIA_TYPES = ("hdd", "ssd", "nvme", "emmc")
MAX_NODES = 20_000  # an lshw tree of a real machine has a few hundred nodes
ANONYMOUS = re.compile(r"^[X?*]{3,}$")


class Unreadable(ValueError):
    """Not a report of a tool we read, or a damaged one; the message is French and says why."""


@dataclass
class Disk:
    serial: str = ""
    model: str = ""
    vendor: str = ""
    size_gb: int | None = None
    type: str | None = None  # hdd | ssd | nvme | emmc, None when the report cannot tell
    smart_passed: bool | None = None
    power_on_hours: int | None = None
    logical_name: str = ""

    def spec(self) -> dict:
        """The disk as the device's ``specs["storage"]`` lists it."""
        return {"model": self.model, "serial": self.serial, "size_gb": self.size_gb, "type": self.type}


@dataclass
class Wipe:
    """One disk's run in an nwipe log."""
    device: str  # /dev/sda
    serial: str = ""
    model: str = ""
    size_bytes: int | None = None
    method: str = ""  # nwipe's own name: "Fill With Zeros", "DoD Short"…
    rounds: int = 1
    passes: int | None = None  # passes of one round, as nwipe counts them ("pass 1/3")
    verify: str = "off"  # off | last | all
    verified_ok: bool = False
    result: str = "unfinished"  # erased | failed | aborted | unfinished
    started_at: datetime | None = None
    ended_at: datetime | None = None
    errors: int = 0

    @property
    def anonymised(self) -> bool:
        return bool(self.serial) and bool(ANONYMOUS.match(self.serial))


@dataclass
class Reading:
    kind: str
    tool_version: str = ""
    system_serial: str = ""
    manufacturer: str = ""
    model: str = ""
    cpu: str = ""
    cpu_cores: int | None = None
    ram_gb: int | None = None
    disks: list[Disk] = field(default_factory=list)
    battery_design_mwh: int | None = None
    battery_full_mwh: int | None = None
    screen_resolution: str = ""
    network: bool | None = None
    wireless: bool | None = None
    wipes: list[Wipe] = field(default_factory=list)
    anonymised: bool = False
    notes: list[str] = field(default_factory=list)  # what the reader noticed (skipped USB stick…)

    @property
    def battery_health_pct(self) -> int | None:
        if self.battery_design_mwh and self.battery_full_mwh:
            return max(0, min(100, round(100 * self.battery_full_mwh / self.battery_design_mwh)))
        return None

    @property
    def smart_failed(self) -> list[Disk]:
        return [d for d in self.disks if d.smart_passed is False]

    @property
    def smart_checked(self) -> bool:
        return any(d.smart_passed is not None for d in self.disks)

    def specs(self) -> dict:
        """The pinned spec keys this report knows."""
        out: dict = {}
        for key in ("manufacturer", "model", "cpu"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        if self.ram_gb:
            out["ram_gb"] = self.ram_gb
        disks = [d.spec() for d in self.disks if d.serial and not ANONYMOUS.match(d.serial)]
        if disks:
            out["storage"] = disks
        if self.battery_health_pct is not None:
            out["battery_health_pct"] = self.battery_health_pct
        if self.screen_resolution:
            out["screen_resolution"] = self.screen_resolution
        return out


# --- recognising a file -----------------------------------------------------------------------

def unknown_format(extra: str = "") -> Unreadable:
    return Unreadable("Ce fichier n'est pas un rapport lu par Refurb" + (f" ({extra})" if extra else "")
                      + ". Formats lus : " + ", ".join(FORMATS) + ".")


def read(content: bytes, filename: str = "") -> Reading:
    """The report in ``content``, whatever tool wrote it; ``Unreadable`` otherwise."""
    if not content or not content.strip():
        raise Unreadable("Le fichier est vide.")
    text = _decode(content)
    if _looks_like_nwipe(text):
        return read_nwipe(text)
    if text.lstrip()[:1] in ("{", "["):
        try:
            data = json.loads(text)
        except (ValueError, RecursionError) as err:
            raise Unreadable(f"Ce fichier JSON est tronqué ou mal formé ({_json_error(err)}) : copiez-le de "
                             "nouveau depuis la clé, ou relancez l'outil.") from None
        return read_json(data)
    raise unknown_format()


def _decode(content: bytes) -> str:
    if b"\x00" in content[:4096]:
        raise unknown_format("fichier binaire")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise unknown_format("texte illisible")


def _json_error(err: Exception) -> str:
    if isinstance(err, json.JSONDecodeError):
        return f"ligne {err.lineno}, colonne {err.colno}"
    return "trop imbriqué"


def read_json(data) -> Reading:
    if isinstance(data, dict) and isinstance(data.get("smartctl"), dict) and "json_format_version" in data:
        return read_smartctl(data)
    if isinstance(data, dict) and isinstance(data.get("data"), dict) and (
            "lshw" in data["data"] or "smart" in data["data"] or "smartctl" in data["data"]):
        return read_workbench(data)
    if _is_lshw(data):
        return read_lshw(data)
    if isinstance(data, dict) and data.get("type") == "Snapshot":
        raise unknown_format("instantané Workbench sans données lshw ni smartctl : seules les versions qui "
                             "les incluent sont lues")
    raise unknown_format("JSON d'un autre outil")


def _is_lshw(data) -> bool:
    if isinstance(data, list):
        return bool(data) and all(isinstance(n, dict) for n in data) and "class" in data[0]
    return isinstance(data, dict) and "class" in data and ("children" in data or "id" in data)


# --- lshw ----------------------------------------------------------------------------------------

def _nodes(root):
    """Every node of an lshw tree with its parent (depth first), bounded."""
    stack = [(n, None) for n in reversed(root)] if isinstance(root, list) else [(root, None)]
    count = 0
    while stack:
        node, parent = stack.pop()
        if not isinstance(node, dict):
            continue
        count += 1
        if count > MAX_NODES:
            raise Unreadable("Ce rapport lshw est anormalement grand : relancez lshw sur la machine.")
        yield node, parent
        children = node.get("children")
        if isinstance(children, list):
            stack.extend((child, node) for child in reversed(children))


def _text(value, limit: int = 120) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return ""
    value = " ".join(value.split())
    if value.lower() in ("", "none", "not specified", "to be filled by o.e.m.", "default string",
                         "system serial number", "system product name", "system manufacturer", "0123456789"):
        return ""
    return value[:limit]


def _int(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*\d{1,20}\s*", value):
        return int(value)
    return None


def _gb(size_bytes) -> int | None:
    """Disk makers' gigabytes (10^9 bytes): a "500 GB" disk shows 500."""
    n = _int(size_bytes)
    return max(1, round(n / 1e9)) if n else None


def _media_type(*hints: str) -> str | None:
    text = " ".join(h.lower() for h in hints if h)
    if "nvme" in text:
        return "nvme"
    if "mmcblk" in text or "emmc" in text or re.search(r"\bmmc\b", text):
        return "emmc"
    if "ssd" in text or "solid state" in text:
        return "ssd"
    return None


def read_lshw(data) -> Reading:
    reading = Reading(kind="lshw")
    roots = data if isinstance(data, list) else [data]
    system = next((n for n in roots if isinstance(n, dict) and n.get("class") == "system"), None)
    if system is None:
        raise Unreadable("Ce rapport lshw ne décrit pas une machine (pas de nœud « system ») : lancez "
                         "« lshw -json » sans filtre de classe.")
    reading.manufacturer = _text(system.get("vendor"))
    reading.model = _text(system.get("product"))
    reading.system_serial = _text(system.get("serial"))
    ram = 0
    for node, parent in _nodes(data):
        klass = node.get("class")
        config = node.get("configuration") if isinstance(node.get("configuration"), dict) else {}
        caps = node.get("capabilities") if isinstance(node.get("capabilities"), dict) else {}
        if klass == "processor" and not reading.cpu and _text(node.get("product")):
            reading.cpu = _text(node.get("product"))
            reading.cpu_cores = _int(config.get("cores"))
        elif klass == "memory" and (node.get("id") == "memory"
                                    or str(node.get("description", "")).lower() == "system memory"):
            ram = max(ram, _int(node.get("size")) or 0)
        elif klass == "disk" and node.get("size") is not None:
            _lshw_disk(node, parent if isinstance(parent, dict) else {}, reading)
        elif klass == "power" and node.get("units") == "mWh":
            reading.battery_design_mwh = _int(node.get("capacity"))
            full = config.get("full_capacity") or config.get("last_full_capacity") or node.get("size")
            reading.battery_full_mwh = _int(full)
        elif klass == "display" and not reading.screen_resolution:
            match = re.fullmatch(r"\s*(\d{3,5})\s*[,x×]\s*(\d{3,5})\s*", str(config.get("resolution", "")))
            if match:
                reading.screen_resolution = f"{match.group(1)}×{match.group(2)}"
        elif klass == "network":
            reading.network = True
            if "wireless" in config or "wireless" in caps:
                reading.wireless = True
    if ram:
        reading.ram_gb = max(1, round(ram / 2**30))
    if reading.network and reading.wireless is None:
        reading.wireless = False
    return reading


def _lshw_disk(node: dict, parent: dict, reading: Reading) -> None:
    names = node.get("logicalname")
    names = names if isinstance(names, list) else [names] if isinstance(names, str) else []
    name = next((n for n in names if isinstance(n, str) and n.startswith("/dev/")), "")
    description = _text(node.get("description"))
    if "cd" in str(node.get("id", "")).lower() or "dvd" in description.lower():
        return
    businfo = str(node.get("businfo") or "")
    product, serial = _text(node.get("product")), _text(node.get("serial"))
    if not serial and parent.get("class") == "storage" and "nvme" in str(parent.get("description", "")).lower():
        product, serial = product or _text(parent.get("product")), _text(parent.get("serial"))  # NVMe namespace
    if businfo.startswith("usb@"):
        reading.notes.append(f"Clé ou disque USB ignoré ({product or name or 'sans nom'}) : c'est le plus "
                             "souvent la clé de démarrage.")
        return
    vendor = _text(node.get("vendor"))
    # A SATA disk and a SATA SSD look the same to lshw (None): smartctl's rotation rate tells them apart.
    kind = _media_type(name, description, product, str(node.get("id", "")), businfo)
    reading.disks.append(Disk(serial=serial, model=product, vendor=vendor, size_gb=_gb(node.get("size")),
                              type=kind, logical_name=name))


# --- smartctl -------------------------------------------------------------------------------------

def read_smartctl(data: dict) -> Reading:
    tool = data["smartctl"]
    version = tool.get("version")
    reading = Reading(kind="smartctl",
                      tool_version=".".join(str(v) for v in version) if isinstance(version, list) else "")
    serial = _text(data.get("serial_number"))
    if not serial and not data.get("model_name"):
        messages = [m.get("string") for m in tool.get("messages") or [] if isinstance(m, dict)]
        said = "; ".join(_text(m, 200) for m in messages if _text(m, 200))
        raise Unreadable("smartctl n'a pas pu lire ce disque" + (f" (« {said} »)" if said else "")
                         + " : rien à enregistrer. Relancez-le avec l'option -d qui convient (ex. -d sat).")
    device = data.get("device") if isinstance(data.get("device"), dict) else {}
    rotation = _int(data.get("rotation_rate"))
    protocol = str(device.get("protocol") or device.get("type") or "")
    kind = _media_type(protocol, str(device.get("name") or ""), _text(data.get("model_name")))
    if kind is None and rotation is not None:
        kind = "hdd" if rotation > 0 else "ssd"
    capacity = data.get("user_capacity") if isinstance(data.get("user_capacity"), dict) else {}
    size = capacity.get("bytes") or data.get("nvme_total_capacity")
    status = data.get("smart_status") if isinstance(data.get("smart_status"), dict) else {}
    passed = status.get("passed") if isinstance(status.get("passed"), bool) else None
    hours = (data.get("power_on_time") or {}).get("hours") if isinstance(data.get("power_on_time"), dict) else None
    reading.disks.append(Disk(serial=serial, model=_text(data.get("model_name") or data.get("model_family")),
                              vendor=_text(data.get("model_family")), size_gb=_gb(size), type=kind,
                              smart_passed=passed, power_on_hours=_int(hours),
                              logical_name=_text(device.get("name"))))
    return reading


# --- eReuse Workbench snapshot --------------------------------------------------------------------

def read_workbench(data: dict) -> Reading:
    inner = data["data"]
    lshw = inner.get("lshw")
    reading = read_lshw(lshw) if _is_lshw(lshw) else Reading(kind="workbench")
    reading.kind = "workbench"
    reading.tool_version = _text(data.get("version"), 40)
    smart = inner.get("smart") if "smart" in inner else inner.get("smartctl")
    for item in smart if isinstance(smart, list) else []:
        if not isinstance(item, dict) or not isinstance(item.get("smartctl"), dict):
            continue
        try:
            disk = read_smartctl(item).disks[0]
        except Unreadable:
            continue  # a USB bridge smartctl could not read: the snapshot says so itself
        _merge_disk(reading.disks, disk)
    if not (reading.system_serial or reading.disks or reading.cpu):
        raise Unreadable("Cet instantané Workbench ne contient ni données lshw ni disque lisible.")
    return reading


def _merge_disk(disks: list[Disk], disk: Disk) -> None:
    for known in disks:
        if known.serial and known.serial == disk.serial:
            known.model = known.model or disk.model
            known.size_gb = known.size_gb or disk.size_gb
            known.type = disk.type or known.type
            known.smart_passed = disk.smart_passed
            known.power_on_hours = disk.power_on_hours
            return
    disks.append(disk)


# --- nwipe -----------------------------------------------------------------------------------------

_LINE = re.compile(r"^\[(\d{4}/\d\d/\d\d \d\d:\d\d:\d\d)\]\s+(?:nwipe:\s*)?(\w+):\s?(.*)$")
_STATUS = {"erased": "erased", "-failed-": "failed", "failed": "failed", "uaborted": "aborted",
           "iaborted": "aborted", "aborted": "aborted", "nonfatal": "failed", "fatal": "failed"}


def _looks_like_nwipe(text: str) -> bool:
    head = text[:20_000]
    return bool(_LINE.search(head.splitlines()[0] if head else "")) and (
        "nwipe" in head.lower() or "Found /dev/" in head or "Invoking method" in head)


def _moment(stamp: str) -> datetime | None:
    """``2026/12/02 15:12:33`` (strptime is ten times slower; read only for the lines that matter)."""
    if not stamp:
        return None
    try:
        return datetime(int(stamp[0:4]), int(stamp[5:7]), int(stamp[8:10]), int(stamp[11:13]), int(stamp[14:16]),
                        int(stamp[17:19]))
    except ValueError:
        return None


# The lines that matter, each recognised by a cheap test first (a long log is mostly progress lines).
_OPTION = re.compile(r"(banner|method|rounds|verify|prng|quiet)\s*=\s*(.+)$")
_SYSINFO = re.compile(r"([a-z]+(?:-[a-z]+)+)\s*=\s*(.*)$")
_FOUND = re.compile(r"Found (/dev/\S+?),\s*(.*)$")
_SERIAL = re.compile(r"(/dev/\S+) has serial number (.*)$")
_SIZE = re.compile(r"(/dev/\S+), sect/blk/dev \d+/\d+/(\d+)")
_INVOKE = re.compile(r"Invoking method '(.+)' on (/dev/\S+)")
_START = re.compile(r"Starting (?:round|pass) .* on (/dev/\S+)")
_PASSES = re.compile(r"pass \d+/(\d+)")
_FINAL = re.compile(r"Finished final round .* on (/dev/\S+)")
_SUCCESS = re.compile(r"\[SUCCESS\] (?:Blanked device|Verified that) (/dev/\S+?)(?: is empty)?\.?$")
_VERIFIED = re.compile(r"Verified pass .* on '?(/dev/[^\s']+)'?")
_FAILURE = re.compile(r"(?:Unable to write to|exited with errors on device =|\[FAILURE\][^/]*) '?(/dev/[^\s',]+)")


def read_nwipe(text: str) -> Reading:
    reading = Reading(kind="nwipe")
    wipes: dict[str, Wipe] = {}
    options: dict[str, str] = {}
    sysinfo: dict[str, str] = {}

    def wipe(dev: str) -> Wipe:
        return wipes.setdefault(dev, Wipe(device=dev))

    lines = text.splitlines()
    last_stamp = ""
    for line in lines:
        match = _LINE.match(line)
        if not match:
            continue
        stamp, message = match.group(1), match.group(3).strip()
        last_stamp = stamp
        if "=" in message and (m := _OPTION.match(message)):
            options[m.group(1)] = m.group(2).strip()
        elif "=" in message and (m := _SYSINFO.match(message)):
            sysinfo[m.group(1)] = m.group(2).strip()
        elif message.startswith("Found /dev/"):
            if m := _FOUND.match(message):
                _found(wipe(m.group(1)), m.group(2))
        elif " has serial number " in message:
            if m := _SERIAL.match(message):
                wipe(m.group(1)).serial = wipe(m.group(1)).serial or m.group(2).strip()
        elif "sect/blk/dev" in message:
            if m := _SIZE.match(message):
                wipe(m.group(1)).size_bytes = int(m.group(2))
        elif message.startswith("Invoking method"):
            if m := _INVOKE.match(message):
                w = wipe(m.group(2))
                w.method, w.started_at = m.group(1), w.started_at or _moment(stamp)
        elif message.startswith("Starting "):
            if m := _START.match(message):
                wipe(m.group(1)).started_at = wipe(m.group(1)).started_at or _moment(stamp)
                if p := _PASSES.search(message):
                    wipe(m.group(1)).passes = int(p.group(1))
        elif message.startswith("Finished final round"):
            if m := _FINAL.match(message):
                w = wipe(m.group(1))
                w.ended_at, w.result = _moment(stamp), "erased" if w.result == "unfinished" else w.result
        elif message.startswith("[SUCCESS]"):
            if m := _SUCCESS.match(message):
                w = wipe(m.group(1))
                w.ended_at = _moment(stamp)
                if "Verified" in message:
                    w.verified_ok = True
        elif message.startswith("Verified pass"):
            if m := _VERIFIED.match(message):
                wipe(m.group(1)).verified_ok = True
        elif ("Unable to write" in message or "exited with errors" in message or "[FAILURE]" in message) and (
                m := _FAILURE.search(message)):
            wipe(m.group(1)).result = "failed"
    _summary_table(lines, wipes)
    reading.tool_version = _nwipe_version(options.get("banner", ""), text)
    verify = options.get("verify", "")
    rounds = _int((options.get("rounds") or "1").split()[0]) or 1
    for w in wipes.values():
        w.rounds = rounds
        w.verify = "last" if verify.startswith("1") else "all" if verify.startswith("2") else "off"
        w.method = w.method or options.get("method", "")
        w.ended_at = w.ended_at or _moment(last_stamp)  # failed, aborted or cut: when the log stops
        if w.result == "failed" or w.errors:
            w.result = "failed" if w.result != "aborted" else w.result
    reading.wipes = [w for w in wipes.values() if w.method or w.result != "unfinished"]
    if not reading.wipes:
        raise Unreadable("Ce journal nwipe ne contient aucun effacement (aucun disque lancé) : joignez le journal "
                         "d'une session où un disque a été effacé.")
    serial = sysinfo.get("system-serial-number", "")
    reading.anonymised = bool(ANONYMOUS.match(serial)) or any(w.anonymised for w in reading.wipes)
    reading.system_serial = "" if ANONYMOUS.match(serial or "X" * 3) else _text(serial)
    reading.manufacturer = _text(sysinfo.get("system-manufacturer"))
    version = _text(sysinfo.get("system-version"))
    product = _text(sysinfo.get("system-product-name"))
    reading.model = f"{version} ({product})" if version and product and version != product else version or product
    reading.cpu = _text(sysinfo.get("processor-version"))
    for w in reading.wipes:
        if w.serial and not w.anonymised:
            reading.disks.append(Disk(serial=w.serial, model=w.model, size_gb=_gb(w.size_bytes),
                                      type=_media_type(w.device, w.model), logical_name=w.device))
    return reading


def _found(w: Wipe, rest: str) -> None:
    """``Found /dev/sda, ATA, WDC WD5000LPVX-2, 500 GB, S/N=WD-WX41…`` (0.3x adds the bus; 0.2x has none)."""
    parts = [p.strip() for p in rest.split(",")]
    serial = next((p[4:] for p in parts if p.startswith("S/N=")), "")
    w.serial = serial.strip()
    fields = [p for p in parts if p and not p.startswith("S/N=")]
    size_at = next((i for i, p in enumerate(fields) if re.fullmatch(r"[\d.]+\s*[KMGTP]B", p)), None)
    if size_at is not None and size_at > 0:
        w.model = fields[size_at - 1]
    elif fields:
        w.model = fields[-1]


def _summary_table(lines: list[str], wipes: dict[str, Wipe]) -> None:
    """nwipe ≥ 0.28: "Drive Status" (per disk: Erased, -FAILED-, UABORTED…) and "Error Summary"."""
    section = ""
    for line in lines:
        if "Drive Status" in line:
            section = "status"
        elif "Error Summary" in line:
            section = "errors"
        elif not line.strip() or line.startswith(("[", "*")):
            if line.startswith("*" * 20) and "Summary" not in line and "Status" not in line:
                section = ""
            continue
        cells = [c.strip() for c in line.lstrip("! ").split("|")]
        if len(cells) < 3 or cells[0] in ("Device",) or set(line.strip()) <= {"-"}:
            continue
        dev = "/dev/" + cells[0]
        if dev not in wipes:
            continue
        if section == "status":
            status = _STATUS.get(cells[1].lower())
            if status:
                wipes[dev].result = status
            if len(cells) >= 5 and "/" in cells[4] and not wipes[dev].model:
                wipes[dev].model = cells[4].rsplit("/", 1)[0].strip()
        elif section == "errors":
            wipes[dev].errors = sum(_int(c) or 0 for c in cells[1:4])


def _nwipe_version(banner: str, text: str) -> str:
    for source in (banner, text[:5000]):
        match = re.search(r"nwipe\s+(?:version\s+)?v?(\d+\.\d+(?:\.\d+)?)", source, re.IGNORECASE)
        if match:
            return match.group(1)
    return ""


# --- what the workshop records from a wipe ---------------------------------------------------------

# nwipe's methods (its own names) → our erasure method; all are overwrites: NIST SP 800-88 "Clear".
NWIPE_METHODS = {
    "fill with zeros": "overwrite", "fill with ones": "overwrite", "prng stream": "overwrite",
    "dod short": "overwrite", "dod 5220.22-m": "overwrite", "gutmann wipe": "overwrite",
    "rcmp tssit ops-ii": "overwrite", "hmg is5 enhanced": "overwrite", "quick erase": "overwrite",
    "dod 5220-22-m": "overwrite", "zero fill": "overwrite", "one fill": "overwrite",
}
# Methods that only read the disk back: nothing was erased.
NWIPE_VERIFY_ONLY = ("verify zeros", "verify ones", "verify zeroes")


def erasure_fields(w: Wipe) -> dict | None:
    """What an erasure record says about this wipe (method, NIST category, passes, result…), or None when
    nwipe's method only read the disk."""
    name = (w.method or "").strip().lower()
    if name in NWIPE_VERIFY_ONLY:
        return None
    passes = (w.passes or 1) * max(1, w.rounds)
    passed = w.result == "erased" and not w.errors and (w.verify == "off" or w.verified_ok)
    return {"method": NWIPE_METHODS.get(name, "overwrite"), "nist_category": "clear", "passes": min(passes, 99),
            "verified": w.verify != "off" and w.verified_ok, "result": "passed" if passed else "failed"}
