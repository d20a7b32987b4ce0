"""Synthetic schools, sections, districts and multi-role users with known truth.

``generate`` (the one in ``synth``) hands these roles here.  Each writes, under ``out_dir``:
``app.csv`` (the company's own records, with the mess real exports have), a Clever
snapshot under ``clever/`` and ``expected.csv`` (the true answer in Matchmaker format,
``output_header(..., extras=False)``).  Sections also get ``enrollments.csv`` (app section id,
app student id) and the earlier student and teacher outputs ``students.csv`` and
``teachers.csv`` that translate app ids to Clever ids.

The truth follows the spec's statuses: an entity with one app record and one Clever record
is a ``match``; two or more app (or Clever) records of one entity are all duplicates of
their side; every other record is a ``no match`` of its side.  The ``clever.*`` values of
``expected.csv`` are read back from the written snapshot with the matcher's own loaders, so
they are exactly what a run writes.  Same arguments, same bytes.

``noise`` scales every rate of ``NOISE_RATES`` (capped at 1).  ``with_ids=False``: schools
whose app export has no district ids and where half the schools lack NCES and MDR ids;
sections without the SIS section ids; districts without MDR and NCES ids; users without
employee ids.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from matchengine import synthdata as sd
from matchengine.atomic import atomic_text
from matchengine.csvfile import write_table
from matchengine.errors import UsageError
from matchengine.matchmaker import (
    APP_DUPLICATE,
    APP_NO_MATCH,
    CLEVER_DUPLICATE,
    CLEVER_FIELDS,
    CLEVER_NO_MATCH,
    MATCH,
    STATUSES,
    output_header,
)
from matchengine.orgs.values import FIPS_STATES, STATE_CODES, district_core
from matchengine.synth import GenerateSummary, strip_accents

GENERATED_ORG_ROLES = ("school", "section", "district", "user")

NOISE_RATES: dict[str, float] = {
    "name_variant": 0.45,  # "Lincoln Elem." for "Lincoln Elementary School"
    "typo": 0.03,
    "case_changed": 0.05,
    "value_missing": 0.15,  # an optional app value left blank
    "excel_file": 0.3,  # per file: leading zeros stripped
    "moved": 0.03,  # a school's old address / phone
    "app_only": 0.08,
    "clever_only": 0.12,
    "app_duplicate": 0.02,
    "clever_duplicate": 0.005,
    # sections
    "roster_dropped": 0.05,  # an enrolled student missing from the app's roster
    "roster_added": 0.04,  # a student in the app's roster but not in Clever's section
    "student_unmatched": 0.04,  # the earlier student run did not match this student
    "teacher_unmatched": 0.02,
    "section_renamed": 0.25,  # the app's section name has nothing of Clever's
    # users
    "nickname": 0.05,
    "email_changed": 0.05,
}

_STATE_FIPS = {code: fips for fips, code in FIPS_STATES.items() if int(fips) <= 56}
_STATE_NAMES = {code: name.title() for name, code in STATE_CODES.items()}
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_STREET_TYPES = ("St", "Ave", "Rd", "Dr", "Blvd", "Ln", "Way", "Ct")
_STREET_LONG = {
    "St": "Street",
    "Ave": "Avenue",
    "Rd": "Road",
    "Dr": "Drive",
    "Blvd": "Boulevard",
    "Ln": "Lane",
    "Way": "Way",
    "Ct": "Court",
}
_KIND_SUFFIX = {
    "elementary": "Elementary School",
    "middle": "Middle School",
    "high": "High School",
    "k8": "K-8 School",
}
_PLACE_WORDS = ("Park", "Hills", "Valley", "Heights", "Creek", "Lake", "Ridge", "Grove", "Meadows")
_KIND_SPAN = {"elementary": (0, 5), "middle": (6, 8), "high": (9, 12), "k8": (0, 8)}


def _grade(g: int) -> str:
    return "Kindergarten" if g == 0 else str(g)


# ----------------------------------------------------------------------------- base


class _Gen:
    """Random choices and noise shared by the org generators."""

    def __init__(self, role: str, seed: int, noise: float, with_ids: bool) -> None:
        self.role = role
        self.rng = random.Random(f"{role}:{seed}")
        self.rate = {k: min(1.0, r * noise) for k, r in NOISE_RATES.items()}
        self.with_ids = with_ids
        self.used_ids: set[str] = set()
        self.excel = self.rng.random() < self.rate["excel_file"]

    def chance(self, what: str) -> bool:
        return self.rng.random() < self.rate[what]

    def clever_id(self) -> str:
        while True:
            cid = f"{self.rng.getrandbits(96):024x}"
            if cid not in self.used_ids:
                self.used_ids.add(cid)
                return cid

    def typo(self, s: str) -> str:
        """One keying error in a letter (insert, delete, substitute, transpose)."""
        letters = [i for i, c in enumerate(s) if c.isalpha()]
        if len(letters) < 3:
            return s
        rng = self.rng
        i = rng.choice(letters[1:])
        c = rng.choice(_LETTERS)
        c = c.upper() if s[i].isupper() else c
        kind = rng.randrange(4)
        if kind == 0:
            out = s[:i] + c + s[i:]
        elif kind == 1:
            out = s[:i] + s[i + 1 :]
        elif kind == 2 and i + 1 < len(s) and s[i + 1].isalpha() and s[i + 1] != s[i]:
            out = s[:i] + s[i + 1] + s[i] + s[i + 2 :]
        else:
            out = s[:i] + c + s[i + 1 :]
        return out if out != s else s[:i] + ("x" if s[i] != "x" else "q") + s[i + 1 :]

    def messy(self, s: str) -> str:
        """Case changes and typos an app's users make in a name."""
        if s and self.chance("typo"):
            s = self.typo(s)
        if s and self.chance("case_changed"):
            s = s.upper() if self.rng.random() < 0.6 else s.lower()
        return s

    def maybe(self, value: str, keep: float = 1.0) -> str:
        """``value``, or blank with the ``value_missing`` rate (scaled by ``1/keep``)."""
        return "" if self.rng.random() < self.rate["value_missing"] / keep else value

    def zeros(self, value: str) -> str:
        """Excel's damage to an id column: leading zeros stripped."""
        if self.excel and value.isdigit():
            return value.lstrip("0") or "0"
        return value

    def street(self) -> str:
        base = self.rng.choice(sd.SCHOOL_BASES + tuple(x.name for x in sd.LAST_NAMES[:300]))
        return (
            f"{self.rng.randrange(10, 9999)} {strip_accents(base)} {self.rng.choice(_STREET_TYPES)}"
        )

    def address_variant(self, address: str) -> str:
        rng = self.rng
        out = address
        if rng.random() < 0.3:
            parts = out.split()
            parts[-1] = _STREET_LONG.get(parts[-1], parts[-1])
            out = " ".join(parts)
        if rng.random() < 0.05:
            out += rng.choice([", Suite 100", " Bldg A", " #2"])
        if self.chance("typo"):
            out = self.typo(out)
        if rng.random() < 0.05:
            out = out.upper()
        return out

    def phone(self) -> str:
        return f"({self.rng.randrange(201, 989)}) 555-{self.rng.randrange(0, 10000):04d}"

    def phone_variant(self, phone: str) -> str:
        digits = "".join(c for c in phone if c.isdigit())
        a, b, c = digits[:3], digits[3:6], digits[6:]
        return self.rng.choice(
            [phone, f"{a}-{b}-{c}", f"{a}.{b}.{c}", digits, f"+1 {a} {b} {c}", f"{a}-{b}-{c} x12"]
        )

    def place(self) -> str:
        """A town name."""
        rng = self.rng
        x = rng.random()
        if x < 0.15:
            return rng.choice(sd.CITIES)
        base = strip_accents(rng.choice(sd.LAST_NAMES[:800]).name).replace("'", "").split()[0]
        if x < 0.45:
            return base + rng.choice(
                ["ville", "ton", "field", "burg", "wood", "dale", "ford", "port"]
            )
        if x < 0.7:
            return f"{base} {rng.choice(['Falls', 'Valley', 'Springs', 'Heights', 'Lake', 'Creek', 'Grove', 'Park'])}"
        if x < 0.8:
            return f"{rng.choice(['North', 'South', 'East', 'West', 'New', 'Mount', 'Port', 'Fort'])} {base}"
        return base


def _write_ndjson(path: Path, objects: Sequence[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    ordered = sorted(objects, key=lambda o: o["id"])
    text = "".join(
        json.dumps(o, sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n"
        for o in ordered
    )
    with atomic_text(path, newline="\n") as fh:
        fh.write(text)


@dataclass
class _Entity:
    """One real thing (school, section, district, person) and its records on each side."""

    app_rows: list[list[str]] = field(default_factory=list)
    clever_ids: list[str] = field(default_factory=list)


def _write_truth(
    out_dir: Path,
    role: str,
    app_header: list[str],
    entities: Sequence[_Entity],
    clever_frame: pl.DataFrame,
    rng: random.Random,
) -> tuple[dict[str, int], int, int]:
    """Write ``app.csv`` and ``expected.csv``; return (status counts, app rows, Clever rows)."""
    fields = CLEVER_FIELDS[role]
    values = {
        row[0]: [x if x is not None else "" for x in row]
        for row in clever_frame.select(list(fields)).iter_rows()
    }
    blank_clever = [""] * len(fields)
    counts = dict.fromkeys(STATUSES, 0)
    app_out: list[tuple[list[str], list[str], str]] = []
    clever_status: dict[str, str] = {}
    for e in entities:
        n_app, n_clever = len(e.app_rows), len(e.clever_ids)
        for row in e.app_rows:
            if n_app == 1 and n_clever == 1:
                app_out.append((row, values[e.clever_ids[0]], MATCH))
            else:
                app_out.append((row, blank_clever, APP_DUPLICATE if n_app > 1 else APP_NO_MATCH))
        for cid in e.clever_ids:
            if n_app == 1 and n_clever == 1:
                clever_status[cid] = MATCH
            else:
                clever_status[cid] = CLEVER_DUPLICATE if n_clever > 1 else CLEVER_NO_MATCH
    rng.shuffle(app_out)
    rows: list[list[str]] = []
    for row, cvals, status in app_out:
        counts[status] += 1
        rows.append([*row, *cvals, status])
    blank_app = [""] * len(app_header)
    for cid in sorted(clever_status):
        status = clever_status[cid]
        if status == MATCH:
            continue
        counts[status] += 1
        rows.append([*blank_app, *values[cid], status])
    write_table(
        out_dir / "app.csv", app_header, (r[: len(app_header)] for r in rows[: len(app_out)])
    )
    write_table(out_dir / "expected.csv", output_header(app_header, role, extras=False), rows)
    return counts, len(app_out), len(clever_status)


def _structure(g: _Gen) -> tuple[int, int]:
    """(app records, Clever records) of one entity: mostly (1, 1)."""
    if g.chance("app_only"):
        return 1, 0
    if g.chance("clever_only"):
        return 0, 1
    if g.chance("app_duplicate"):
        return 2, 1
    if g.chance("clever_duplicate"):
        return 1, 2
    return 1, 1


def _app_ids(g: _Gen, n: int, prefix: str) -> list[str]:
    style = g.rng.choice(["plain", "prefixed", "padded"])
    start = g.rng.randrange(100, 5000)
    nums = sorted(g.rng.sample(range(start, start + n * 4 + 10), n))
    if style == "prefixed":
        ids = [f"{prefix}-{x}" for x in nums]
    elif style == "padded":
        ids = [f"{x:07d}" for x in nums]
    else:
        ids = [str(x) for x in nums]
    g.rng.shuffle(ids)
    return ids


def _pick_columns(g: _Gen, columns: Sequence[tuple[str, str, float]]) -> list[tuple[str, str]]:
    """(header, key) of the columns this export has; each with its probability."""
    return [(h, k) for h, k, p in columns if p >= 1 or g.rng.random() < p]


# ----------------------------------------------------------------------------- schools


@dataclass
class _School:
    name: str
    kind: str
    base: str
    number: int | None
    sis_id: str
    school_number: str
    state_id: str
    nces_id: str
    mdr_number: str
    low: int
    high: int
    address: str
    city: str
    state: str
    zip: str
    phone: str

    def to_json(self, sid: str, district: str, g: _Gen, ids_missing: bool) -> dict[str, Any]:
        obj: dict[str, Any] = {
            "id": sid,
            "district": district,
            "name": self.name,
            "sis_id": self.sis_id,
            "school_number": self.school_number,
            "low_grade": _grade(self.low),
            "high_grade": _grade(self.high),
            "location": {
                "address": self.address,
                "city": self.city,
                "state": self.state,
                "zip": self.zip,
            },
            "phone": self.phone,
        }
        if g.rng.random() < 0.8:
            obj["state_id"] = self.state_id
        if not ids_missing:
            if g.rng.random() < 0.92:
                obj["nces_id"] = self.nces_id
            if g.rng.random() < 0.8:
                obj["mdr_number"] = self.mdr_number
        return obj

    def name_variants(self) -> list[str]:
        b, n = self.base, self.number
        if n is not None:
            pre = {"elementary": "P.S.", "middle": "I.S.", "high": "H.S.", "k8": "P.S."}[self.kind]
            short = pre.replace(".", "")
            long = {
                "elementary": "Public School",
                "middle": "Intermediate School",
                "high": "High School",
                "k8": "Public School",
            }[self.kind]
            out = [f"{short} {n}", f"{pre} {n:03d}", f"{long} {n}", f"School #{n}"]
            if b:
                out += [f"{short} {n} {b}", f"{long} {n} {b}", f"{pre} {n:03d} {b}"]
            return out
        if self.kind == "elementary":
            return [f"{b} Elementary", f"{b} Elem.", f"{b} Elem", f"{b} ES", self.name.upper()]
        if self.kind == "middle":
            return [f"{b} Middle", f"{b} MS", f"{b} Middle Sch.", self.name.upper()]
        if self.kind == "high":
            return [f"{b} High", f"{b} HS", f"{b} H.S.", self.name.upper(), f"{b} High Sch"]
        return [f"{b} K8", f"{b} K-8", self.name.upper(), f"{b} K-8 Sch"]


def _school_name(kind: str, number: int | None, base: str) -> str:
    if number is not None:
        pre = {"elementary": "P.S.", "middle": "I.S.", "high": "H.S.", "k8": "P.S."}[kind]
        return f"{pre} {number}" + (f" {base}" if base else "")
    return f"{base} {_KIND_SUFFIX[kind]}"


def _make_schools(g: _Gen, n: int, state: str, cities: list[str]) -> list[_School]:
    rng = g.rng
    nces_district = f"{_STATE_FIPS.get(state, '06')}{rng.randrange(0, 100000):05d}"
    zips = {c: rng.randrange(10000, 99000) for c in cities}
    used: set[str] = set()
    numbers = rng.sample(range(1, 999), min(n, 998))
    bases = [strip_accents(b) for b in sd.SCHOOL_BASES]
    sis_kind = rng.choice(["padded", "alnum", "plain"])
    out: list[_School] = []
    for i in range(n):
        kind = rng.choices(["elementary", "middle", "high", "k8"], [55, 20, 18, 7])[0]
        numbered = rng.random() < 0.2 and i < len(numbers)
        number = numbers[i] if numbered else None
        base = rng.choice(bases) if not numbered or rng.random() < 0.5 else ""
        attempt = 0
        while _school_name(kind, number, base) in used:
            attempt += 1
            b = rng.choice(bases)
            if attempt > 3:
                b = f"{rng.choice(sd.SCHOOL_PREFIXES)} {b}"
            if attempt > 20:
                b = f"{b} {rng.choice(_PLACE_WORDS)}"
            if attempt > 60:
                b = f"{b} {attempt}"
            base = b
        name = _school_name(kind, number, base)
        used.add(name)
        lo, hi = _KIND_SPAN[kind]
        raw = 10 + i * 3 + rng.randrange(3)
        sis = (
            f"{raw:04d}"
            if sis_kind == "padded"
            else f"{raw % 100:02d}{'EMHK'[list(_KIND_SUFFIX).index(kind)]}{raw:03d}"
            if sis_kind == "alnum"
            else str(raw)
        )
        city = rng.choice(cities)
        out.append(
            _School(
                name=name,
                kind=kind,
                base=base,
                number=number,
                sis_id=sis,
                school_number=sis if rng.random() < 0.6 else f"{100 + i}",
                state_id=f"{rng.randrange(100000, 999999)}",
                nces_id=f"{nces_district}{rng.randrange(0, 100000):05d}",
                mdr_number=f"{rng.randrange(10**7, 10**8)}",
                low=lo,
                high=hi,
                address=g.street(),
                city=city,
                state=state,
                zip=f"{zips[city] + rng.randrange(0, 12):05d}",
                phone=g.phone(),
            )
        )
    return out


def _school_app_row(
    g: _Gen, s: _School, keys: Sequence[str], app_id: str, no_nces: bool
) -> list[str]:
    rng = g.rng
    out: list[str] = []
    for k in keys:
        if k == "id":
            v = app_id
        elif k == "name":
            v = rng.choice(s.name_variants()) if g.chance("name_variant") else s.name
            v = g.messy(v)
        elif k == "sis_id":
            v = g.zeros(g.maybe(s.sis_id, 3))
        elif k == "school_number":
            v = g.zeros(g.maybe(s.school_number, 3))
        elif k == "state_id":
            v = g.maybe(s.state_id)
        elif k == "nces_id":
            v = "" if no_nces or rng.random() < 0.12 else g.zeros(s.nces_id)
        elif k == "mdr_number":
            v = "" if no_nces or rng.random() < 0.2 else s.mdr_number
        elif k == "address":
            v = g.maybe(g.street() if g.chance("moved") else g.address_variant(s.address))
        elif k == "city":
            v = g.maybe(s.city.upper() if rng.random() < 0.05 else s.city, 2)
        elif k == "state":
            v = g.maybe(_STATE_NAMES.get(s.state, s.state) if rng.random() < 0.3 else s.state)
        elif k == "zip":
            z = s.zip + f"-{rng.randrange(1000, 9999)}" if rng.random() < 0.1 else s.zip
            v = g.maybe(g.zeros(z) if "-" not in z else z)
        elif k == "phone":
            v = g.maybe(g.phone() if g.chance("moved") else g.phone_variant(s.phone), 0.4)
        elif k == "low_grade":
            v = g.maybe(_grade(s.low) if rng.random() < 0.5 else str(s.low))
        elif k == "high_grade":
            v = g.maybe(str(s.high))
        else:
            v = ""
        out.append(v)
    return out


def _gen_schools(g: _Gen, records: int, out_dir: Path) -> GenerateSummary:
    rng = g.rng
    state = rng.choice(sd.STATES)
    cities = rng.sample(sd.CITIES, k=max(1, min(6, records // 60 + 1)))
    district = g.clever_id()
    plans = [_structure(g) for _ in range(records)]
    schools = _make_schools(g, len(plans), state, cities)
    columns = [
        ("School Name", "name", 1.0),
        ("School ID", "sis_id", 0.9 if g.with_ids else 0.0),
        ("School Number", "school_number", 0.3 if g.with_ids else 0.0),
        ("State School ID", "state_id", 0.3 if g.with_ids else 0.0),
        ("NCES ID", "nces_id", 1.0),
        ("MDR Number", "mdr_number", 0.8),
        ("Address", "address", 0.9),
        ("City", "city", 0.95),
        ("State", "state", 0.6),
        ("Zip", "zip", 0.9),
        ("Phone", "phone", 0.7),
        ("Low Grade", "low_grade", 0.3),
        ("High Grade", "high_grade", 0.3),
    ]
    cols = [("id", "id"), *_pick_columns(g, columns)]
    header = [h for h, _ in cols]
    keys = [k for _, k in cols]
    n_app = sum(a for a, _ in plans)
    app_ids = _app_ids(g, n_app, "org")
    objects: list[dict[str, Any]] = []
    entities: list[_Entity] = []
    for s, (n_a, n_c) in zip(schools, plans, strict=True):
        half_missing = not g.with_ids and rng.random() < 0.5
        e = _Entity()
        for _ in range(n_c):
            sid = g.clever_id()
            objects.append(s.to_json(sid, district, g, half_missing))
            e.clever_ids.append(sid)
        no_nces = not g.with_ids and rng.random() < 0.5
        for _ in range(n_a):
            e.app_rows.append(_school_app_row(g, s, keys, app_ids.pop(), no_nces))
        entities.append(e)
    clever_dir = out_dir / "clever"
    _write_ndjson(clever_dir / "schools.ndjson", objects)
    from matchengine import clever as clever_io

    frame = clever_io.load_schools(clever_dir)
    return _summary(g, records, out_dir, header, entities, frame, schools=len(objects))


def _summary(
    g: _Gen,
    records: int,
    out_dir: Path,
    header: list[str],
    entities: Sequence[_Entity],
    frame: pl.DataFrame,
    *,
    seed: int = 0,
    schools: int = 0,
) -> GenerateSummary:
    counts, n_app, n_clever = _write_truth(out_dir, g.role, header, entities, frame, g.rng)
    return GenerateSummary(
        role=g.role,
        records=records,
        seed=seed,
        out_dir=out_dir,
        app_records=n_app,
        clever_records=n_clever,
        true_matches=counts[MATCH],
        counts_by_status=counts,
        with_ids=g.with_ids,
        noise=0.0,
        schools=schools,
        app_header=header,
        excel_damaged=g.excel,
    )


# ----------------------------------------------------------------------------- entry


def generate(
    role: str,
    records: int,
    seed: int,
    out_dir: Path,
    *,
    with_ids: bool = True,
    noise: float = 1.0,
) -> GenerateSummary:
    """Write a synthetic ``role`` data set with known truth under ``out_dir``."""
    if role not in GENERATED_ORG_ROLES:
        raise UsageError(f"synth_orgs generates {', '.join(GENERATED_ORG_ROLES)}, not {role!r}")
    sd.check_size_and_noise(records, noise)
    out_dir = Path(out_dir)
    (out_dir / "clever").mkdir(parents=True, exist_ok=True)
    g = _Gen(role, seed, noise, with_ids)
    makers: dict[str, Callable[[_Gen, int, Path], GenerateSummary]] = {
        "school": _gen_schools,
        "section": _gen_sections,
        "district": _gen_districts,
        "user": _gen_users,
    }
    summary = makers[role](g, records, out_dir)
    summary.seed = seed
    summary.noise = noise
    return summary


# ----------------------------------------------------------------------------- districts

_DISTRICT_STYLES = (
    ("{p} Unified School District", ("{p} USD", "{p} Unified", "{p} Unified SD", "{p} Schools")),
    ("{p} School District", ("{p} SD", "{p} Public Schools", "{p} Schools", "{p} Sch. Dist.")),
    ("{p} Public Schools", ("{p} School District", "{p} Schools", "{p} PS", "{p} Public Sch.")),
    ("{p} City Schools", ("{p} City School District", "{p} City SD", "City of {p} Schools")),
    ("{p} County Schools", ("{p} County School District", "{p} Co. Schools", "{p} County SD")),
    ("{p} Community Schools", ("{p} Community School District", "{p} Schools", "{p} CSD")),
    ("{p} Area School District", ("{p} Area SD", "{p} Area Schools", "{p} ASD")),
)
_TX_STYLE = (
    "{p} Independent School District",
    ("{p} ISD", "{p} Indep. School District", "{p} I.S.D."),
)
_CHARTER_STYLES = (
    "{p} Charter Academy",
    "{p} Preparatory Academy",
    "{p} Charter School",
    "{p} Academy",
)


@dataclass
class _DistrictPlan:
    name: str
    variants: tuple[str, ...]
    state: str
    city: str
    mdr: str
    nces: str
    domain: str
    schools: list[tuple[str, str]]  # (name, NCES school id)
    charter: bool


def _make_district(g: _Gen, used: set[tuple[str, str]], used_domains: set[str]) -> _DistrictPlan:
    rng = g.rng
    states = sorted(_STATE_FIPS)
    while True:
        state = rng.choice(states[:20]) if rng.random() < 0.6 else rng.choice(states)
        place = g.place()
        charter = rng.random() < 0.08
        vs: tuple[str, ...]
        if charter:
            name = rng.choice(_CHARTER_STYLES).format(p=place)
            variants: tuple[str, ...] = (name, name.upper(), name.replace("Academy", "Acad."))
        elif state == "TX" and rng.random() < 0.8:
            name, vs = _TX_STYLE[0].format(p=place), _TX_STYLE[1]
            variants = tuple(x.format(p=place) for x in vs)
        else:
            style, vs = rng.choice(_DISTRICT_STYLES)
            if "County" in style:
                place = place.split()[0]
            name = style.format(p=place)
            variants = tuple(x.format(p=place) for x in vs)
        key = (state, district_core(name) or name)
        if key not in used:
            used.add(key)
            break
    fips = _STATE_FIPS[state]
    nces = f"{fips}{rng.randrange(0, 100000):05d}"
    slug = "".join(c for c in place.lower() if c.isalnum())
    domain = rng.choice(
        [
            f"{slug}.k12.{state.lower()}.us",
            f"{slug}schools.org",
            f"{slug}usd.org",
            f"{slug}.org",
            f"{slug}sd.net",
        ]
    )
    while domain in used_domains:  # a domain belongs to one organisation
        domain = f"{slug}{state.lower()}{rng.randrange(2, 99)}.org"
    used_domains.add(domain)
    bases = [strip_accents(b) for b in sd.SCHOOL_BASES]
    if charter:
        schools = [(name if rng.random() < 0.6 else f"{place} Academy", f"{nces}00001")]
    else:
        k = rng.choice([1, 2, 2, 3, 3, 4, 6])
        schools = [
            (
                f"{rng.choice(bases)} {_KIND_SUFFIX[rng.choice(list(_KIND_SUFFIX))]}",
                f"{nces}{i + 1:05d}",
            )
            for i in range(k)
        ]
    return _DistrictPlan(
        name=name,
        variants=variants,
        state=state,
        city=place if rng.random() < 0.8 else g.place(),
        mdr=f"{rng.randrange(10**7, 10**8)}",
        nces=nces,
        domain=domain,
        schools=schools,
        charter=charter,
    )


def _district_objects(g: _Gen, d: _DistrictPlan, did: str) -> list[tuple[str, dict[str, Any]]]:
    """(kind, object) for the snapshot: the district, its schools and some employees."""
    rng = g.rng
    obj: dict[str, Any] = {
        "id": did,
        "name": d.name,
        "state": rng.choice(["running", "success", "running", "paused"]),
        "sis_type": rng.choice(["sftp", "oneroster", "powerschool"]),
    }
    if rng.random() < 0.85:
        obj["mdr_number"] = d.mdr
    if rng.random() < 0.85:
        obj["nces_id"] = d.nces
    out: list[tuple[str, dict[str, Any]]] = [("districts", obj)]
    for name, nces in d.schools:
        out.append(
            (
                "schools",
                {
                    "id": g.clever_id(),
                    "district": did,
                    "name": name,
                    "nces_id": nces,
                    "location": {
                        "city": d.city,
                        "state": d.state,
                        "zip": f"{rng.randrange(10000, 99999)}",
                    },
                },
            )
        )
    for _ in range(rng.randrange(2, 7)):
        first = rng.choice(sd.FIRST_NAMES).name
        last = rng.choice(sd.LAST_NAMES).name
        local = "".join(c for c in strip_accents(f"{first[0]}{last}").lower() if c.isalnum())
        personal = rng.random() < 0.1
        email = f"{local}@{rng.choice(sd.PERSONAL_EMAIL_DOMAINS) if personal else d.domain}"
        role = rng.choice(["teacher", "staff"])
        out.append(
            (
                "users",
                {
                    "id": g.clever_id(),
                    "district": did,
                    "email": email,
                    "name": {"first": first, "last": last},
                    "roles": {
                        role: {
                            "sis_id" if role == "teacher" else "staff_id": str(
                                rng.randrange(1000, 99999)
                            )
                        }
                    },
                },
            )
        )
    return out


def _district_app_row(
    g: _Gen, d: _DistrictPlan, keys: Sequence[str], app_id: str, single: bool
) -> list[str]:
    rng = g.rng
    out: list[str] = []
    for k in keys:
        if k == "id":
            v = app_id
        elif k == "name":
            if single:
                v = rng.choice(d.schools)[0]
                v = v.replace("Elementary School", "Elementary") if rng.random() < 0.3 else v
            else:
                v = rng.choice(d.variants) if g.chance("name_variant") else d.name
            v = g.messy(v)
        elif k == "state":
            v = _STATE_NAMES.get(d.state, d.state) if rng.random() < 0.15 else d.state
            v = "" if rng.random() < 0.05 else v
        elif k == "city":
            v = "" if not single and rng.random() < 0.35 else d.city
        elif k == "mdr_number":
            v = "" if single or not g.with_ids or rng.random() < 0.35 else d.mdr
        elif k == "nces_id":
            if single:
                v = rng.choice(d.schools)[1] if g.with_ids and rng.random() < 0.3 else ""
            else:
                v = "" if not g.with_ids or rng.random() < 0.55 else g.zeros(d.nces)
        elif k == "domains":
            if rng.random() < 0.5:
                v = ""
            else:
                forms = [d.domain, f"@{d.domain}", f"students.{d.domain}", f"www.{d.domain}"]
                v = rng.choice(forms)
                if rng.random() < 0.2:
                    v += "; " + rng.choice(sd.PERSONAL_EMAIL_DOMAINS)
        else:
            v = ""
        out.append(v)
    return out


def _gen_districts(g: _Gen, records: int, out_dir: Path) -> GenerateSummary:
    rng = g.rng
    used: set[tuple[str, str]] = set()
    columns = [
        ("Organization Name", "name", 1.0),
        ("State", "state", 1.0),
        ("City", "city", 0.9),
        ("MDR Number", "mdr_number", 1.0 if g.with_ids else 0.0),
        ("NCES ID", "nces_id", 1.0 if g.with_ids else 0.0),
        ("Email Domains", "domains", 0.9),
    ]
    cols = [("id", "id"), *_pick_columns(g, columns)]
    header = [h for h, _ in cols]
    keys = [k for _, k in cols]
    domains: set[str] = set()
    plans = [(_make_district(g, used, domains), _structure(g)) for _ in range(records)]
    app_ids = _app_ids(g, sum(a for _, (a, _c) in plans), "org")
    by_kind: dict[str, list[dict[str, Any]]] = {"districts": [], "schools": [], "users": []}
    entities: list[_Entity] = []
    for d, (n_a, n_c) in plans:
        e = _Entity()
        for _ in range(min(n_c, 1)):  # a district is never loaded twice
            did = g.clever_id()
            for kind, obj in _district_objects(g, d, did):
                by_kind[kind].append(obj)
            e.clever_ids.append(did)
        single = d.charter or rng.random() < 0.05
        if single:  # a school that signed up on its own is not also listed twice
            n_a = min(n_a, 1)
        for _ in range(n_a):
            e.app_rows.append(_district_app_row(g, d, keys, app_ids.pop(), single))
        entities.append(e)
    clever_dir = out_dir / "clever"
    for kind, objs in by_kind.items():
        _write_ndjson(clever_dir / f"{kind}.ndjson", objs)
    from matchengine.orgs.districts import load_clever_districts

    frame, _ = load_clever_districts(clever_dir)
    return _summary(g, records, out_dir, header, entities, frame, schools=len(by_kind["schools"]))


# ----------------------------------------------------------------------------- sections

# (course name, subject, low grade, high grade, app spellings)
_COURSES: tuple[tuple[str, str, int, int, tuple[str, ...]], ...] = (
    ("Algebra I", "math", 8, 10, ("Algebra 1", "Alg I", "ALG 1")),
    ("Geometry", "math", 9, 11, ("Geom", "GEOMETRY")),
    ("Algebra II", "math", 10, 12, ("Algebra 2", "Alg II", "ALG 2")),
    ("Pre-Calculus", "math", 11, 12, ("PreCalc", "Pre Calculus")),
    ("Math 6", "math", 6, 6, ("Math Grade 6", "6th Grade Math")),
    ("Math 7", "math", 7, 7, ("Math Grade 7", "7th Grade Math")),
    ("Biology", "science", 9, 10, ("Bio", "BIOLOGY")),
    ("Chemistry", "science", 10, 11, ("Chem", "CHEMISTRY")),
    ("Physics", "science", 11, 12, ("Phys", "PHYSICS")),
    ("Life Science", "science", 6, 7, ("Life Sci",)),
    ("English 9", "english/language arts", 9, 9, ("English I", "ENG 9", "Eng 9")),
    ("English 10", "english/language arts", 10, 10, ("English II", "ENG 10")),
    ("English 11", "english/language arts", 11, 11, ("English III", "ENG 11")),
    ("ELA 6", "english/language arts", 6, 6, ("English 6", "Language Arts 6")),
    ("World History", "social studies", 9, 10, ("World Hist", "WORLD HISTORY")),
    ("US History", "social studies", 11, 11, ("U.S. History", "American History")),
    ("Spanish I", "language", 9, 12, ("Spanish 1", "Span I")),
    ("French I", "language", 9, 12, ("French 1",)),
    ("Art I", "arts and music", 9, 12, ("Art 1", "Intro to Art")),
    ("Band", "arts and music", 6, 12, ("Concert Band",)),
    ("Physical Education", "PE and health", 6, 12, ("PE", "P.E.", "Phys Ed")),
    ("Computer Science", "technology and engineering", 9, 12, ("Intro to CS", "Comp Sci")),
)
_ELEMENTARY_COURSES = (
    ("Homeroom", "homeroom/advisory"),
    ("Math", "math"),
    ("Reading", "english/language arts"),
)
_APP_SUBJECT = {
    "math": ("Math", "Mathematics", "math"),
    "science": ("Science", "SCI"),
    "english/language arts": ("ELA", "English", "Language Arts"),
    "social studies": ("Social Studies", "History"),
    "language": ("World Languages", "Foreign Language"),
    "arts and music": ("Arts", "Music", "Fine Arts"),
    "PE and health": ("PE", "Health & PE"),
    "technology and engineering": ("Technology", "Computer Science"),
    "homeroom/advisory": ("Homeroom", "Advisory"),
}
_TERMS = (
    ("Fall 2025", ("Fall 2025", "S1", "Semester 1", "Fall")),
    ("Spring 2026", ("Spring 2026", "S2", "Semester 2", "Spring")),
    ("2025-2026", ("2025-2026", "Full Year", "2025-26", "Year")),
)
_RENAMES = ("Room {n}", "Team {w}", "{w} Crew", "Class {n}{l}", "The {w}s", "Mx. {w}'s Group")
_WORDS = (
    "Eagles",
    "Falcons",
    "Owls",
    "Tigers",
    "Dolphins",
    "Comets",
    "Rockets",
    "Pioneers",
    "Explorers",
)


@dataclass
class _Section:
    school: int  # index into the schools
    teacher: int  # index into the teachers
    co_teacher: int | None
    course: str
    course_id: str
    course_number: str
    app_spellings: tuple[str, ...]
    subject: str
    grade: int
    period: int
    section_number: str
    sis_id: str
    term: int
    students: list[int]


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def _gen_sections(g: _Gen, records: int, out_dir: Path) -> GenerateSummary:
    rng = g.rng
    district = g.clever_id()
    state = rng.choice(sd.STATES)
    city = rng.choice(sd.CITIES)
    n_schools = max(2, round(records / 150))
    schools = _make_schools(g, n_schools, state, [city])
    school_ids = [g.clever_id() for _ in schools]
    term_ids = [g.clever_id() for _ in _TERMS]
    # Courses, by school kind.
    course_ids: dict[str, str] = {}
    course_numbers: dict[str, str] = {}
    for i, c in enumerate(
        [c[0] for c in _COURSES] + [f"{n} {gr}" for n, _ in _ELEMENTARY_COURSES for gr in range(6)]
    ):
        course_ids[c] = g.clever_id()
        course_numbers[c] = f"{rng.choice('CMS')}{100 + i * 7:04d}"

    # People: teachers and students per school.
    per_school = [
        records // n_schools + (1 if i < records % n_schools else 0) for i in range(n_schools)
    ]
    teachers: list[tuple[int, str, str, str]] = []  # (school, first, last, email)
    students: list[tuple[int, int, str, str]] = []  # (school, grade, first, last)
    sections: list[_Section] = []
    sis_seq = rng.randrange(10000, 90000)
    for si, s in enumerate(schools):
        lo, hi = s.low, s.high
        n_sec = per_school[si]
        t_start = len(teachers)
        for _ in range(max(1, round(n_sec / 5))):
            first = rng.choice(sd.FIRST_NAMES).name
            last = strip_accents(rng.choice(sd.LAST_NAMES).name)
            email = f"{''.join(ch for ch in strip_accents(first[0] + last).lower() if ch.isalnum())}{len(teachers)}@district.org"
            teachers.append((si, first, last, email))
        n_students = max(30, n_sec * 25 // (1 if s.kind in ("elementary", "k8") else 6))
        s_start = len(students)
        for _ in range(n_students):
            grade = rng.randint(max(lo, 0), hi)
            students.append(
                (si, grade, rng.choice(sd.FIRST_NAMES).name, rng.choice(sd.LAST_NAMES).name)
            )
        by_grade: dict[int, list[int]] = {}
        for k in range(s_start, len(students)):
            by_grade.setdefault(students[k][1], []).append(k)
        # Each teacher teaches one or two courses in several periods.
        busy: dict[int, set[int]] = {}
        made = 0
        t = t_start
        while made < n_sec:
            periods = rng.sample(range(1, 8), k=min(6, n_sec - made)) if n_sec - made > 0 else []
            if s.kind in ("elementary",) or (s.kind == "k8" and rng.random() < 0.5):
                grade = rng.randint(0, 5)
                options = [(f"{n} {grade}", subj) for n, subj in _ELEMENTARY_COURSES]
            else:
                fit = [c for c in _COURSES if c[3] >= max(lo, 6) and c[2] <= hi]
                picks = rng.sample(fit, k=min(len(fit), rng.choice([1, 2, 2])))
                options = [(c[0], c[1]) for c in picks]
                grade = -1
            for j, period in enumerate(periods):
                name, subject = options[j % len(options)]
                spec = next((c for c in _COURSES if c[0] == name), None)
                if spec is not None:
                    grade = rng.randint(max(spec[2], lo), min(spec[3], hi))
                    spellings = spec[4]
                else:
                    spellings = (name.replace(" ", " Grade "), name.upper())
                # A student is in one section per period.
                taken = busy.setdefault(period, set())
                pool = [k for k in by_grade.get(grade, []) if k not in taken]
                size = rng.randint(12, 30)
                if len(pool) < size:
                    pool += [
                        k for k in range(s_start, len(students)) if k not in taken and k not in pool
                    ]
                size = min(size, len(pool))
                sis_seq += 1 + rng.randrange(3)
                sections.append(
                    _Section(
                        school=si,
                        teacher=t,
                        co_teacher=rng.randrange(t_start, len(teachers))
                        if rng.random() < 0.05
                        else None,
                        course=name,
                        course_id=course_ids[name],
                        course_number=course_numbers[name],
                        app_spellings=spellings,
                        subject=subject,
                        grade=grade,
                        period=period,
                        section_number=f"{j + 1:02d}" if rng.random() < 0.5 else str(100 + j),
                        sis_id=str(sis_seq),
                        term=rng.choices([0, 1, 2], [30, 20, 50])[0],
                        students=sorted(rng.sample(pool, size)),
                    )
                )
                taken.update(sections[-1].students)
                made += 1
                if made >= n_sec:
                    break
            t = t + 1 if t + 1 < len(teachers) else t_start

    # Clever ids and the earlier outputs' app ids.
    teacher_cids = [g.clever_id() for _ in teachers]
    student_cids = [g.clever_id() for _ in students]
    teacher_app = [f"t-{1000 + i * 3}" for i in range(len(teachers))]
    student_app = [f"{50000 + i * 7}" for i in range(len(students))]
    has_account = [rng.random() > 0.03 for _ in students]

    # Snapshot.
    users: list[dict[str, Any]] = []
    for i, (si, first, last, email) in enumerate(teachers):
        users.append(
            {
                "id": teacher_cids[i],
                "district": district,
                "email": email,
                "name": {"first": first, "last": last},
                "roles": {
                    "teacher": {
                        "school": school_ids[si],
                        "schools": [school_ids[si]],
                        "sis_id": f"T{500 + i}",
                    }
                },
            }
        )
    for i, (si, grade, first, last) in enumerate(students):
        users.append(
            {
                "id": student_cids[i],
                "district": district,
                "name": {"first": first, "last": last},
                "roles": {
                    "student": {
                        "school": school_ids[si],
                        "grade": _grade(grade),
                        "sis_id": f"{200000 + i}",
                    }
                },
            }
        )
    section_objs: list[dict[str, Any]] = []
    entities: list[_Entity] = []
    plans = [_structure(g) for _ in sections]
    cols = _pick_columns(
        g,
        [
            ("School", "school", 1.0),
            ("Teacher ID", "teacher", 1.0),
            ("Section Name", "name", 1.0),
            ("Section ID", "sis_id", 0.6 if g.with_ids else 0.0),
            ("Section Number", "section_number", 0.5 if g.with_ids else 0.0),
            ("Period", "period", 0.9),
            ("Course", "course_name", 0.7),
            ("Course Number", "course_number", 0.4 if g.with_ids else 0.0),
            ("Term", "term", 0.6),
            ("Subject", "subject", 0.5),
            ("Grade", "grade", 0.5),
        ],
    )
    cols = [("id", "id"), *cols]
    header = [h for h, _ in cols]
    keys = [k for _, k in cols]
    app_ids = _app_ids(g, sum(a for a, _ in plans) + len(sections) // 10, "sec")
    enrollments: list[tuple[str, str]] = []
    school_style = rng.choice(["name", "sis"])
    for sec, (n_a, n_c) in zip(sections, plans, strict=True):
        e = _Entity()
        t_last = teachers[sec.teacher][2]
        for _ in range(n_c):
            cid = g.clever_id()
            e.clever_ids.append(cid)
            period_text = str(sec.period) if rng.random() < 0.7 else f"Period {sec.period}"
            obj: dict[str, Any] = {
                "id": cid,
                "district": district,
                "school": school_ids[sec.school],
                "name": f"{sec.course} - {t_last} - {period_text}",
                "sis_id": sec.sis_id,
                "subject": sec.subject,
                "course": sec.course_id,
                "term_id": term_ids[sec.term],
                "teacher": teacher_cids[sec.teacher],
                "teachers": [teacher_cids[sec.teacher]]
                + (
                    [teacher_cids[sec.co_teacher]]
                    if sec.co_teacher not in (None, sec.teacher)
                    else []
                ),
                "students": [student_cids[k] for k in sec.students],
            }
            if sec.grade >= 0:
                obj["grade"] = _grade(sec.grade)
            if rng.random() < 0.75:
                obj["section_number"] = sec.section_number
            if rng.random() < 0.9:
                obj["period"] = period_text
            section_objs.append(obj)
        for _ in range(n_a):
            aid = app_ids.pop()
            e.app_rows.append(
                _section_app_row(g, sec, keys, aid, schools, teacher_app, t_last, school_style)
            )
            roster = [k for k in sec.students if has_account[k] and not g.chance("roster_dropped")]
            extra = rng.sample(
                [k for k in range(len(students)) if students[k][0] == sec.school][:400],
                k=sum(1 for _ in sec.students if g.chance("roster_added")),
            )
            enrollments += [(aid, student_app[k]) for k in sorted(set(roster + extra))]
        entities.append(e)
    # App-only groups a teacher made from their own classes.
    for _ in range(len(sections) // 10):
        base = rng.choice(sections)
        mates = [s for s in sections if s.teacher == base.teacher] or [base]
        pool = sorted({k for s in rng.sample(mates, k=min(2, len(mates))) for k in s.students})
        group = replace_section(
            base,
            period=rng.randint(1, 7),
            students=rng.sample(pool, k=min(len(pool), rng.randint(5, 15))),
        )
        aid = app_ids.pop()
        row = _section_app_row(
            g, group, keys, aid, schools, teacher_app, teachers[base.teacher][2], school_style
        )
        row[keys.index("name")] = rng.choice(
            ["Study Group", "Test Prep", "Math Club", "Reading Group", "Tutoring"]
        )
        for key in ("sis_id", "section_number", "course_number"):
            if key in keys:
                row[keys.index(key)] = ""
        entities.append(_Entity(app_rows=[row]))
        enrollments += [(aid, student_app[k]) for k in group.students if has_account[k]]

    clever_dir = out_dir / "clever"
    _write_ndjson(clever_dir / "users.ndjson", users)
    _write_ndjson(clever_dir / "sections.ndjson", section_objs)
    _write_ndjson(
        clever_dir / "schools.ndjson",
        [s.to_json(school_ids[i], district, g, False) for i, s in enumerate(schools)],
    )
    _write_ndjson(
        clever_dir / "courses.ndjson",
        [
            {"id": course_ids[c], "district": district, "name": c, "number": course_numbers[c]}
            for c in sorted(course_ids)
        ],
    )
    _write_ndjson(
        clever_dir / "terms.ndjson",
        [{"id": term_ids[i], "district": district, "name": t[0]} for i, t in enumerate(_TERMS)],
    )
    rng.shuffle(enrollments)
    write_table(out_dir / "enrollments.csv", ["section_id", "student_id"], enrollments)
    _earlier_output(
        g,
        out_dir / "students.csv",
        "student",
        [
            (student_app[k] if has_account[k] else None, student_cids[k], s[2], s[3])
            for k, s in enumerate(students)
        ],
        "student_unmatched",
        district,
    )
    _earlier_output(
        g,
        out_dir / "teachers.csv",
        "teacher",
        [(teacher_app[k], teacher_cids[k], t[1], t[2]) for k, t in enumerate(teachers)],
        "teacher_unmatched",
        district,
    )
    from matchengine import clever as clever_io

    frame = clever_io.load_sections(clever_dir)
    return _summary(g, records, out_dir, header, entities, frame, schools=len(schools))


def replace_section(sec: _Section, **changes: Any) -> _Section:
    from dataclasses import replace

    return replace(sec, **changes)


def _section_app_row(
    g: _Gen,
    sec: _Section,
    keys: Sequence[str],
    app_id: str,
    schools: Sequence[_School],
    teacher_app: Sequence[str],
    teacher_last: str,
    school_style: str,
) -> list[str]:
    rng = g.rng
    course = rng.choice(sec.app_spellings) if rng.random() < 0.4 else sec.course
    p = sec.period
    out: list[str] = []
    for k in keys:
        if k == "id":
            v = app_id
        elif k == "school":
            s = schools[sec.school]
            v = (
                g.zeros(s.sis_id)
                if school_style == "sis"
                else rng.choice([s.name, *s.name_variants()])
            )
        elif k == "teacher":
            v = teacher_app[sec.teacher]
        elif k == "name":
            if g.chance("section_renamed"):
                v = rng.choice(_RENAMES).format(
                    n=rng.randrange(100, 400), w=rng.choice(_WORDS), l=rng.choice("ABC")
                )
            else:
                v = rng.choice(
                    [
                        f"{course} - Period {p}",
                        f"{course} (P{p})",
                        f"{_ordinal(p)} Period {course}",
                        f"{teacher_last} {course} {p}",
                        f"{sec.course} - {teacher_last} - {p}",
                    ]
                )
        elif k == "sis_id":
            v = g.maybe(sec.sis_id, 3)
        elif k == "section_number":
            v = g.maybe(g.zeros(sec.section_number))
        elif k == "period":
            v = g.maybe(rng.choice([str(p), f"Period {p}", f"P{p}", _ordinal(p), f"{p:02d}"]), 2)
        elif k == "course_name":
            v = g.maybe(course)
        elif k == "course_number":
            v = g.maybe(sec.course_number)
        elif k == "term":
            v = g.maybe(rng.choice(_TERMS[sec.term][1]))
        elif k == "subject":
            v = g.maybe(rng.choice(_APP_SUBJECT.get(sec.subject, ("Other",))))
        elif k == "grade":
            v = g.maybe(_grade(sec.grade) if sec.grade >= 0 else "")
        else:
            v = ""
        out.append(v)
    return out


def _earlier_output(
    g: _Gen,
    path: Path,
    role: str,
    people: Sequence[tuple[str | None, str, str, str]],
    miss: str,
    district: str,
) -> None:
    """An earlier Matchmaker-format output for ``role`` (app id, Clever id, first, last):
    the truth, except that a share of the people were left unmatched."""
    fields = CLEVER_FIELDS[role]
    header = output_header(["id", "first_name", "last_name"], role, extras=False)
    app_rows: list[list[str]] = []
    clever_rows: list[tuple[str, list[str]]] = []
    for app_id, cid, first, last in people:
        values = {"id": cid, "district": district, "first_name": first, "last_name": last}
        cvals = [values.get(f, "") for f in fields]
        blank = [""] * len(fields)
        if app_id is not None and not g.chance(miss):
            app_rows.append([app_id, first, last, *cvals, MATCH])
            continue
        if app_id is not None:
            app_rows.append([app_id, first, last, *blank, APP_NO_MATCH])
        clever_rows.append((cid, ["", "", "", *cvals, CLEVER_NO_MATCH]))
    write_table(path, header, [*app_rows, *(r for _, r in sorted(clever_rows))])


# ----------------------------------------------------------------------------- users

_ROLE_MIX = (
    (("teacher",), 60),
    (("staff", "teacher"), 9),
    (("staff",), 17),
    (("district_admin", "staff"), 6),
    (("district_admin",), 4),
    (("district_admin", "teacher"), 4),
)


@dataclass
class _Person:
    first: str
    nicks: tuple[str, ...]
    middle: str
    last: str
    email: str
    roles: tuple[str, ...]
    teacher_id: str
    teacher_number: str
    staff_id: str
    title: str
    admin_title: str
    department: str
    school: int | None


def _make_person(g: _Gen, i: int, n_schools: int, domain: str, used: set[str]) -> _Person:
    rng = g.rng
    fn = rng.choice(sd.FIRST_NAMES)
    last = rng.choice(sd.LAST_NAMES).name
    middle = (
        rng.choice(sd.MIDDLE_F if fn.gender == "F" else sd.MIDDLE_M) if rng.random() < 0.4 else ""
    )
    roles = rng.choices([r for r, _ in _ROLE_MIX], [w for _, w in _ROLE_MIX])[0]
    local = "".join(
        c for c in strip_accents(f"{fn.name.split()[0]}.{last}").lower() if c.isalnum() or c == "."
    )
    k = 1
    while f"{local}{k if k > 1 else ''}" in used:
        k += 1
    local = f"{local}{k if k > 1 else ''}"
    used.add(local)
    staff_title, department = rng.choice(sd.STAFF_TITLES)
    same_ids = rng.random() < 0.4
    return _Person(
        first=fn.name,
        nicks=fn.nicknames,
        middle=middle,
        last=last,
        email=f"{local}@{domain}",
        roles=roles,
        teacher_id=f"T{20000 + i * 3}",
        teacher_number=f"{700000 + i * 5}" if rng.random() < 0.3 else "",
        staff_id=f"T{20000 + i * 3}" if same_ids else f"E{50000 + i * 7}",
        title=rng.choice(sd.TEACHER_TITLES) if "teacher" in roles else staff_title,
        admin_title=rng.choice(sd.ADMIN_TITLES),
        department=department if rng.random() < 0.8 else "",
        school=None if roles == ("district_admin",) else rng.randrange(n_schools),
    )


def _user_object(
    g: _Gen, p: _Person, uid: str, district: str, school_ids: Sequence[str], email: str
) -> dict[str, Any]:
    rng = g.rng
    name: dict[str, Any] = {"first": p.first, "last": p.last}
    if p.middle:
        name["middle"] = p.middle
    roles: dict[str, Any] = {}
    schools = [school_ids[p.school]] if p.school is not None else []
    creds = {"district_username": email.split("@")[0]} if rng.random() < 0.6 else {}
    if "teacher" in p.roles:
        t: dict[str, Any] = {
            "sis_id": p.teacher_id,
            "school": schools[0] if schools else None,
            "schools": schools,
        }
        if p.teacher_number:
            t["teacher_number"] = p.teacher_number
        if "staff" not in p.roles or rng.random() < 0.5:
            t["title"] = p.title
        if creds:
            t["credentials"] = creds
        roles["teacher"] = t
    if "staff" in p.roles:
        s: dict[str, Any] = {"staff_id": p.staff_id, "schools": schools}
        s["title"] = p.title if "teacher" not in p.roles else "Department Head"
        if p.department:
            s["department"] = p.department
        if creds:
            s["credentials"] = creds
        roles["staff"] = s
    if "district_admin" in p.roles:
        roles["district_admin"] = {"title": p.admin_title}
    obj: dict[str, Any] = {"id": uid, "district": district, "name": name, "roles": roles}
    if email:
        obj["email"] = email
    return obj


def _user_app_row(
    g: _Gen, p: _Person, keys: Sequence[str], app_id: str, schools: Sequence[_School], second: bool
) -> list[str]:
    rng = g.rng
    out: list[str] = []
    for k in keys:
        if k == "id":
            v = app_id
        elif k == "first":
            v = rng.choice(p.nicks) if p.nicks and g.chance("nickname") else p.first
            v = g.messy(strip_accents(v) if rng.random() < 0.5 else v)
        elif k == "last":
            v = g.messy(p.last)
        elif k == "email":
            v = p.email
            if g.chance("email_changed") or second:
                local, _, domain = v.partition("@")
                v = rng.choice(
                    [
                        f"{local}@{rng.choice(sd.PERSONAL_EMAIL_DOMAINS)}",
                        f"{local}@old-{domain}",
                        v.upper(),
                    ]
                )
            v = g.maybe(v, 3)
        elif k == "employee_id":
            if not g.with_ids:
                v = ""
            elif "teacher" in p.roles and ("staff" not in p.roles or rng.random() < 0.5):
                v = p.teacher_id
            elif "staff" in p.roles:
                v = p.staff_id
            else:
                v = ""
            v = g.maybe(g.zeros(v), 2)
        elif k == "title":
            v = g.maybe(p.admin_title if p.roles[0] == "district_admin" else p.title, 0.5)
        elif k == "school":
            v = g.maybe(
                rng.choice(schools[p.school].name_variants()) if p.school is not None else ""
            )
        else:
            v = ""
        out.append(v)
    return out


def _gen_users(g: _Gen, records: int, out_dir: Path) -> GenerateSummary:
    rng = g.rng
    district = g.clever_id()
    city = rng.choice(sd.CITIES)
    domain = f"{city.lower()}schools.org"
    schools = _make_schools(g, max(2, records // 30), rng.choice(sd.STATES), [city])
    school_ids = [g.clever_id() for _ in schools]
    used: set[str] = set()
    people = [_make_person(g, i, len(schools), domain, used) for i in range(records)]
    plans = [_structure(g) for _ in people]
    cols = _pick_columns(
        g,
        [
            ("First Name", "first", 1.0),
            ("Last Name", "last", 1.0),
            ("Email", "email", 1.0),
            ("Employee ID", "employee_id", 1.0 if g.with_ids else 0.0),
            ("Title", "title", 0.6),
            ("School", "school", 0.7),
        ],
    )
    cols = [("id", "id"), *cols]
    header = [h for h, _ in cols]
    keys = [k for _, k in cols]
    app_ids = _app_ids(g, sum(a for a, _ in plans), "u")
    users: list[dict[str, Any]] = []
    entities: list[_Entity] = []
    for p, (n_a, n_c) in zip(people, plans, strict=True):
        e = _Entity()
        for j in range(n_c):
            uid = g.clever_id()
            # A second Clever user: the SIS or HR system re-created them with a new email.
            email = p.email if j == 0 else p.email.replace("@", f"{rng.randrange(2, 9)}@")
            if rng.random() < 0.02:
                email = ""
            users.append(_user_object(g, p, uid, district, school_ids, email))
            e.clever_ids.append(uid)
        for j in range(n_a):
            e.app_rows.append(_user_app_row(g, p, keys, app_ids.pop(), schools, j > 0))
        entities.append(e)
    clever_dir = out_dir / "clever"
    _write_ndjson(clever_dir / "users.ndjson", users)
    _write_ndjson(
        clever_dir / "schools.ndjson",
        [s.to_json(school_ids[i], district, g, False) for i, s in enumerate(schools)],
    )
    from matchengine.orgs.users import load_users

    _, frame = load_users(clever_dir)
    return _summary(g, records, out_dir, header, entities, frame, schools=len(schools))
