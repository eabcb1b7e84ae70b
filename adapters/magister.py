"""Magister adapter (DOMAIN.md 5): ``/api/personen/{id}/absenties`` JSON plus a student export.

Input files:

- JSON, one *envelope* per file or a JSON list of envelopes. The Magister API does not return who
  the pupil is, so the school's export wraps each response::

      {"leerlingnummer": "...", "stamnr": "231045", "bsn": "...", "onderwijsnummer": "",
       "geboortedatum": "2010-03-15", "brin": "99XX",
       "absenties": {"Items": [{"Id": 123, "Start": "2024-09-02T06:30:00.0000000Z",
                                "Eind": "2024-09-02T07:20:00.0000000Z", "Lesuur": 1,
                                "Geoorloofd": false, "Afgehandeld": true,
                                "Verantwoordingtype": 1, "Code": "S", ...}],
                     "TotalCount": 1}}

- optionally a ``;`` CSV student export keyed on ``stamnr``
  (``stamnr;bsn;onderwijsnummer;geboortedatum;startkwalificatie``, only ``stamnr`` required).

Decisions (documented here and in the tests):

- The pupil key (``leerlingnummer`` of the canonical model) is Magister's ``stamnr``, the key of
  the student export; the envelope's ``leerlingnummer`` is used only when ``stamnr`` is absent.
- Identity (V01) and birth date may come from either source. The student export wins when it has
  a BSN or onderwijsnummer (resp. a birth date); a differing envelope value gives W-IDENTITEIT.
  ``startkwalificatie`` comes only from the student export (default N).
- ``Verantwoordingtype``: 1 absent -> AFWEZIG, 2 te laat -> TE_LAAT, 3 ziek -> AFWEZIG,
  4 uit de les -> VERWIJDERD, 6 vrijstelling -> NVT (the canonical status for "this lesson does
  not apply to the pupil": kept for the record, never counted, no presence), 7/8 forgotten book or
  homework -> no registration (not attendance); 7/8 are counted as read and accepted, and within
  accepted as ``ignored`` (``genegeerd``). Any other value is rejected (I-FORMAAT).
- ``geoorloofd``: ``Geoorloofd`` true -> J; false and ``Afgehandeld`` true (or absent) -> N; false
  and ``Afgehandeld`` false -> empty (not yet known: the absence may still be excused, so it counts
  with W-ONBEKEND, F2).
- The categorie always comes from ``school.categorie(Code)`` (never hard-coded, DOMAIN.md 5); an
  unknown code keeps the registration without categorie and gives W-REDENCODE.
- ``Start``/``Eind`` must carry a UTC designator or offset; they are converted to
  Europe/Amsterdam wall time with ``zoneinfo`` (daylight saving handled by the tz database) and
  truncated to the minute. A lesson ending on another local date than it starts, or not after its
  start, is rejected (F1).
- ``Lesuur`` 1-12 is kept; null or 0 ("0e uur", no lesson number) gives a registration without
  lesson number; other values are rejected (I-FORMAAT).
- A file that is not JSON, or not an envelope / list of envelopes, is rejected as a whole (I-JSON)
  and the other files go on; an envelope without a pupil key (I-VERPLICHT) or of another school's
  BRIN (V13) is rejected with all its items. A bare API response without envelope is refused with
  a hint. ``TotalCount`` differing from the number of items (paging) gives W-ONVOLLEDIG.
- Encoding: JSON is UTF-8 (with or without BOM); a file whose bytes look like Windows-1252 is read
  as such with W-TEKENSET. An item containing bytes invalid in the file's encoding is rejected
  (I-TEKENSET), one with a NUL character too (I-TEKEN); the other items go on.
- Accounting: the unit is the absence item. ``ReadStats`` per JSON file has read = accepted +
  rejected; a file rejected as a whole counts 0 items read. The student export counts its rows.
  ``bron_id`` is ``magister:{Id}``; an item whose ``Id`` comes again later for the same pupil is
  replaced by the later one (``assemble``: F1-style "the later wins", W-DUBBEL, counted as
  ``duplicates``), whatever the types: an absence whose ``Id`` comes again later as type 7/8
  (the school re-classified it as homework) no longer counts, and the 7/8 row stays ``ignored``;
  a 7/8 item whose ``Id`` comes again later as an absence is the duplicate and the absence
  counts. Input order is the files in the order given, the items in file order. ``Code`` and
  ``Omschrijving`` travel along as redencode and reden for ``verzuim import``.
- An empty file (0 bytes), JSON or student export, and a student export with only its header
  are refused as ``I-LEEG`` and the other files are read.

Rejection texts name the file, the field and the JSON path (``$.absenties.Items[3]``), and never
contain a BSN, onderwijsnummer or birth date.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from adapters.base import AdapterOutput, Where
from adapters.canonical import ReadStats
from adapters.progress import advance
from adapters.rows import MAX_KEY, empty_file, mask_digits, parse_header
from adapters.textio import BOM, CP1252, UTF8, detect_encoding, read_chunks
from gateway.model import Categorie, Registration, Rejection, SchoolConfig, Status, Student, Warning
from gateway.rules.dayfacts import minutes_problem

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
STUDENT_COLUMNS = ("stamnr", "bsn", "onderwijsnummer", "geboortedatum", "startkwalificatie")
STATUS_BY_TYPE: dict[int, Status] = {
    1: Status.AFWEZIG,  # absent
    2: Status.TE_LAAT,  # te laat
    3: Status.AFWEZIG,  # ziek; the categorie comes from the school's [redencodes]
    4: Status.VERWIJDERD,  # uit de les verwijderd
    6: Status.NVT,  # vrijstelling: not absence
}
IGNORED_TYPES = frozenset({7, 8})  # forgotten book / homework: not attendance
SNIFF_BYTES = 1024 * 1024
DETECT_PARSE_BYTES = 16 * 1024 * 1024

_STAMP = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?(Z|[+-]\d{2}:\d{2})"
)
_BAD_BYTE = re.compile("[\udc80-\udcff]")


class _BadError(Exception):
    """The first problem of an item or envelope: rule, field and reason (without the path)."""

    def __init__(self, rule: str, veld: str, reden: str) -> None:
        super().__init__(reden)
        self.rule = rule
        self.veld = veld
        self.reden = reden


@dataclass(slots=True)
class _Identity:
    """A pupil's identity as one source gives it."""

    stamnr: str
    where: Where
    bsn: str = ""
    onderwijsnummer: str = ""
    geboortedatum: dt.date | None = None
    startkwalificatie: bool = False


@dataclass(slots=True)
class _FileRead:
    """Per JSON file: the item accounting and the unknown reason codes (first path, count)."""

    bestand: str
    encoding: str
    read: int = 0
    rejected: int = 0
    unknown_codes: dict[str, tuple[str, int]] = field(default_factory=dict)


class MagisterAdapter:
    """Magister absenties JSON (+ optional student CSV) -> canonical records (DOMAIN.md 5)."""

    name = "magister"

    def detect(self, paths: Sequence[Path]) -> bool:
        """True when at least one file is Magister absenties JSON (an envelope or list of
        envelopes with ``absenties.Items``, or a bare response with ``Items``, whose items carry
        ``Verantwoordingtype``) and every other file is such JSON or a CSV with a ``stamnr``
        column."""
        found = False
        for path in paths:
            if _is_json(path):
                if not _looks_magister(path):
                    return False
                found = True
            elif not _has_stamnr_header(path):
                return False
        return found

    def read(self, school: SchoolConfig, paths: Sequence[Path]) -> AdapterOutput:
        """Read the files; every bad item, envelope or file becomes a rejection and the rest go
        on. Raises InputError only for a student CSV without ``stamnr`` header (I-KOP)."""
        output = AdapterOutput()
        from_csv: dict[str, _Identity] = {}
        from_json: dict[str, _Identity] = {}
        for path in paths:
            if not _is_json(path):
                _read_students(path, output, from_csv)
        for path in paths:
            if _is_json(path):
                _read_json(path, school, output, from_json)
        _merge_students(from_csv, from_json, output)
        return output


# -- detection ----------------------------------------------------------------------------------


def _is_json(path: Path) -> bool:
    """A ``.json`` file, or any file whose first non-blank character is ``{`` or ``[``."""
    if path.suffix.lower() == ".json":
        return True
    try:
        with path.open("rb") as handle:
            head = handle.read(4096).removeprefix(BOM).lstrip()
    except OSError:
        return False
    return head[:1] in (b"{", b"[")


def _looks_magister(path: Path) -> bool:
    try:
        size = path.stat().st_size
        if size > DETECT_PARSE_BYTES:
            with path.open("rb") as handle:
                head = handle.read(SNIFF_BYTES)
            return b'"Items"' in head and b'"Verantwoordingtype"' in head
        data = json.loads(path.read_bytes().removeprefix(BOM).decode(UTF8, "replace"))
    except (OSError, ValueError, RecursionError):
        return False
    first = data[0] if isinstance(data, list) and data else data
    if not isinstance(first, dict):
        return False
    response = first.get("absenties", first)
    items = response.get("Items") if isinstance(response, dict) else None
    if not isinstance(items, list):
        return False
    if not items:
        return "absenties" in first
    return isinstance(items[0], dict) and "Verantwoordingtype" in items[0]


def _has_stamnr_header(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            line = handle.readline(4096).removeprefix(BOM).decode(UTF8, "replace")
    except OSError:
        return False
    return "stamnr" in (name.strip().lower() for name in line.split(";"))


# -- the student export -------------------------------------------------------------------------


def _read_students(path: Path, output: AdapterOutput, rows: dict[str, _Identity]) -> None:
    """Read a ``;`` student export keyed on ``stamnr`` (DOMAIN.md 5: the BSN comes from a
    separate student export). A repeated stamnr keeps the first row (I-DUBBEL)."""
    source = path.name
    encoding, chunks = read_chunks(path)
    header: tuple[str, ...] | None = None
    read = accepted = 0
    for chunk in chunks:
        bad_lines = {line.number: line.reason for line in chunk.undecodable}
        for offset, line in enumerate(chunk.lines):
            number = chunk.first_line + offset
            if header is None:
                header = parse_header(line, ("stamnr",), STUDENT_COLUMNS, source).names
                continue
            if number in bad_lines:
                read += 1
                output.rejections.append(Rejection("I-TEKENSET", bad_lines[number], source, number))
                continue
            if not line.strip():
                continue
            read += 1
            try:
                identity = _student_row(line, header, Where(source, number))
            except _BadError as bad:
                output.rejections.append(Rejection(bad.rule, bad.reden, source, number, bad.veld))
                continue
            if identity.stamnr in rows:
                first = rows[identity.stamnr].where.regelnummer
                output.rejections.append(
                    Rejection("I-DUBBEL", f"stamnr staat al op regel {first}; deze regel is "
                              "niet gebruikt", source, number, "stamnr", identity.stamnr)
                )  # fmt: skip
                continue
            rows[identity.stamnr] = identity
            accepted += 1
    if read == 0:  # I-LEEG: a file without rows is refused as a whole, the others are read
        output.rejections.append(
            empty_file(source, "bestand bevat alleen een kopregel" if header else "bestand is leeg")
        )
    output.stats.append(ReadStats(source, encoding, read, accepted, read - accepted))
    if encoding == CP1252:
        output.warnings.append(_charset_warning(source))


def _student_row(line: str, header: tuple[str, ...], where: Where) -> _Identity:
    if "\x00" in line:
        raise _BadError("I-TEKEN", "", "regel bevat een NUL-teken")
    try:
        fields = next(csv.reader([line], delimiter=";", strict=True))
    except csv.Error:
        fields = []
    if len(fields) != len(header):
        raise _BadError("I-VELDEN", "", f"verwacht {len(header)} velden, gevonden {len(fields)}")
    values = {name: value.strip() for name, value in zip(header, fields, strict=True)}
    stamnr = _key(values.get("stamnr", ""), "stamnr")
    born = values.get("geboortedatum", "")
    kwalificatie = values.get("startkwalificatie", "").upper()
    if kwalificatie not in ("", "J", "N"):
        raise _BadError("I-FORMAAT", "startkwalificatie", "verwacht J of N")
    return _Identity(
        stamnr=stamnr,
        where=where,
        bsn=values.get("bsn", ""),
        onderwijsnummer=values.get("onderwijsnummer", ""),
        geboortedatum=_birth_date(born) if born else None,
        startkwalificatie=kwalificatie == "J",
    )


def _key(value: str, veld: str) -> str:
    if not value:
        raise _BadError("I-VERPLICHT", veld, f"{veld} ontbreekt")
    if len(value) > MAX_KEY or not value.isprintable():
        raise _BadError("I-FORMAAT", veld, f"{veld}: hoogstens {MAX_KEY} leesbare tekens")
    return value


def _birth_date(value: str) -> dt.date:
    """A birth date ``YYYY-MM-DD``; the reason never repeats the value."""
    try:
        born = dt.date.fromisoformat(value)
    except ValueError:
        born = None
    if born is None or len(value) != 10 or born.year < 1900:
        raise _BadError("I-FORMAAT", "geboortedatum", "geboortedatum is geen datum JJJJ-MM-DD")
    return born


# -- the absenties JSON -------------------------------------------------------------------------


def _read_json(
    path: Path, school: SchoolConfig, output: AdapterOutput, identities: dict[str, _Identity]
) -> None:
    """Read one JSON file of envelopes; see the module docstring for the rules."""
    source = path.name
    raw = path.read_bytes()
    if not raw:
        output.rejections.append(empty_file(source))
        output.stats.append(ReadStats(source, UTF8))
        return
    if raw.startswith(BOM):
        raw = raw[len(BOM) :]
    encoding = detect_encoding(raw[:SNIFF_BYTES])
    state = _FileRead(source, encoding)
    if encoding == CP1252:
        output.warnings.append(_charset_warning(source))
    try:
        data: object = json.loads(raw.decode(encoding, "surrogateescape"), strict=False)
    except json.JSONDecodeError as exc:
        output.rejections.append(
            Rejection("I-JSON", f"geen geldige JSON: {exc.msg} (regel {exc.lineno}, kolom "
                      f"{exc.colno}); het hele bestand is niet gelezen", source, exc.lineno)
        )  # fmt: skip
        data = None
    except RecursionError:
        output.rejections.append(
            Rejection("I-JSON", "JSON te diep genest; het hele bestand is niet gelezen", source)
        )
        data = None
    if isinstance(data, list):
        for index, envelope in enumerate(data):
            _envelope(envelope, f"$[{index}]", school, state, output, identities)
            advance(source, index + 1, len(data))  # a progress bar on a terminal (issue 5)
    elif isinstance(data, dict):
        _envelope(data, "$", school, state, output, identities)
    elif data is not None:
        output.rejections.append(
            Rejection("I-JSON", "$: verwacht een envelop-object of een lijst van envelop-objecten;"
                      " het hele bestand is niet gelezen", source)
        )  # fmt: skip
    for code, (pad, count) in sorted(state.unknown_codes.items()):
        output.warnings.append(
            Warning("W-REDENCODE", f"{pad}: Code {mask_digits(code)[:20]!r} staat niet in "
                    f"[redencodes] van het schoolbestand ({count} absenties); geteld zonder "
                    "categorie (F2)", bestand=source, veld="Code")
        )  # fmt: skip
    output.stats.append(
        ReadStats(source, encoding, state.read, state.read - state.rejected, state.rejected)
    )


def _envelope(
    envelope: object,
    pad: str,
    school: SchoolConfig,
    state: _FileRead,
    output: AdapterOutput,
    identities: dict[str, _Identity],
) -> None:
    """One envelope: identity fields, then every item of ``absenties.Items``."""
    source = state.bestand

    def reject(rule: str, veld: str, reden: str, pupil: str | None = None) -> None:
        output.rejections.append(Rejection(rule, f"{pad}: {reden}", source, None, veld, pupil))

    if not isinstance(envelope, dict):
        reject("I-JSON", "", "verwacht een envelop-object met stamnr en absenties")
        return
    response = envelope.get("absenties")
    if response is None and "Items" in envelope:
        reject(
            "I-JSON",
            "absenties",
            "kale Magister-respons zonder envelop: de leerling "
            '(stamnr) ontbreekt; verpak de respons als {"stamnr": ..., "absenties": ...}',
        )
        return
    if not isinstance(response, dict):
        reject("I-JSON", "absenties", "absenties ontbreekt of is geen object")
        return
    items = response.get("Items")
    if not isinstance(items, list):
        reject("I-JSON", "Items", "absenties.Items ontbreekt of is geen lijst")
        return
    state.read += len(items)
    try:
        stamnr = _envelope_key(envelope)
        brin = envelope.get("brin")
        if brin not in (None, "") and brin != school.brin:
            shown = mask_digits(str(brin))[:6] if isinstance(brin, str) else "?"
            raise _BadError("V13", "brin", f"BRIN {shown!r} hoort niet bij deze school "
                            f"({school.brin})")  # fmt: skip
    except _BadError as bad:
        state.rejected += len(items)
        reject(bad.rule, bad.veld, f"{bad.reden}; {len(items)} absenties niet gelezen")
        return
    try:
        identity = _envelope_identity(envelope, stamnr, Where(source, pad=pad))
    except _BadError as bad:
        reject(bad.rule, bad.veld, bad.reden, stamnr)
    else:
        _remember(identity, identities, output)
    total = response.get("TotalCount")
    if isinstance(total, int) and not isinstance(total, bool) and total != len(items):
        output.warnings.append(
            Warning("W-ONVOLLEDIG", f"{pad}.absenties: TotalCount is {mask_digits(str(total))} "
                    f"maar er staan {len(items)} absenties in het bestand (pagina's ontbreken?)",
                    stamnr, bestand=source, veld="TotalCount")
        )  # fmt: skip
    base = f"{pad}.absenties.Items"
    for index, item in enumerate(items):
        where = Where(source, pad=f"{base}[{index}]")
        try:
            registration = _item(item, stamnr, school, state, where.pad)
        except _BadError as bad:
            state.rejected += 1
            output.rejections.append(
                Rejection(bad.rule, f"{where.pad}: {bad.reden}", source, None, bad.veld, stamnr)
            )
            continue
        if registration is None:
            output.other_rows.append((stamnr, where, True))  # Verantwoordingtype 7/8: ignored
            bron_id = _ignored_bron_id(item)
            if bron_id:  # a version of its Id: the later version wins (``assemble``, W-DUBBEL)
                output.ignored_bron_ids.append((stamnr, where, bron_id, len(output.registrations)))
        else:
            output.registrations.append((registration, where))
            output.texts[registration.bron_id] = (_text(item, "Code"), _text(item, "Omschrijving"))


def _envelope_key(envelope: dict[str, object]) -> str:
    """The pupil key: ``stamnr``, else the envelope's ``leerlingnummer``."""
    for veld in ("stamnr", "leerlingnummer"):
        value = envelope.get(veld)
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if isinstance(value, str) and value.strip():
            if _BAD_BYTE.search(value):
                raise _BadError(
                    "I-TEKENSET", veld, f"{veld} bevat bytes die geen geldige tekst zijn"
                )
            return _key(value.strip(), veld)
    raise _BadError("I-VERPLICHT", "stamnr", "stamnr (of leerlingnummer) ontbreekt")


def _envelope_identity(envelope: dict[str, object], stamnr: str, where: Where) -> _Identity:
    """BSN, onderwijsnummer and birth date of the envelope (all optional: they may come from
    the student export). A malformed value is reported without repeating it."""
    values: dict[str, str] = {}
    for veld in ("bsn", "onderwijsnummer", "geboortedatum"):
        value = envelope.get(veld)
        if value is None:
            value = ""
        if not isinstance(value, str) or _BAD_BYTE.search(value):
            raise _BadError("I-FORMAAT", veld, f"{veld} is geen tekst; de envelop levert geen "
                            "identiteit (de absenties zijn wel gelezen)")  # fmt: skip
        values[veld] = value.strip()
    born = values["geboortedatum"]
    try:
        birth_date = _birth_date(born) if born else None
    except _BadError as bad:
        raise _BadError(bad.rule, bad.veld, f"{bad.reden}; de envelop levert geen identiteit (de "
                        "absenties zijn wel gelezen)") from None  # fmt: skip
    return _Identity(stamnr, where, values["bsn"], values["onderwijsnummer"], birth_date)


def _remember(identity: _Identity, identities: dict[str, _Identity], output: AdapterOutput) -> None:
    """Keep the first envelope identity of a pupil; warn when a later one differs."""
    first = identities.get(identity.stamnr)
    if first is None:
        identities[identity.stamnr] = identity
        return
    if (identity.bsn, identity.onderwijsnummer, identity.geboortedatum) != (
        first.bsn,
        first.onderwijsnummer,
        first.geboortedatum,
    ):
        output.warnings.append(
            Warning("W-IDENTITEIT", f"{identity.where.pad}: identiteit wijkt af van een eerdere "
                    f"envelop van deze leerling ({first.where.bestand} {first.where.pad}); die "
                    "is gebruikt", identity.stamnr, bestand=identity.where.bestand, veld="bsn")
        )  # fmt: skip


def _item(
    item: object, stamnr: str, school: SchoolConfig, state: _FileRead, pad: str
) -> Registration | None:
    """One absentie -> a registration (None for types 7/8); raises _BadError for the first
    problem."""
    if not isinstance(item, dict):
        raise _BadError("I-FORMAAT", "", "verwacht een absentie-object")
    kind = _required_integer(item, "Verantwoordingtype")
    if kind in IGNORED_TYPES:
        return None
    status = STATUS_BY_TYPE.get(kind)
    if status is None:
        raise _BadError("I-FORMAAT", "Verantwoordingtype", "onbekend Verantwoordingtype "
                        f"{mask_digits(str(kind))} (verwacht 1, 2, 3, 4, 6, 7 of 8)")  # fmt: skip
    _check_text(item)
    ident = _required_integer(item, "Id")
    start = _instant(item, "Start")
    end = _instant(item, "Eind")
    if end <= start:
        raise _BadError("F1", "Eind", "Eind ligt niet na Start (F1)")
    local_start = start.astimezone(AMSTERDAM)
    local_end = end.astimezone(AMSTERDAM)
    if local_end.date() != local_start.date():
        raise _BadError("F1", "Eind", "Start en Eind vallen op verschillende dagen (Nederlandse "
                        "tijd) (F1)")  # fmt: skip
    begin_time = local_start.time().replace(second=0, microsecond=0)
    end_time = local_end.time().replace(second=0, microsecond=0)
    problem = minutes_problem(
        begin_time.hour * 60 + begin_time.minute, end_time.hour * 60 + end_time.minute
    )
    if problem is not None:
        raise _BadError("F1", "Eind", problem)
    geoorloofd = _boolean(item, "Geoorloofd", required=True)
    afgehandeld = _boolean(item, "Afgehandeld", required=False)
    lesuur = _integer(item, "Lesuur", required=False)
    if lesuur is not None and not 0 <= lesuur <= 12:
        raise _BadError(
            "I-FORMAAT", "Lesuur", f"Lesuur {mask_digits(str(lesuur))} is geen lesuur 0-12"
        )
    return Registration(
        leerlingnummer=stamnr,
        datum=local_start.date(),
        begintijd=begin_time,
        eindtijd=end_time,
        status=status,
        geoorloofd=True if geoorloofd else (None if afgehandeld is False else False),
        categorie=_categorie(item, school, state, pad),
        lesuur=lesuur or None,
        bron_id=f"magister:{ident}",
    )


def _ignored_bron_id(item: object) -> str:
    """The ``bron_id`` of a type 7/8 item (``magister:{Id}``; '' without an integer ``Id``, which
    such an item need not have): the later version of an Id wins whatever its type (issue 5,
    W-DUBBEL in ``assemble``; DOMAIN.md 5: 7/8 is not absence), so an absence re-classified as
    homework no longer counts."""
    ident = item.get("Id") if isinstance(item, dict) else None
    if not isinstance(ident, int) or isinstance(ident, bool):
        return ""
    return f"magister:{ident}"


def _text(item: object, veld: str) -> str:
    """A text field of a checked item for ``verzuim import`` ('' when absent or not text)."""
    value = item.get(veld) if isinstance(item, dict) else None
    return value.strip() if isinstance(value, str) else ""


def _check_text(item: dict[str, object], path: str = "") -> None:
    """I-TEKENSET / I-TEKEN: no bytes invalid in the file's encoding, no NUL, in any string."""
    for key, value in item.items():
        name = f"{path}.{key}" if path else str(key)
        if isinstance(value, dict):
            _check_text(value, name)
        elif isinstance(value, str):
            bad = _BAD_BYTE.search(value)
            if bad is not None:
                byte = ord(bad.group()) - 0xDC00
                raise _BadError("I-TEKENSET", name, f"{name}: byte 0x{byte:02x} is geen geldige "
                                "tekst in de tekenset van het bestand")  # fmt: skip
            if "\x00" in value:
                raise _BadError("I-TEKEN", name, f"{name} bevat een NUL-teken")


def _integer(item: dict[str, object], veld: str, required: bool) -> int | None:
    value = item.get(veld)
    if value is None:
        if required:
            raise _BadError("I-VERPLICHT", veld, f"{veld} ontbreekt")
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise _BadError("I-FORMAAT", veld, f"{veld} {_shown(value)} is geen geheel getal")
    return value


def _required_integer(item: dict[str, object], veld: str) -> int:
    value = _integer(item, veld, required=True)
    assert value is not None
    return value


def _boolean(item: dict[str, object], veld: str, required: bool) -> bool | None:
    value = item.get(veld)
    if value is None:
        if required:
            raise _BadError("I-VERPLICHT", veld, f"{veld} ontbreekt")
        return None
    if not isinstance(value, bool):
        raise _BadError("I-FORMAAT", veld, f"{veld} {_shown(value)} is geen true of false")
    return value


def _instant(item: dict[str, object], veld: str) -> dt.datetime:
    """A Magister timestamp (``2024-09-02T06:30:00.0000000Z``) as an aware datetime. Seven
    decimals are cut to microseconds; a timestamp without ``Z`` or offset is refused."""
    value = item.get(veld)
    if value is None or value == "":
        raise _BadError("I-VERPLICHT", veld, f"{veld} ontbreekt")
    match = _STAMP.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise _BadError("I-FORMAAT", veld, f"{veld} {_shown(value)} is geen tijdstip "
                        "JJJJ-MM-DDTuu:mm:ss.fffffffZ")  # fmt: skip
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        tzinfo = dt.UTC
        if zone != "Z":
            sign = -1 if zone[0] == "-" else 1
            offset = dt.timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
            tzinfo = dt.timezone(sign * offset)
        return dt.datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second or 0),
            int((fraction or "0").ljust(7, "0")[:6]), tzinfo=tzinfo,
        )  # fmt: skip
    except ValueError:
        raise _BadError(
            "I-FORMAAT", veld, f"{veld} {_shown(value)} is geen bestaand tijdstip"
        ) from None


def _categorie(
    item: dict[str, object], school: SchoolConfig, state: _FileRead, pad: str
) -> Categorie | None:
    """The school's categorie of ``Code`` (DOMAIN.md 5: never hard-coded); W-REDENCODE later
    for a code the school did not map."""
    code = item.get("Code")
    if code is None or code == "":
        return None
    if not isinstance(code, str):
        raise _BadError("I-FORMAAT", "Code", f"Code {_shown(code)} is geen tekst")
    code = code.strip()
    categorie = school.categorie(code)
    if categorie is None and code:
        first, count = state.unknown_codes.get(code, (pad, 0))
        state.unknown_codes[code] = (first, count + 1)
    return categorie


def _shown(value: object, limit: int = 40) -> str:
    """A value quoted for an error text, cut short, runs of nine digits masked (a BSN in the
    wrong field never reaches a rejection)."""
    text = value if isinstance(value, str) else json.dumps(value)
    return repr(mask_digits(text[:limit]))


# -- identity -----------------------------------------------------------------------------------


def _merge_students(
    from_csv: dict[str, _Identity], from_json: dict[str, _Identity], output: AdapterOutput
) -> None:
    """One ``Student`` per stamnr: identity and birth date from the student export when it has
    them, else from the envelope (DOMAIN.md 5: BSN from a separate export; V01 in ``assemble``).
    A pupil without a birth date anywhere gets no Student: ``assemble`` reports I-LEERLING for
    their registrations."""
    for stamnr in [*from_csv, *(key for key in from_json if key not in from_csv)]:
        row = from_csv.get(stamnr)
        envelope = from_json.get(stamnr)
        source = row if row is not None and (row.bsn or row.onderwijsnummer) else envelope
        source = source or row
        assert source is not None
        born = (row.geboortedatum if row else None) or (
            envelope.geboortedatum if envelope else None
        )
        if row is not None and envelope is not None:
            _conflicts(row, envelope, source is row, output)
        if born is None:
            continue
        output.students.append(
            (
                Student(
                    leerlingnummer=stamnr,
                    geboortedatum=born,
                    bsn=source.bsn,
                    onderwijsnummer=source.onderwijsnummer,
                    startkwalificatie=row.startkwalificatie if row else False,
                ),
                source.where,
            )
        )


def _conflicts(row: _Identity, envelope: _Identity, row_used: bool, output: AdapterOutput) -> None:
    """W-IDENTITEIT when the envelope differs from the student export (values never shown)."""
    where = envelope.where
    if row_used and envelope.bsn and row.bsn and envelope.bsn != row.bsn:
        output.warnings.append(
            Warning("W-IDENTITEIT", f"{where.pad}: BSN in de envelop wijkt af van het "
                    f"leerlingenbestand ({row.where.bestand}); dat van het leerlingenbestand is "
                    "gebruikt", row.stamnr, bestand=where.bestand, veld="bsn")
        )  # fmt: skip
    if row.geboortedatum and envelope.geboortedatum and row.geboortedatum != envelope.geboortedatum:
        output.warnings.append(
            Warning("W-IDENTITEIT", f"{where.pad}: geboortedatum in de envelop wijkt af van het "
                    f"leerlingenbestand ({row.where.bestand}); dat van het leerlingenbestand is "
                    "gebruikt", row.stamnr, bestand=where.bestand, veld="geboortedatum")
        )  # fmt: skip


def _charset_warning(source: str) -> Warning:
    return Warning("W-TEKENSET", "gelezen als Windows-1252 (geen geldige UTF-8)", bestand=source)
