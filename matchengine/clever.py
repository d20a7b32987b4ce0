"""Read a Clever district snapshot (API v3.0 JSON objects) into polars frames.

``--clever PATH`` is a directory or one file.  A directory may hold, each as ``.ndjson``,
``.jsonl``, ``.json`` or ``.parquet`` (file names compared case-insensitively):

- ``users.*`` and the optional split files ``students.*``, ``teachers.*``, ``staff.*`` and
  ``district_admins.*``, all holding Clever user objects;
- ``schools.*``, ``sections.*``, ``districts.*``.

A single file is the users file, unless its name says it is one of the others
(``schools.json`` and so on).  Every file may be NDJSON (one JSON value per line), one JSON
array, one API page ``{"data": [{"data": {...}}, ...], "links": [...]}`` or an array of pages;
each item may be bare or wrapped as ``{"data": {...}}``.  A Parquet file holds one object
per row with the same nested fields (as Spark writes the NDJSON it read).  Unknown keys are ignored and every field
except ``id`` may be missing or null.

A user seen more than once (in several files or pages) becomes one record: the objects are
merged oldest first by ``last_modified`` (ties: file order, then position in the file), so the
newest object wins every key it carries and roles are united.

Every value is returned verbatim as a string (``""`` when absent); helper columns used for
matching start with ``_``.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import polars as pl

from matchengine.clever_fast import load_role_fast
from matchengine.errors import InvalidDataError, UsageError
from matchengine.fields import canonical_role
from matchengine.matchmaker import CLEVER_FIELDS
from matchengine.perf import gc_paused

PathArg = str | os.PathLike[str]

EXTENSIONS = (".ndjson", ".jsonl", ".json", ".parquet")
USER_KINDS = ("users", "students", "teachers", "staff", "district_admins")
OTHER_KINDS = ("schools", "sections", "districts")
USER_ROLES = ("student", "teacher", "staff")

DISTRICT_FIELDS = ("id", "name", "mdr_number", "nces_id", "state")
USER_HELPERS = (
    "_preferred_first_name",
    "_school_keys",
    "_legacy_id",
    "_address",
    "_city",
    "_zip",
)
SECTION_HELPERS = ("_teachers", "_students")

# The user roles whose holders make up each Matchmaker role.
_HOLDER_ROLES: dict[str, tuple[str, ...]] = {
    "student": ("student",),
    "teacher": ("teacher",),
    "staff": ("staff", "district_admin"),
}

# One role object (roles.<key>) boiled down to a tuple: these scalars, then the district
# username, the preferred first name and the ``schools`` ids.
_ROLE_SCALARS = (
    "sis_id",
    "student_number",
    "teacher_number",
    "staff_id",
    "state_id",
    "dob",
    "grade",
    "title",
    "department",
    "school",
    "legacy_id",
)
_P = {name: i for i, name in enumerate(_ROLE_SCALARS)}
_P_USERNAME = len(_ROLE_SCALARS)
_P_PREFERRED = _P_USERNAME + 1
_P_SCHOOLS = _P_USERNAME + 2
_P_ADDRESS = _P_SCHOOLS + 1  # then city, zip: the role's ``location``
_EMPTY_PAYLOAD: tuple[Any, ...] = ("",) * (_P_SCHOOLS) + ((),) + ("", "", "")

# User-level values, in this order; ``None`` means the object did not carry the key.
_TOP_FIELDS = ("district", "email", "first_name", "middle_name", "last_name", "preferred_first")
_T = {name: i for i, name in enumerate(_TOP_FIELDS)}

# School fields that identify a school on a user (after the school id itself).
_SCHOOL_KEY_FIELDS = ("name", "sis_id", "school_number", "state_id", "nces_id")
_LOCATION_FIELDS = ("address", "city", "state", "zip")

_ABSENT = object()
_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()

# A user object reduced to what one load needs:
# (last_modified, sequence, top values, role keys, {role key: payload} or None)
_Entry = tuple[Any, int, tuple[str | None, ...], tuple[str, ...], dict[str, tuple[Any, ...]] | None]


# --------------------------------------------------------------------------- public API


def load_role(path: PathArg, role: str) -> pl.DataFrame:
    """One row per Clever user holding ``role`` (student, teacher or staff), sorted by ``id``.

    Columns: ``CLEVER_FIELDS[role]`` in order, then ``_preferred_first_name``,
    ``_school_keys`` (List(String)) and ``_legacy_id``.  Staff are the users holding
    ``staff`` or ``district_admin``.  All other columns are String, ``""`` when absent.
    """
    role = canonical_role(role)
    if role not in USER_ROLES:
        raise UsageError(
            f"load_role reads user roles ({', '.join(USER_ROLES)}), not {role!r}; "
            f"use load_{role}s for {role}s"
        )
    snapshot = _Snapshot(path)
    user_files = snapshot.files(USER_KINDS)
    if not user_files:
        raise InvalidDataError(snapshot.no_users_message())
    with gc_paused():
        schools = _school_index(_load_objects(snapshot.files(("schools",))))
        fast = load_role_fast(user_files, _HOLDER_ROLES[role], role, schools, USER_HELPERS)
        if fast is not None:
            return fast
        records = _load_users(user_files, _HOLDER_ROLES[role])
        return _role_frame(role, records, schools)


def load_schools(path: PathArg) -> pl.DataFrame:
    """``CLEVER_FIELDS["school"]`` per school, sorted by ``id``; empty when there is none."""
    snapshot = _Snapshot(path)
    objects = _load_objects(snapshot.files(("schools",)))
    fields = CLEVER_FIELDS["school"]
    rows = [objects[k] for k in sorted(objects)]
    columns: dict[str, list[str]] = {}
    for name in fields:
        if name in _LOCATION_FIELDS:
            columns[name] = [_s(_sub(obj.get("location"), name)) for obj in rows]
        else:
            columns[name] = [_field(obj, name) for obj in rows]
    return _frame(columns, {})


def load_sections(path: PathArg) -> pl.DataFrame:
    """``CLEVER_FIELDS["section"]`` per section plus ``_teachers`` and ``_students``.

    ``_teachers`` holds the ``teachers`` ids in Clever's order, preceded by the primary
    ``teacher`` when the array lacks it; ``_students`` the ``students`` ids.
    """
    snapshot = _Snapshot(path)
    objects = _load_objects(snapshot.files(("sections",)))
    rows = [objects[k] for k in sorted(objects)]
    columns = {name: [_field(obj, name) for obj in rows] for name in CLEVER_FIELDS["section"]}
    teachers: list[list[str]] = []
    for obj in rows:
        ids = _id_list(obj.get("teachers"))
        primary = _s(obj.get("teacher"))
        if primary and primary not in ids:
            ids.insert(0, primary)
        teachers.append(ids)
    lists = {
        "_teachers": teachers,
        "_students": [_id_list(obj.get("students")) for obj in rows],
    }
    return _frame(columns, lists)


def load_districts(path: PathArg) -> pl.DataFrame:
    """``id, name, mdr_number, nces_id, state`` per district, sorted by ``id``."""
    snapshot = _Snapshot(path)
    objects = _load_objects(snapshot.files(("districts",)))
    rows = [objects[k] for k in sorted(objects)]
    return _frame({name: [_field(obj, name) for obj in rows] for name in DISTRICT_FIELDS}, {})


# --------------------------------------------------------------------------- files


class _Snapshot:
    """The files of a snapshot, by kind (``users``, ``schools``, ...), in reading order."""

    def __init__(self, path: PathArg) -> None:
        self.path = Path(path)
        self.by_kind: dict[str, list[Path]] = {}
        if not self.path.exists():
            raise UsageError(
                f"{self.path}: no such file or directory; pass --clever a Clever snapshot "
                "directory or its users file"
            )
        if self.path.is_dir():
            self.is_dir = True
            found: dict[str, list[tuple[int, str, Path]]] = {}
            kinds = USER_KINDS + OTHER_KINDS
            for entry in self.path.iterdir():
                kind, ext_rank = _kind_of(entry.name)
                if kind in kinds and entry.is_file():
                    found.setdefault(kind, []).append((ext_rank, entry.name, entry))
            self.by_kind = {k: [p for _, _, p in sorted(v)] for k, v in found.items()}
        else:
            self.is_dir = False
            kind, _ = _kind_of(self.path.name)
            if kind not in OTHER_KINDS and kind not in USER_KINDS:
                kind = "users"
            self.by_kind = {kind: [self.path]}

    def files(self, kinds: Sequence[str]) -> list[Path]:
        return [p for kind in kinds for p in self.by_kind.get(kind, [])]

    def no_users_message(self) -> str:
        if not self.is_dir:
            kind = next(iter(self.by_kind))
            return (
                f"{self.path}: this is a Clever {kind} file, not a users file; pass the "
                "snapshot directory or its users file and re-run"
            )
        looked = ", ".join(f"{k}{e}" for k in USER_KINDS for e in EXTENSIONS)
        return (
            f"{self.path}: no Clever users file found (looked for {looked}); put the "
            "district's users export there and re-run"
        )


def _kind_of(name: str) -> tuple[str, int]:
    lower = name.lower()
    for rank, ext in enumerate(EXTENSIONS):
        if lower.endswith(ext):
            return lower[: -len(ext)], rank
    return lower.rsplit(".", 1)[0], len(EXTENSIONS)


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidDataError(
            f"{path}: cannot read the file ({exc.strerror or exc}); check it and re-run"
        ) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - line_start + 1
        byte = data[exc.start : exc.start + 1].hex()
        raise InvalidDataError(
            f"{path} line {line}, column {column}: invalid UTF-8 (byte 0x{byte}); "
            "save the file as UTF-8 and re-run"
        ) from None


def _iter_parquet(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """Rows of a Parquet file as Clever objects (structs become objects, lists arrays).

    A value JSON has no type for (a timestamp, a decimal) becomes its text, and a null
    field is left out (Parquet gives every row every field of the schema; in Clever's
    JSON an absent role must not read as a role held), as if the snapshot had been NDJSON.
    """
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (OSError, ValueError) as exc:
        raise InvalidDataError(
            f"{path}: not a readable Parquet file ({exc}); check it and re-run"
        ) from None
    for start in range(0, table.num_rows, 50_000):
        for row, item in enumerate(table.slice(start, 50_000).to_pylist(), start + 1):
            item = _without_nulls(json.loads(json.dumps(item, default=_json_text)))
            yield _object(path, item, f" row {row}")


def _json_text(value: Any) -> str:
    """Text for a Parquet value JSON lacks: ISO 8601 for dates and times."""
    iso = getattr(value, "isoformat", None)
    return iso() if callable(iso) else str(value)


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def _iter_objects(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield ``(id, object)`` for every Clever object in the file, in file order."""
    if path.suffix.lower() == ".parquet":
        yield from _iter_parquet(path)
        return
    text = _read_text(path)
    start = _match_ws(text, 0)
    if start >= len(text):
        return
    if text[start] == "[":
        yield from _iter_array(path, text, start)
        return
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        if text[start] == "{" and exc.msg == "Extra data":
            yield from _iter_ndjson(path, text)
            return
        raise _document_error(path, exc) from None
    yield from _doc_objects(path, doc, "")


def _document_error(path: Path, exc: json.JSONDecodeError) -> InvalidDataError:
    return InvalidDataError(
        f"{path} line {exc.lineno}, column {exc.colno}: malformed JSON ({exc.msg}); "
        "fix the JSON there (the file must be NDJSON, one array or one API page) and re-run"
    )


def _iter_array(path: Path, text: str, start: int) -> Iterator[tuple[str, dict[str, Any]]]:
    """A top-level JSON array, decoded one element at a time.

    Same result and error positions as decoding the whole document, without first holding
    every object of a large file in memory at once.
    """
    decode = _DECODER.raw_decode
    size = len(text)
    pos = _match_ws(text, start + 1)
    index = 0
    if pos < size and text[pos] == "]":
        pos = _match_ws(text, pos + 1)
    else:
        while True:
            try:
                item, end = decode(text, pos)
            except json.JSONDecodeError as exc:
                raise _document_error(path, exc) from None
            index += 1
            uid = item.get("id") if type(item) is dict else None
            if type(uid) is str and uid:
                yield uid, item
            elif _is_page(item):
                for j, sub in enumerate(item["data"], 1):
                    yield _object(path, sub, f" page {index} item {j}")
            else:
                yield _object(path, item, f" item {index}")
            pos = _match_ws(text, end)
            if pos < size and text[pos] == ",":
                pos = _match_ws(text, pos + 1)
            elif pos < size and text[pos] == "]":
                pos = _match_ws(text, pos + 1)
                break
            else:
                error = json.JSONDecodeError("Expecting ',' delimiter", text, pos)
                raise _document_error(path, error)
    if pos < size:
        raise _document_error(path, json.JSONDecodeError("Extra data", text, pos))


def _match_ws(text: str, pos: int) -> int:
    match = _WS.match(text, pos)
    return match.end() if match else pos


def _iter_ndjson(path: Path, text: str) -> Iterator[tuple[str, dict[str, Any]]]:
    decode = _DECODER.raw_decode
    ws = _WS.match
    count = text.count
    pos = _match_ws(text, 0)
    size = len(text)
    line = 1
    last = 0
    while pos < size:
        line += count("\n", last, pos)
        last = pos
        try:
            obj, end = decode(text, pos)
        except json.JSONDecodeError as exc:
            raise _ndjson_error(path, text, pos, line, exc) from None
        uid = obj.get("id") if type(obj) is dict else None
        if type(uid) is str and uid:
            yield uid, obj
        else:
            yield from _doc_objects(path, obj, f" line {line}")
        match = ws(text, end)
        pos = match.end() if match else end


def _ndjson_error(
    path: Path, text: str, pos: int, line: int, exc: json.JSONDecodeError
) -> InvalidDataError:
    line_start = text.rfind("\n", 0, pos) + 1
    line_end = text.find("\n", pos)
    if line_end < 0:
        line_end = len(text)
    msg = exc.msg
    column = exc.pos - line_start + 1
    if exc.pos > line_end:
        # The value ran on past its line (e.g. a missing closing brace): report the
        # problem within that line, as NDJSON means one value per line.
        try:
            json.loads(text[pos:line_end])
        except json.JSONDecodeError as inner:
            msg = inner.msg
            column = pos - line_start + inner.pos + 1
    return InvalidDataError(
        f"{path} line {line}, column {column}: malformed JSON ({msg}); "
        "fix or remove that line and re-run"
    )


def _doc_objects(path: Path, doc: Any, where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """The objects of one parsed document: an object, an array, a page or pages of them."""
    if isinstance(doc, list):
        for i, item in enumerate(doc, 1):
            if _is_page(item):
                for j, sub in enumerate(item["data"], 1):
                    yield _object(path, sub, f"{where} page {i} item {j}")
            else:
                yield _object(path, item, f"{where} item {i}")
    elif _is_page(doc):
        for j, sub in enumerate(doc["data"], 1):
            yield _object(path, sub, f"{where} item {j}")
    else:
        yield _object(path, doc, where)


def _is_page(value: Any) -> bool:
    return isinstance(value, dict) and "id" not in value and isinstance(value.get("data"), list)


def _object(path: Path, item: Any, where: str) -> tuple[str, dict[str, Any]]:
    while isinstance(item, dict) and "id" not in item and isinstance(item.get("data"), dict):
        item = item["data"]
    if not isinstance(item, dict):
        kind = "null" if item is None else type(item).__name__
        raise InvalidDataError(
            f"{path}{where}: expected a Clever object, found a JSON {kind}; "
            "fix or remove it and re-run"
        )
    uid = _s(item.get("id"))
    if not uid:
        raise InvalidDataError(
            f'{path}{where}: the object has no "id" (every Clever record needs one); '
            "fix or remove it and re-run"
        )
    return uid, item


# --------------------------------------------------------------------------- values


def _s(value: Any) -> str:
    """A JSON value as a string: verbatim strings, ``""`` for null, ints without ``.0``."""
    if type(value) is str:
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, str):
        return str(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _sub(container: Any, key: str) -> Any:
    return container.get(key) if isinstance(container, dict) else None


def _field(obj: Mapping[str, Any], name: str) -> str:
    return _s(obj.get(name))


def _id_list(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    out: list[str] = []
    for item in value:
        text = _s(item)
        if text and text not in out:
            out.append(text)
    return out


def _modified_key(value: Any) -> float:
    """``last_modified`` as a sortable number; missing or unreadable sorts first."""
    if not isinstance(value, str) or not value.strip():
        return float("-inf")
    text = value.strip()
    if text[-1] in "Zz":
        text = text[:-1] + "+00:00"
    try:
        stamp = datetime.fromisoformat(text)
    except ValueError:
        return float("-inf")
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=timezone.utc)
    return stamp.timestamp()


# --------------------------------------------------------------------------- objects


def _load_objects(files: Sequence[Path]) -> dict[str, dict[str, Any]]:
    """Schools, sections or districts by id; a repeated id keeps the newest object."""
    best: dict[str, tuple[int, dict[str, Any]]] = {}
    seq = 0
    for path in files:
        for uid, obj in _iter_objects(path):
            seq += 1
            prev = best.get(uid)
            if prev is not None:
                old = (_modified_key(prev[1].get("last_modified")), prev[0])
                new = (_modified_key(obj.get("last_modified")), seq)
                if new < old:
                    continue
            best[uid] = (seq, obj)
    return {uid: obj for uid, (_, obj) in best.items()}


def _school_index(schools: Mapping[str, Mapping[str, Any]]) -> dict[str, tuple[str, ...]]:
    """School id -> (name, sis_id, school_number, state_id, nces_id)."""
    return {
        uid: tuple(_s(obj.get(name)) for name in _SCHOOL_KEY_FIELDS) for uid, obj in schools.items()
    }


# --------------------------------------------------------------------------- users


def _present(obj: Mapping[str, Any], key: str) -> str | None:
    """The value as a string, or ``None`` when the object does not carry the key."""
    value = obj.get(key, _ABSENT)
    if type(value) is str:
        return value
    return None if value is _ABSENT else _s(value)


def _payload(role: Any) -> tuple[Any, ...]:
    if not isinstance(role, dict):
        return _EMPTY_PAYLOAD
    get = role.get
    values: list[Any] = [
        v if type(v) is str else "" if v is None else _s(v) for v in map(get, _ROLE_SCALARS)
    ]
    values.append(_s(_sub(get("credentials"), "district_username")))
    values.append(_s(_sub(get("preferred_name"), "first")))
    schools = get("schools")
    values.append(tuple(_id_list(schools)) if schools else ())
    location = get("location")
    for key in ("address", "city", "zip"):
        values.append(_s(_sub(location, key)))
    return tuple(values)


def _user_entry(obj: dict[str, Any], seq: int, wanted: tuple[str, ...]) -> _Entry:
    if "name" in obj:
        name = obj["name"]
        if isinstance(name, dict):
            first = _present(name, "first")
            middle = _present(name, "middle")
            last = _present(name, "last")
        else:
            first = middle = last = ""
    else:
        first = middle = last = None
    if "preferred_name" in obj:
        preferred: str | None = _s(_sub(obj["preferred_name"], "first"))
    else:
        preferred = None
    top = (
        _present(obj, "district"),
        _present(obj, "email"),
        first,
        middle,
        last,
        preferred,
    )
    roles = obj.get("roles")
    keys: tuple[str, ...] = ()
    payloads: dict[str, tuple[Any, ...]] | None = None
    if isinstance(roles, dict):
        keys = tuple(k for k, v in roles.items() if v is not None)
        for key in wanted:
            role = roles.get(key)
            if role is not None:
                if payloads is None:
                    payloads = {}
                payloads[key] = _payload(role)
    return (obj.get("last_modified"), seq, top, keys, payloads)


def _merge(entries: list[_Entry]) -> _Entry:
    """Fold the objects of one user, oldest first: newer objects win the keys they carry."""
    entries.sort(key=lambda e: (_modified_key(e[0]), e[1]))
    top: list[str | None] = [None] * len(_TOP_FIELDS)
    keys: set[str] = set()
    payloads: dict[str, tuple[Any, ...]] = {}
    for entry in entries:
        for i, value in enumerate(entry[2]):
            if value is not None:
                top[i] = value
        keys.update(entry[3])
        if entry[4]:
            payloads.update(entry[4])
    newest = entries[-1]
    return (newest[0], newest[1], tuple(top), tuple(sorted(keys)), payloads or None)


def _load_users(files: Sequence[Path], wanted: tuple[str, ...]) -> dict[str, _Entry]:
    records: dict[str, _Entry] = {}
    repeated: dict[str, list[_Entry]] = {}
    seq = 0
    for path in files:
        for uid, obj in _iter_objects(path):
            seq += 1
            entry = _user_entry(obj, seq, wanted)
            if uid in records:
                repeated.setdefault(uid, [records[uid]]).append(entry)
            else:
                records[uid] = entry
    for uid, entries in repeated.items():
        records[uid] = _merge(entries)
    return records


def _effective(
    payloads: Mapping[str, tuple[Any, ...]], holders: tuple[str, ...]
) -> tuple[Any, ...]:
    """The role payload a row shows: the first holder role's, gaps filled from the next ones."""
    parts = [payloads[k] for k in holders if k in payloads]
    if len(parts) == 1:
        return parts[0]
    merged = list(parts[0])
    for part in parts[1:]:
        for i, value in enumerate(part):
            if not merged[i]:
                merged[i] = value
    return tuple(merged)


def _role_frame(
    role: str, records: Mapping[str, _Entry], schools: Mapping[str, tuple[str, ...]]
) -> pl.DataFrame:
    holders = _HOLDER_ROLES[role]
    ids = sorted(uid for uid, entry in records.items() if entry[4])
    entries = [records[uid] for uid in ids]
    tops = [entry[2] for entry in entries]
    effs = [_effective(entry[4] or {}, holders) for entry in entries]

    def top_column(name: str) -> list[str]:
        i = _T[name]
        return [t[i] or "" for t in tops]

    def payload_column(i: int) -> list[str]:
        return [p[i] for p in effs]

    school_i = _P["school"]
    columns: dict[str, list[str]] = {}
    for name in CLEVER_FIELDS[role]:
        if name == "id":
            columns[name] = ids
        elif name in _T:
            columns[name] = top_column(name)
        elif name in _P:
            columns[name] = payload_column(_P[name])
        elif name == "username":
            columns[name] = payload_column(_P_USERNAME)
        elif name == "school_name":
            columns[name] = [schools.get(p[school_i], ("",))[0] for p in effs]
        elif name == "schools":
            columns[name] = [";".join(p[_P_SCHOOLS]) for p in effs]
        elif name == "roles":
            columns[name] = [";".join(sorted(entry[3])) for entry in entries]
        else:
            columns[name] = [""] * len(ids)

    preferred_i = _T["preferred_first"]
    columns["_preferred_first_name"] = [
        p[_P_PREFERRED] or t[preferred_i] or "" for p, t in zip(effs, tops, strict=True)
    ]
    columns["_legacy_id"] = payload_column(_P["legacy_id"])
    for offset, helper in enumerate(("_address", "_city", "_zip")):
        columns[helper] = payload_column(_P_ADDRESS + offset)

    cache: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    school_keys: list[list[str]] = []
    for p in effs:
        key = (p[school_i], p[_P_SCHOOLS])
        found = cache.get(key)
        if found is None:
            found = cache[key] = _school_keys(key[0], key[1], schools)
        school_keys.append(found)
    return _frame(
        columns, {"_school_keys": school_keys}, order=(*CLEVER_FIELDS[role], *USER_HELPERS)
    )


def _school_keys(
    primary: str, others: tuple[str, ...], schools: Mapping[str, tuple[str, ...]]
) -> list[str]:
    out: list[str] = []
    seen: set[str] = set()
    for school_id in (primary, *others):
        if not school_id:
            continue
        for value in (school_id, *schools.get(school_id, ())):
            if value and value not in seen:
                seen.add(value)
                out.append(value)
    return out


def _frame(
    columns: Mapping[str, list[str]],
    lists: Mapping[str, list[list[str]]],
    order: Sequence[str] | None = None,
) -> pl.DataFrame:
    series: dict[str, pl.Series] = {}
    for name, values in columns.items():
        series[name] = pl.Series(name, values, dtype=pl.String)
    for name, items in lists.items():
        series[name] = _list_series(name, items)
    names = list(order) if order is not None else list(series)
    return pl.DataFrame([series[name] for name in names])


def _list_series(name: str, items: Sequence[Sequence[str]]) -> pl.Series:
    """A List(String) series, built from one flat column (much faster than row by row)."""
    flat: list[str | None] = []
    rows: list[int] = []
    for row, values in enumerate(items):
        if values:
            flat.extend(values)
            rows.extend([row] * len(values))
        else:
            flat.append(None)  # keeps the row; dropped again below
            rows.append(row)
    frame = pl.DataFrame(
        [pl.Series("row", rows, dtype=pl.UInt32), pl.Series(name, flat, dtype=pl.String)]
    )
    grouped = frame.group_by("row", maintain_order=True).agg(pl.col(name).drop_nulls())
    return grouped.sort("row").get_column(name).cast(pl.List(pl.String))
