"""A synthetic district with known truth (``matchengine generate``).

``generate`` writes, under ``out_dir``:

* ``clever/users.ndjson`` and ``clever/schools.ndjson``: a Clever API v3.0 snapshot of one
  district (users sorted by Clever id, as the API pages them);
* ``app.csv``: the edtech app's own export of the same people, with the mess real exports have
  (nicknames, typos, dropped accents, Excel damage, mixed date formats, stale grades, ...);
* ``expected.csv``: the true answer in Matchmaker format (``output_header(..., extras=False)``).

The noise is meant to be honest about real rosters, not tuned to any matcher.  Base rates are
in ``NOISE_RATES``; ``noise`` multiplies every one of them (capped at 1): 0 = the app holds
each person's true values and every person is in both systems once; 2 = twice as messy.
Clever-side gaps (no email for young students, a null ``state_id`` or ``dob``, a middle name
the SIS did not send, ...) are part of the snapshot, not noise, and do not scale.

Truth rules (the spec's ``matchmaker_results``): a person with one app record and one Clever
record is a ``match``; two or more app records of one person are all ``from app, duplicate``
(and that person's Clever record is then unmatched); likewise for two or more Clever records;
every other record is a ``no match`` of its side.

Generation streams in chunks of ``CHUNK`` people, so memory stays bounded at any size.  The
output depends only on ``(role, records, seed, with_ids, noise)``: same bytes every run.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import random
import tempfile
import unicodedata
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import IO, Any, TypeVar

from matchengine import synthdata as sd
from matchengine.atomic import atomic_text
from matchengine.csvfile import write_table
from matchengine.errors import UsageError
from matchengine.fields import canonical_role
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

GENERATED_ROLES = ("student", "teacher", "staff")

# People per chunk: app rows are shuffled within a chunk, Clever ids sort within a chunk.
CHUNK = 25_000

# The snapshot's school year starts in the fall of this year (fixed, never "today").
SCHOOL_YEAR = 2025
_SYNC_EPOCH = int(datetime(2023, 8, 1, 15, 0, tzinfo=timezone.utc).timestamp())

# Base probabilities at noise=1.0 (each scaled by ``noise`` and capped at 1).
NOISE_RATES: dict[str, float] = {
    # names, per app record
    "nickname": 0.05,  # nickname / preferred name as first name
    "middle_as_first": 0.01,
    "first_initial": 0.005,
    "typo": 0.03,  # one insert/delete/substitute/transpose in first or last name
    "accents_dropped": 0.70,  # of records whose names carry accents
    "surname_shortened": 0.50,  # of two-part surnames: one part only
    "surname_separator": 0.15,  # of the other two-part surnames: hyphen <-> space
    "particle_variant": 0.30,  # O'Brien -> OBrien, De La Cruz -> Delacruz
    "suffix_dropped": 0.60,  # of surnames with Jr/II/III in Clever
    "compound_first_shortened": 0.40,  # Juan Carlos -> Juan
    "first_last_swapped": 0.003,
    "name_changed": 0.015,  # teachers/staff: the app still has a former surname
    "case_changed": 0.05,  # ALL CAPS or lower case names
    "whitespace_padding": 0.01,
    "middle_shortened": 0.30,  # the app has only the middle initial, or no middle name
    # ids
    "excel_file": 0.30,  # per district: whole file through Excel (zeros stripped, M/D/YYYY)
    "clever_names_upper": 0.10,  # per district: the SIS sends names in capitals
    "zeros_stripped": 0.02,  # per record, when the file was not through Excel
    "id_missing": 0.03,  # per id column
    "id_typo": 0.01,  # one digit changed or two adjacent digits swapped
    # dates
    "date_format_mixed": 0.20,  # a record in another format than the file's usual one
    "day_month_swapped": 0.01,  # (only visible when the day is <= 12)
    "day_off_by_one": 0.005,
    "year_typo": 0.005,
    "dob_missing": 0.03,
    # other fields
    "email_missing_student": 0.40,
    "email_missing_adult": 0.10,
    "email_personal": 0.60,  # app email when Clever has none: a personal/parent address
    "email_case_changed": 0.05,
    "email_old_domain": 0.03,  # teachers/staff
    "grade_stale": 0.05,  # last year's grade (and school when the level changed)
    "school_variant": 0.35,  # "Lincoln Elem." for "Lincoln Elementary School"
    "school_other_form": 0.05,  # a name in an id column or an id in a name column
    "school_secondary": 0.30,  # students with 2 schools: the app lists the other one
    "school_moved": 0.03,  # teachers/staff: the app has a former school
    "title_missing": 0.30,
    # structure
    "twins": 0.015,  # share of students who have a twin in the district
    "twin_left": 0.05,  # of twin pairs: one twin left the district, the app account stays
    "app_only": 0.06,  # people in the app but not in Clever
    "clever_only": 0.10,  # people in Clever but not in the app
    "app_duplicate": 0.01,  # people with a second app record
    "clever_duplicate": 0.005,  # people with a second Clever user (new Clever id)
}

T = TypeVar("T")
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
# One encoder for every line (json.dumps would build a new one per call).
_JSON = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))
_PLANS = ("Free", "Free", "Premium", "School", "District", "Trial")
_KEYS_WITH_IDS = frozenset({"sis_id", "number", "state_id", "username"})


@lru_cache(maxsize=65536)
def strip_accents(s: str) -> str:
    """``José Núñez`` -> ``Jose Nunez`` (what many systems do to names)."""
    if s.isascii():
        return s
    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))


@lru_cache(maxsize=65536)
def _email_part(s: str) -> str:
    return "".join(c for c in strip_accents(s).lower() if c.isalnum())


def _clever_grade(g: int) -> str:
    return "Kindergarten" if g == 0 else str(g)


# ----------------------------------------------------------------------------- summary


@dataclass
class GenerateSummary:
    """What ``generate`` wrote, with the true status counts."""

    role: str
    records: int
    seed: int
    out_dir: Path
    app_records: int
    clever_records: int
    true_matches: int
    counts_by_status: dict[str, int]
    with_ids: bool = True
    noise: float = 1.0
    schools: int = 0
    app_header: list[str] = field(default_factory=list)
    excel_damaged: bool = False
    noise_counts: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "records": self.records,
            "seed": self.seed,
            "out_dir": str(self.out_dir),
            "files": {
                "app": str(self.out_dir / "app.csv"),
                "clever_users": str(self.out_dir / "clever" / "users.ndjson"),
                "clever_schools": str(self.out_dir / "clever" / "schools.ndjson"),
                "expected": str(self.out_dir / "expected.csv"),
            },
            "app_records": self.app_records,
            "clever_records": self.clever_records,
            "true_matches": self.true_matches,
            "counts_by_status": dict(self.counts_by_status),
            "with_ids": self.with_ids,
            "noise": self.noise,
            "schools": self.schools,
            "app_header": list(self.app_header),
            "excel_damaged": self.excel_damaged,
            "noise_counts": dict(sorted(self.noise_counts.items())),
        }


# ----------------------------------------------------------------------------- model


@dataclass
class School:
    id: str
    name: str
    base: str
    kind: str  # elementary, middle, high, k8
    sis_id: str
    school_number: str
    state_id: str
    nces_id: str
    low: int
    high: int
    address: str
    city: str
    state: str
    zip: str
    phone: str
    weight: float

    def variants(self) -> tuple[str, ...]:
        b = self.base
        if self.kind == "elementary":
            out = [f"{b} Elementary", f"{b} Elem.", f"{b} Elem", f"{b} ES", self.name.upper(), b]
        elif self.kind == "middle":
            out = [f"{b} Middle", f"{b} MS", f"{b} Middle Sch.", self.name.upper(), b]
        elif self.kind == "high":
            out = [f"{b} High", f"{b} HS", f"{b} H.S.", self.name.upper(), f"{b} High Sch"]
        else:
            out = [f"{b} K8", f"{b} K-8", self.name.upper(), b]
        if not self.name.isascii():
            out.append(strip_accents(self.name))
        return tuple(out)

    def to_json(self, district: str) -> dict[str, Any]:
        grade = _clever_grade
        return {
            "id": self.id,
            "district": district,
            "name": self.name,
            "sis_id": self.sis_id,
            "school_number": self.school_number,
            "state_id": self.state_id,
            "nces_id": self.nces_id,
            "low_grade": grade(self.low),
            "high_grade": grade(self.high),
            "location": {
                "address": self.address,
                "city": self.city,
                "state": self.state,
                "zip": self.zip,
            },
            "phone": self.phone,
        }


@dataclass(slots=True)
class Person:
    key: int
    first: str
    first_tag: str
    nicks: tuple[str, ...]
    gender: str
    middle: str
    last: str  # without suffix
    compound_last: bool
    particle_last: bool
    suffix: str
    dob: date | None
    grade: int
    schools: list[int]  # indexes into the school list; [0] is the primary school
    sis_id: str  # sis_id (students, teachers) or staff_id (staff)
    number: str  # student_number / teacher_number
    state_id: str
    email: str
    username: str
    title: str = ""
    department: str = ""
    roles: tuple[str, ...] = ()
    admin_title: str = ""
    in_app: bool = True
    in_clever: bool = True
    app_count: int = 1
    clever_count: int = 1

    @property
    def full_last(self) -> str:
        return f"{self.last} {self.suffix}" if self.suffix else self.last


class _IdSeq:
    """Unique ids: an increasing counter with random gaps, formatted one way."""

    def __init__(self, rng: random.Random, start: int, gap: int, width: int = 0, prefix: str = ""):
        self.rng = rng
        self.n = start
        self.gap = gap
        self.width = width
        self.prefix = prefix

    def next(self) -> str:
        self.n += 1 + int(self.rng.random() * self.gap)
        if self.width:
            return f"{self.prefix}{self.n:0{self.width}d}"
        return f"{self.prefix}{self.n}"


# ----------------------------------------------------------------------------- helpers


def _typo(rng: random.Random, s: str) -> str:
    """One keying error: insert, delete, substitute or transpose a letter."""
    if not s:
        return s
    n = len(s)
    i = rng.randrange(1, n) if n > 1 and rng.random() < 0.9 else 0
    kind = rng.randrange(4)
    c = rng.choice(_LETTERS)
    if s[i].isupper():
        c = c.upper()
    if kind == 0:
        out = s[:i] + c + s[i:]
    elif kind == 1 and n >= 3:
        out = s[:i] + s[i + 1 :]
    elif kind == 3 and n >= 2:
        j = min(i, n - 2)
        out = s[:j] + s[j + 1] + s[j] + s[j + 2 :]
    else:
        out = s[:i] + c + s[i + 1 :]
    if out == s:  # substituting a letter for itself, transposing "ll"
        c = "x" if s[i].lower() != "x" else "q"
        out = s[:i] + (c.upper() if s[i].isupper() else c) + s[i + 1 :]
    return out


def _id_typo(rng: random.Random, s: str) -> str:
    """One digit changed, or two adjacent different digits swapped."""
    digits = [i for i, ch in enumerate(s) if ch.isdigit()]
    if not digits:
        return _typo(rng, s)
    if rng.random() < 0.5:
        pairs = [i for i in digits if i + 1 < len(s) and s[i + 1].isdigit() and s[i] != s[i + 1]]
        if pairs:
            i = rng.choice(pairs)
            return s[:i] + s[i + 1] + s[i] + s[i + 2 :]
    i = rng.choice(digits)
    d = rng.choice([x for x in "0123456789" if x != s[i]])
    return s[:i] + d + s[i + 1 :]


def _strip_zeros(v: str) -> str:
    if v.isdigit():
        return v.lstrip("0") or "0"
    return v


def _fmt_date(d: date, fmt: int) -> str:
    if fmt == 0:
        return f"{d.month}/{d.day}/{d.year}"
    if fmt == 1:
        return f"{d.month:02d}/{d.day:02d}/{d.year}"
    if fmt == 2:
        return f"{d.year}-{d.month:02d}-{d.day:02d}"
    if fmt == 3:
        return f"{d.year}-{d.month:02d}-{d.day:02d}T00:00:00Z"
    return f"{d.year}-{d.month:02d}-{d.day:02d}T00:00:00.000Z"


@lru_cache(maxsize=8192)
def _day(days: int) -> str:
    return date.fromordinal(_EPOCH_ORDINAL + days).isoformat()


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
# Relative size of grades K..12.
_GRADE_CUM = list(itertools.accumulate([100] * 10 + [96, 92, 88]))


def _iso(ts: int) -> str:
    """``YYYY-MM-DDTHH:MM:SS.000Z`` for a Unix time (what the Clever API writes)."""
    days, secs = divmod(ts, 86400)
    hh, rem = divmod(secs, 3600)
    mm, ss = divmod(rem, 60)
    return f"{_day(days)}T{hh:02d}:{mm:02d}:{ss:02d}.000Z"


def _pick(rnd: Callable[[], float], items: Sequence[T], cum: Sequence[float]) -> T:
    """A weighted choice from cumulative weights (``random.choices`` without the overhead)."""
    return items[bisect_right(cum, rnd() * cum[-1])]


# ----------------------------------------------------------------------------- generator


class _District:
    def __init__(self, role: str, records: int, seed: int, with_ids: bool, noise: float):
        self.role = role
        self.records = records
        self.with_ids = with_ids
        self.noise = noise
        self.rng = random.Random(seed)
        self.rate = {k: min(1.0, v * noise) for k, v in NOISE_RATES.items()}
        self.counts: dict[str, int] = dict.fromkeys(NOISE_RATES, 0)
        self.counts.update(preferred_name=0, preferred_column=0, school_feeder=0)
        self.first_cum = list(
            itertools.accumulate(
                sd.FIRST_STUDENT_WEIGHTS if role == "student" else sd.FIRST_ADULT_WEIGHTS
            )
        )
        self.last_cum = list(itertools.accumulate(sd.LAST_WEIGHTS))
        self.hisp_last = [n for n in sd.LAST_NAMES if n.tag == "h"]
        self.next_key = 0
        self.used_emails: dict[str, int] = {}
        self.status_counts: dict[str, int] = dict.fromkeys(STATUSES, 0)
        self.app_records = 0
        self.clever_records = 0
        # Filled only by generate_with_truth: record id -> person number.
        self.truth: tuple[dict[str, int], dict[str, int]] | None = None
        # Shares of people who can show a nickname / a full middle name (see _app_values).
        weights = sd.FIRST_STUDENT_WEIGHTS if role == "student" else sd.FIRST_ADULT_WEIGHTS
        eligible = sum(
            w for f, w in zip(sd.FIRST_NAMES, weights, strict=True) if f.nicknames or f.tag == "x"
        )
        self.middle_share = 0.55 if role == "student" else 0.4
        self.nick_p = min(1.0, self.rate["nickname"] * sum(weights) / eligible)
        self.mid_p = min(1.0, self.rate["middle_as_first"] / (self.middle_share * 0.9))
        self._district_choices()
        self._make_schools()
        self._app_layout()

    # -- district-level choices ------------------------------------------------------

    def _district_choices(self) -> None:
        rng = self.rng
        self.district_id = f"{_SYNC_EPOCH - 86400 * 400:08x}{rng.getrandbits(64):016x}"
        self.city = rng.choice(sd.CITIES)
        self.state = rng.choice(sd.STATES)
        slug = self.city.lower()
        self.domain = rng.choice(
            [f"{slug}usd.org", f"{slug}schools.org", f"{slug}.k12.{self.state.lower()}.us"]
        )
        self.old_domain = rng.choice([f"{slug}.org", f"{slug}-schools.net", f"{slug}isd.net"])
        self.student_domain = rng.choice([f"students.{self.domain}", self.domain])
        self.nces_district = f"{rng.randrange(10, 57):02d}{rng.randrange(0, 100000):05d}"
        # How this district's SIS writes things.
        self.null_style = rng.choice(["null", "absent", "empty"])
        self.clever_dob_style = rng.choices(["plain", "padded", "mixed"], [70, 20, 10])[0]
        size = max(self.records * 2, 1000)
        digits = len(str(size * 4))
        if self.role == "student":
            style = rng.choices(["zeros", "plain", "wide"], [50, 30, 20])[0]
        else:
            style = rng.choices(["zeros", "plain", "prefixed"], [40, 30, 30])[0]
        if style == "zeros":  # fixed width with at least one leading zero: 0012345
            width = max(7, digits + 1 + rng.randrange(2))
            self.sis_seq = _IdSeq(rng, rng.randrange(100, 5000), 3, width)
        elif style == "wide":  # 9 digits, sometimes a leading zero
            self.sis_seq = _IdSeq(rng, rng.randrange(10**7, 3 * 10**8), 30, 9)
        elif style == "prefixed":
            prefix = "T" if self.role == "teacher" else "E"
            self.sis_seq = _IdSeq(rng, rng.randrange(10, 2000), 4, digits + 1, prefix)
        else:
            self.sis_seq = _IdSeq(rng, 10 ** max(5, digits) + rng.randrange(10**4), 3)
        self.sis_style = style
        self.number_style = rng.choices(["other", "same", "letter"], [45, 35, 20])[0]
        if self.role == "staff":
            self.number_style = "none"
        n0 = 10 ** max(5, digits) * rng.randrange(2, 9)
        self.number_seq = _IdSeq(
            rng, n0, 5, 0, "S" if self.number_style == "letter" and self.role == "student" else ""
        )
        if self.number_style == "letter" and self.role != "student":
            self.number_seq.prefix = "TN"
        # 10-digit state ids, spread out but never outgrowing 10 digits.
        gap = max(2, min(2000, 4 * 10**9 // (self.records * 2 + 1)))
        self.state_seq = _IdSeq(rng, rng.randrange(10**9, 5 * 10**9), gap, 10)
        self.email_style = rng.choice(["sis", "dotted", "initial"])
        self.username_style = rng.choices(["email", "sis", "none"], [60, 25, 15])[0]
        self.excel = rng.random() < self.rate["excel_file"]
        self.clever_upper = rng.random() < self.rate["clever_names_upper"]

    # -- schools ---------------------------------------------------------------------

    def _make_schools(self) -> None:
        rng = self.rng
        per = {"student": 500, "teacher": 30, "staff": 25}[self.role]
        n = max(2, round(self.records / per))
        if n == 2:
            kinds = ["k8", "high"]
        else:
            kinds = ["elementary", "middle", "high"]
            for _ in range(n - 3):
                kinds.append(
                    rng.choices(["elementary", "middle", "high", "k8"], [55, 20, 18, 7])[0]
                )
        bases = list(sd.SCHOOL_BASES)
        rng.shuffle(bases)
        used: set[str] = set()
        suffix = {
            "elementary": "Elementary School",
            "middle": "Middle School",
            "high": "High School",
            "k8": "K-8 School",
        }
        span = {"elementary": (0, 5), "middle": (6, 8), "high": (9, 12), "k8": (0, 8)}
        size = {"elementary": 1.0, "middle": 1.3, "high": 1.8, "k8": 1.2}
        sis_kind = rng.choice(["padded", "alnum", "plain"])
        sis_seq = _IdSeq(rng, rng.randrange(1, 90), 7, 4 if sis_kind == "padded" else 0)
        id_seq = _IdSeq(rng, rng.getrandbits(60), 1 << 20)
        self.schools: list[School] = []
        for i, kind in enumerate(kinds):
            base = bases[i % len(bases)]
            name = f"{base} {suffix[kind]}"
            k = i // len(bases)
            while name in used:
                pre = sd.SCHOOL_PREFIXES[k % len(sd.SCHOOL_PREFIXES)]
                extra = (
                    f" {k // len(sd.SCHOOL_PREFIXES) + 1}" if k >= len(sd.SCHOOL_PREFIXES) else ""
                )
                base = f"{pre} {bases[i % len(bases)]}{extra}"
                name = f"{base} {suffix[kind]}"
                k += 1
            used.add(name)
            raw = sis_seq.next()
            sis = (
                f"{int(raw):02d}{'EMHK'[list(suffix).index(kind)]}{rng.randrange(100, 999)}"
                if (sis_kind == "alnum")
                else raw
            )
            lo, hi = span[kind]
            self.schools.append(
                School(
                    id=f"{_SYNC_EPOCH - 86400 * 300:08x}{int(id_seq.next()) & (2**64 - 1):016x}",
                    name=name,
                    base=base,
                    kind=kind,
                    sis_id=sis,
                    school_number=sis if rng.random() < 0.6 else f"{rng.randrange(100, 999)}",
                    state_id=f"{rng.randrange(100000, 999999)}",
                    nces_id=f"{self.nces_district}{rng.randrange(0, 100000):05d}",
                    low=lo,
                    high=hi,
                    address=f"{rng.randrange(100, 9999)} {rng.choice(sd.STREETS)}",
                    city=self.city,
                    state=self.state,
                    zip=f"{rng.randrange(10000, 99999)}",
                    phone=f"({rng.randrange(200, 999)}) 555-{rng.randrange(0, 10000):04d}",
                    weight=size[kind] * (hi - lo + 1) * rng.uniform(0.6, 1.4),
                )
            )
        self.school_cum = list(itertools.accumulate(s.weight for s in self.schools))
        self.school_by_grade: dict[int, list[int]] = {
            g: [i for i, s in enumerate(self.schools) if s.low <= g <= s.high] for g in range(13)
        }
        self.grade_school_cum = {
            g: list(itertools.accumulate(self.schools[i].weight for i in idx))
            for g, idx in self.school_by_grade.items()
        }

    # -- app layout ------------------------------------------------------------------

    def _app_layout(self) -> None:
        rng = self.rng
        role = self.role
        opt = rng.random
        styles: dict[str, list[tuple[str, str, bool]]]  # header, key, always
        if role == "student":
            styles = {
                "sftp": [
                    ("Student_id", "sis_id", True),
                    ("First_name", "first", True),
                    ("Middle_name", "middle", False),
                    ("Last_name", "last", True),
                    ("DOB", "dob", True),
                    ("Grade", "grade", True),
                    ("School_id", "school", True),
                    ("Student_email", "email", True),
                    ("State_id", "state_id", False),
                    ("Student_number", "number", False),
                ],
                "friendly": [
                    ("First Name", "first", True),
                    ("Last Name", "last", True),
                    ("Birthdate", "dob", True),
                    ("Grade", "grade", True),
                    ("School", "school", True),
                    ("Email", "email", True),
                    ("Student ID", "sis_id", True),
                    ("Student Number", "number", False),
                    ("Preferred Name", "preferred", False),
                ],
                "snake": [
                    ("first_name", "first", True),
                    ("middle_name", "middle", False),
                    ("last_name", "last", True),
                    ("date_of_birth", "dob", True),
                    ("grade_level", "grade", True),
                    ("school_name", "school", True),
                    ("email_address", "email", True),
                    ("sis_id", "sis_id", True),
                    ("state_id", "state_id", False),
                ],
            }
        elif role == "teacher":
            styles = {
                "sftp": [
                    ("Teacher_id", "sis_id", True),
                    ("Teacher_number", "number", False),
                    ("First_name", "first", True),
                    ("Last_name", "last", True),
                    ("Teacher_email", "email", True),
                    ("School_id", "school", True),
                    ("Title", "title", False),
                    ("State_teacher_id", "state_id", False),
                ],
                "friendly": [
                    ("First Name", "first", True),
                    ("Last Name", "last", True),
                    ("Email", "email", True),
                    ("School", "school", True),
                    ("Teacher ID", "sis_id", True),
                    ("Title", "title", False),
                    ("Preferred Name", "preferred", False),
                ],
                "snake": [
                    ("first_name", "first", True),
                    ("last_name", "last", True),
                    ("email_address", "email", True),
                    ("school_name", "school", True),
                    ("sis_id", "sis_id", True),
                    ("state_id", "state_id", False),
                    ("username", "username", False),
                ],
            }
        else:
            styles = {
                "sftp": [
                    ("Staff_id", "sis_id", True),
                    ("First_name", "first", True),
                    ("Last_name", "last", True),
                    ("Staff_email", "email", True),
                    ("Title", "title", False),
                    ("Department", "department", False),
                    ("School_id", "school", False),
                ],
                "friendly": [
                    ("First Name", "first", True),
                    ("Last Name", "last", True),
                    ("Email", "email", True),
                    ("Employee ID", "sis_id", True),
                    ("Title", "title", False),
                    ("School", "school", False),
                ],
                "snake": [
                    ("first_name", "first", True),
                    ("last_name", "last", True),
                    ("email", "email", True),
                    ("staff_id", "sis_id", True),
                    ("department", "department", False),
                    ("username", "username", False),
                ],
            }
        self.style = rng.choice(sorted(styles))
        cols = [(h, k) for h, k, always in styles[self.style] if always or opt() < 0.5]
        self.school_kind = "id" if self.style == "sftp" else "name"
        if not self.with_ids:
            cols = [(h, k) for h, k in cols if k not in _KEYS_WITH_IDS]
            if self.school_kind == "id":
                cols = [("School", k) if k == "school" else (h, k) for h, k in cols]
                self.school_kind = "name"
        extras = [
            ("Account Created", "x_created"),
            ("Plan", "x_plan"),
            ("Last Login", "x_login"),
            ("Points", "x_points"),
        ]
        rng.shuffle(extras)
        chosen = extras[: rng.randint(1, 2)]
        id_header = rng.choice(["id", "user_id"])
        cols = [*chosen, *cols] if opt() < 0.3 else [*cols, *chosen]
        cols.insert(0, (id_header, "id"))
        self.app_header = [h for h, _ in cols]
        self.app_keys = [k for _, k in cols]
        self.app_key_set = frozenset(self.app_keys)
        self.app_id_style = rng.choice(["zpad", "prefixed", "plain"])
        self.app_id_seq = _IdSeq(
            rng,
            rng.randrange(0, 500) if self.app_id_style == "zpad" else rng.randrange(1000, 50000),
            3,
            max(6, len(str(self.records * 4))) if self.app_id_style == "zpad" else 0,
            "u-" if self.app_id_style == "prefixed" else "",
        )
        self.date_format = rng.choices([0, 1, 2, 3], [40, 25, 25, 10])[0]
        self.grade_style = rng.choice(["plain", "padded", "zero", "clever"])

    # -- people ----------------------------------------------------------------------

    def _first(self, gender: str | None = None) -> sd.FirstName:
        rng = self.rng
        for _ in range(8):
            f = _pick(rng.random, sd.FIRST_NAMES, self.first_cum)
            if gender is None or f.gender == gender:
                return f
        return f

    def _last(self) -> tuple[str, bool, bool]:
        rng = self.rng
        ln = _pick(rng.random, sd.LAST_NAMES, self.last_cum)
        if rng.random() < 0.05 and ln.tag != "p":  # two-part surname
            if ln.tag == "h":
                other = rng.choice(self.hisp_last).name
                sep = " " if rng.random() < 0.5 else "-"
            else:
                other = _pick(rng.random, sd.LAST_NAMES, self.last_cum).name
                sep = "-"
            if other != ln.name and " " not in other and "'" not in other:
                return f"{ln.name}{sep}{other}", True, False
        return ln.name, False, ln.tag == "p"

    def _middle(self, gender: str) -> str:
        rng = self.rng
        if rng.random() < 0.5:
            return rng.choice(sd.MIDDLE_F if gender == "F" else sd.MIDDLE_M)
        f = self._first(gender)
        if f.gender != gender:
            return rng.choice(sd.MIDDLE_F if gender == "F" else sd.MIDDLE_M)
        return f.name.split()[0]

    def _dob_for_grade(self, grade: int) -> date:
        rng = self.rng
        age = 5 + grade
        x = rng.random()
        if x < 0.04:
            age += 1  # retained
        elif x < 0.05:
            age -= 1  # started early
        start = date(SCHOOL_YEAR - age - 1, 9, 2)
        return start + timedelta(days=int(rng.random() * 365))

    def _student_email(self, first: str, last: str, sis: str, grade: int) -> str:
        rng = self.rng
        missing = (0.8, 0.8, 0.7, 0.45, 0.4, 0.35, 0.12, 0.1, 0.08, 0.03, 0.03, 0.03, 0.03)[grade]
        if rng.random() < missing:
            return ""
        f = _email_part(first.split()[0])
        la = _email_part(last.split("-")[0].split()[0] if last else "x")
        if self.email_style == "sis":
            local = sis
        elif self.email_style == "dotted":
            local = f"{f}.{la}{sis[-4:]}"
        else:
            local = f"{f[:1]}{la}{sis[-3:]}"
        return f"{local}@{self.student_domain}"

    def _adult_email(self, first: str, last: str) -> str:
        f = _email_part(first.split()[0])
        la = _email_part(last)
        local = f"{f}.{la}" if self.email_style != "initial" else f"{f[:1]}{la}"
        n = self.used_emails.get(local, 0) + 1
        self.used_emails[local] = n
        if n > 1:
            local = f"{local}{n}"
        return f"{local}@{self.domain}"

    def _username(self, email: str, sis: str) -> str:
        if self.username_style == "none" or self.rng.random() < 0.03:
            return ""
        if self.username_style == "sis" or not email:
            return sis
        return email.split("@")[0]

    def _new_key(self) -> int:
        self.next_key += 1
        return self.next_key

    def _new_person(self) -> Person:
        rng = self.rng
        role = self.role
        fn = self._first()
        last, compound, particle = self._last()
        adult = role != "student"
        middle = self._middle(fn.gender) if rng.random() < self.middle_share else ""
        if middle and rng.random() < 0.1:
            middle = middle[0]
        suffix = ""
        if fn.gender == "M" and rng.random() < (0.03 if adult else 0.015):
            suffix = rng.choice(sd.SUFFIXES)
        sis = self.sis_seq.next()
        if self.number_style == "same":
            number = sis
        elif self.number_style == "none":
            number = ""
        else:
            number = self.number_seq.next()
        state_id = self.state_seq.next()
        if role == "student":
            # Grades are about equally large (a few leave in the last years); then one of
            # the schools serving that grade, bigger schools more often.
            grade = bisect_right(_GRADE_CUM, rng.random() * _GRADE_CUM[-1])
            options, cum = self.school_by_grade[grade], self.grade_school_cum[grade]
            s = options[bisect_right(cum, rng.random() * cum[-1])]
            schools = [s]
            if rng.random() < 0.03:
                other = rng.choice(self.school_by_grade[grade])
                if other != s:
                    schools.append(other)
            dob: date | None = self._dob_for_grade(grade)
            email = self._student_email(fn.name, last, sis, grade)
            p = Person(
                self._new_key(), fn.name, fn.tag, fn.nicknames, fn.gender, middle, last,
                compound, particle, suffix, dob, grade, schools, sis, number, state_id, email,
                "", roles=("student",),
            )  # fmt: skip
        else:
            s = bisect_right(self.school_cum, rng.random() * self.school_cum[-1])
            schools = [s]
            x = rng.random()
            if x < 0.12:
                schools.append(rng.randrange(len(self.schools)))
                if x < 0.02:
                    schools.append(rng.randrange(len(self.schools)))
                schools = list(dict.fromkeys(schools))
            email = self._adult_email(fn.name, last) if rng.random() > 0.02 else ""
            p = Person(
                self._new_key(), fn.name, fn.tag, fn.nicknames, fn.gender, middle, last,
                compound, particle, suffix, None, 0, schools, sis, number, state_id, email, "",
            )  # fmt: skip
            if role == "teacher":
                p.title = rng.choice(sd.TEACHER_TITLES) if rng.random() < 0.6 else ""
                p.roles = ("staff", "teacher") if rng.random() < 0.03 else ("teacher",)
                if "staff" in p.roles:
                    p.department = rng.choice(sd.STAFF_TITLES)[1]
            else:
                p.title, p.department = rng.choice(sd.STAFF_TITLES)
                if rng.random() < 0.15:
                    p.department = ""
                x = rng.random()
                if x < 0.05:
                    p.roles = ("district_admin",)
                    p.schools = []
                    p.title, p.department, p.sis_id = "", "", ""
                    p.admin_title = rng.choice(sd.ADMIN_TITLES)
                elif x < 0.15:
                    p.roles = ("district_admin", "staff")
                    p.admin_title = rng.choice(sd.ADMIN_TITLES)
                    p.title, p.department = p.admin_title, "District Office"
                    if rng.random() < 0.5:
                        p.schools = []
                else:
                    p.roles = ("staff",)
                    if rng.random() < 0.08:
                        p.schools = []  # district office
        p.username = self._username(p.email, sis)
        return p

    def _twin(self, p: Person) -> Person:
        rng = self.rng
        if rng.random() < 0.4:
            pair = rng.choice(sd.TWIN_PAIRS)
            if p.first in pair and pair[0] != pair[1]:
                name = pair[1] if p.first == pair[0] else pair[0]
            else:
                name = pair[1]
            fn = sd.FIRST_BY_NAME[name]
        else:
            fn = self._first()
            while fn.name == p.first:
                fn = self._first()
        sis = self.sis_seq.next()
        number = sis if self.number_style == "same" else self.number_seq.next()
        middle = self._middle(fn.gender) if rng.random() < self.middle_share else ""
        email = self._student_email(fn.name, p.last, sis, p.grade)
        q = replace(
            p, key=self._new_key(), first=fn.name, first_tag=fn.tag, nicks=fn.nicknames,
            gender=fn.gender, middle=middle, suffix="", schools=list(p.schools), sis_id=sis,
            number=number, state_id=self.state_seq.next(), email=email,
        )  # fmt: skip
        q.username = self._username(email, sis)
        return q

    def _chunk(self, target: int) -> list[Person]:
        rng = self.rng
        r = self.rate
        people: list[Person] = []
        made = 0
        while made < target:
            p = self._new_person()
            people.append(p)
            made += 1
            group = [p]
            if self.role == "student" and made < target and rng.random() < r["twins"] / 2:
                t = self._twin(p)
                people.append(t)
                group.append(t)
                made += 1
            for q in group:
                q.in_app = rng.random() >= r["clever_only"]
            if len(group) == 2 and rng.random() < r["twin_left"]:
                # Only the other twin is still on the roster: the app must not give the
                # stale account to the twin who stayed.
                gone = group[rng.randrange(2)]
                gone.in_app, gone.in_clever = True, False
            if rng.random() < r["app_only"]:
                q = self._new_person()
                q.in_clever = False
                people.append(q)
                group.append(q)
            for q in group:
                if q.in_app and rng.random() < r["app_duplicate"]:
                    q.app_count = 3 if rng.random() < 0.1 else 2
                if q.in_clever and rng.random() < r["clever_duplicate"]:
                    q.clever_count = 2
        return people

    # -- Clever side -----------------------------------------------------------------

    def _put(self, d: dict[str, Any], key: str, value: str) -> None:
        if value:
            d[key] = value
        elif self.null_style == "null":
            d[key] = None
        elif self.null_style == "empty":
            d[key] = ""

    def _clever_dup(self, p: Person) -> Person:
        """The same person loaded again under a new Clever id."""
        rng = self.rng
        q = replace(p, schools=list(p.schools))
        if rng.random() < 0.75:
            q.sis_id = self.sis_seq.next() if q.sis_id else ""
            if self.number_style == "same":
                q.number = q.sis_id
            elif q.number and rng.random() < 0.5:
                q.number = self.number_seq.next()
        if rng.random() < 0.2:
            q.state_id = ""
        if self.role == "student" and rng.random() < 0.4:
            q.schools = [rng.choice(self.school_by_grade[q.grade])]
        x = rng.random()
        if x < 0.1:
            q.middle = ""
        elif x < 0.15:
            q.last = _typo(rng, q.last)
        elif x < 0.2 and q.nicks:
            q.first = rng.choice(q.nicks)
        if self.role == "student" and self.email_style == "sis":
            q.email = f"{q.sis_id}@{self.student_domain}" if q.email else ""
        elif rng.random() < 0.5:
            q.email = ""
        q.username = self._username(q.email, q.sis_id)
        return q

    def _clever_record(self, p: Person, cid: str, ts: int) -> tuple[str, list[str]]:
        """(JSON line, the role's ``clever.*`` values) for one Clever user."""
        rng = self.rng
        role = self.role
        put = self._put
        first, last = p.first, p.full_last
        middle = p.middle if rng.random() < 0.8 else ""
        if self.clever_upper:
            first, middle, last = first.upper(), middle.upper(), last.upper()
        name: dict[str, Any] = {"first": first, "last": last}
        put(name, "middle", middle)
        user: dict[str, Any] = {"id": cid, "district": self.district_id, "name": name}
        put(user, "email", p.email)
        created = _iso(ts)
        user["created"] = created
        user["last_modified"] = _iso(ts + 86400 + int(rng.random() * 86400 * 700))
        school_ids = [self.schools[i].id for i in p.schools]
        creds: dict[str, Any] = {}
        put(creds, "district_username", p.username)
        roles: dict[str, Any] = {}
        sch = self.schools[p.schools[0]] if p.schools else None
        if role == "student":
            assert p.dob is not None
            dob = ""
            if rng.random() >= 0.02:
                padded = self.clever_dob_style == "padded" or (
                    self.clever_dob_style == "mixed" and rng.random() < 0.5
                )
                dob = _fmt_date(p.dob, 1 if padded else 0)
            state_id = p.state_id if rng.random() >= 0.1 else ""
            number = p.number if rng.random() >= 0.03 else ""
            grade = _clever_grade(p.grade) if rng.random() >= 0.01 else ""
            r: dict[str, Any] = {
                "sis_id": p.sis_id,
                "school": school_ids[0],
                "schools": school_ids,
                "credentials": creds,
                "created": created,
                "last_modified": user["last_modified"],
                "graduation_year": str(SCHOOL_YEAR + 13 - p.grade),
            }
            put(r, "student_number", number)
            put(r, "state_id", state_id)
            put(r, "dob", dob)
            put(r, "grade", grade)
            put(r, "gender", p.gender)
            roles["student"] = r
            assert sch is not None
            values = [
                cid, self.district_id, first, middle, last, p.email, p.sis_id, number,
                state_id, dob, grade, sch.id, sch.name, p.username,
            ]  # fmt: skip
        elif role == "teacher":
            state_id = p.state_id if rng.random() >= 0.4 else ""
            number = p.number if rng.random() >= 0.2 else ""
            r = {
                "sis_id": p.sis_id,
                "school": school_ids[0],
                "schools": school_ids,
                "credentials": creds,
                "created": created,
                "last_modified": user["last_modified"],
            }
            put(r, "teacher_number", number)
            put(r, "state_id", state_id)
            put(r, "title", p.title)
            roles["teacher"] = r
            if "staff" in p.roles:
                st: dict[str, Any] = {
                    "staff_id": p.sis_id,
                    "schools": school_ids,
                    "credentials": creds,
                }
                put(st, "title", "Department Head")
                put(st, "department", p.department)
                roles["staff"] = st
            assert sch is not None
            values = [
                cid, self.district_id, first, middle, last, p.email, p.sis_id, number,
                state_id, p.title, sch.id, sch.name, p.username,
            ]  # fmt: skip
        else:
            if "staff" in p.roles:
                st = {"staff_id": p.sis_id, "schools": school_ids, "credentials": creds}
                put(st, "title", p.title)
                put(st, "department", p.department)
                roles["staff"] = st
            if "district_admin" in p.roles:
                da: dict[str, Any] = {}
                put(da, "title", p.admin_title)
                roles["district_admin"] = da
            title = p.title if "staff" in p.roles else p.admin_title
            username = p.username if "staff" in p.roles else ""
            values = [
                cid, self.district_id, first, middle, last, p.email, p.sis_id, title,
                p.department, ";".join(school_ids), username, ";".join(sorted(p.roles)),
            ]  # fmt: skip
        user["roles"] = roles
        line = _JSON.encode(user)
        return line, values

    # -- app side --------------------------------------------------------------------

    def _app_values(self, p: Person, second: bool) -> dict[str, str]:
        """One app record of ``p``; ``second`` for a duplicate account (noisier)."""
        rng = self.rng
        rnd = rng.random
        r = self.rate
        c = self.counts
        boost = 4.0 if second else 1.0
        out: dict[str, str] = {}

        # names
        first, middle, last = p.first, p.middle, p.full_last
        # Nickname and middle-as-first rates are per record: only people who have a
        # nickname (or a full middle name) can show one, so they draw at a higher rate.
        nick_p = self.nick_p * boost if (p.nicks or p.first_tag == "x") else 0.0
        mid_p = self.mid_p * boost if len(middle) > 1 else 0.0
        preferred = ""
        x = rnd()
        if x < nick_p:
            if p.nicks:
                nick = rng.choice(p.nicks)
            else:
                nick = rng.choice(sd.PREFERRED_F if p.gender == "F" else sd.PREFERRED_M)
            if "preferred" in self.app_key_set and rnd() < 0.5:
                preferred = nick  # the app keeps it apart: legal first name + preferred name
                c["preferred_column"] += 1
            else:
                first = nick
                c["nickname" if p.nicks else "preferred_name"] += 1
        elif x < nick_p + mid_p:
            first, middle = middle, ""
            c["middle_as_first"] += 1
        elif x < nick_p + mid_p + r["first_initial"] * boost:
            first = first[0] + ("." if rnd() < 0.5 else "")
            c["first_initial"] += 1
        if p.first_tag == "c" and " " in first and rnd() < r["compound_first_shortened"]:
            first = first.split()[0]
            c["compound_first_shortened"] += 1
        if p.compound_last:
            if rnd() < r["surname_shortened"]:
                parts = p.last.replace("-", " ").split()
                last = parts[0] if rnd() < 0.75 else parts[-1]
                c["surname_shortened"] += 1
            elif rnd() < r["surname_separator"]:
                last = p.last.replace("-", " ") if "-" in p.last else p.last.replace(" ", "-")
                c["surname_separator"] += 1
        elif p.particle_last and rnd() < r["particle_variant"]:
            last = p.last.replace("'", "" if rnd() < 0.6 else " ")
            last = last.replace(" ", "") if rnd() < 0.5 else last
            last = last.replace(". ", " ").replace(".", "")
            if rnd() < 0.4:
                last = last[:1] + last[1:].lower()
            c["particle_variant"] += 1
        if p.suffix and rnd() < r["suffix_dropped"]:
            last = p.last if last == p.full_last else last
            c["suffix_dropped"] += 1
        if self.role != "student" and rnd() < r["name_changed"] * boost:
            last = _pick(rnd, sd.LAST_NAMES, self.last_cum).name
            c["name_changed"] += 1
        if rnd() < r["typo"] * boost:
            if rnd() < 0.5:
                first = _typo(rng, first)
            else:
                last = _typo(rng, last)
            c["typo"] += 1
        if not (first.isascii() and last.isascii() and middle.isascii()) and (
            rnd() < r["accents_dropped"]
        ):
            first, middle, last = strip_accents(first), strip_accents(middle), strip_accents(last)
            c["accents_dropped"] += 1
        if rnd() < r["first_last_swapped"]:
            first, last = last, first
            c["first_last_swapped"] += 1
        if rnd() < r["case_changed"] * boost:
            if rnd() < 0.6:
                first, middle, last = first.upper(), middle.upper(), last.upper()
            else:
                first, middle, last = first.lower(), middle.lower(), last.lower()
            c["case_changed"] += 1
        if rnd() < r["whitespace_padding"]:
            if rnd() < 0.5:
                first = first + " " if rnd() < 0.7 else " " + first
            else:
                last = last + " " if rnd() < 0.7 else " " + last
            c["whitespace_padding"] += 1
        if middle and rnd() < r["middle_shortened"]:
            middle = middle[0] if rnd() < 0.5 else ""
            c["middle_shortened"] += 1
        out["first"], out["middle"], out["last"] = first, middle, last
        out["preferred"] = preferred

        # ids
        strip = self.excel
        if not strip and rnd() < r["zeros_stripped"]:
            strip = True
            c["zeros_stripped"] += 1
        missing = r["id_missing"] * (10 if second else 1)
        for key, value in (("sis_id", p.sis_id), ("number", p.number), ("state_id", p.state_id)):
            if key not in self.app_key_set or not value or rnd() < missing:
                out[key] = ""
                if value:
                    c["id_missing"] += 1
                continue
            if rnd() < r["id_typo"]:
                value = _id_typo(rng, value)
                c["id_typo"] += 1
            if strip:
                value = _strip_zeros(value)
            out[key] = value
        out["username"] = p.username if rnd() >= r["id_missing"] else ""

        # email
        adult = self.role != "student"
        if rnd() < r["email_missing_adult" if adult else "email_missing_student"]:
            email = ""
        elif p.email and not (second and rnd() < 0.5):
            email = p.email
            if adult and rnd() < r["email_old_domain"]:
                email = email.split("@")[0] + "@" + self.old_domain
                c["email_old_domain"] += 1
            if rnd() < r["email_case_changed"]:
                local, _, dom = email.partition("@")
                email = (
                    email.upper()
                    if rnd() < 0.3
                    else ".".join(w.capitalize() for w in local.split(".")) + "@" + dom
                )
                c["email_case_changed"] += 1
        elif rnd() < r["email_personal"]:
            f = _email_part(p.first.split()[0])
            la = _email_part(p.last)
            if not adult and rnd() < 0.5:  # a parent's address
                f = _email_part(self._first().name)
            email = f"{f}{la}{rng.randrange(1, 999)}@{rng.choice(sd.PERSONAL_EMAIL_DOMAINS)}"
        else:
            email = ""
        out["email"] = email

        # school (and grade, dob for students)
        schools = p.schools
        grade = p.grade
        school_idx = schools[0] if schools else -1
        if len(schools) > 1 and rnd() < (r["school_secondary"] if not adult else 0.3):
            school_idx = schools[1]
            c["school_secondary"] += 1
        if not adult:
            if rnd() < r["grade_stale"]:
                grade -= 1
                c["grade_stale"] += 1
                if grade >= 0:
                    s = self.schools[school_idx]
                    if not s.low <= grade <= s.high:
                        school_idx = rng.choice(self.school_by_grade[grade])
                        c["school_feeder"] += 1
            out["grade"] = self._app_grade(grade)
            out["dob"] = self._app_dob(p.dob)
        elif school_idx >= 0 and rnd() < r["school_moved"]:
            school_idx = rng.randrange(len(self.schools))
            c["school_moved"] += 1
        out["school"] = self._app_school(school_idx) if "school" in self.app_key_set else ""

        # role fields
        title = p.title or p.admin_title
        out["title"] = title if rnd() >= r["title_missing"] else ""
        out["department"] = p.department if rnd() >= r["title_missing"] else ""

        # unrelated columns
        created = _SYNC_EPOCH - int(rnd() * 86400 * 1500)
        stamp = _iso(created)
        if self.excel:  # Excel re-saves timestamps as M/D/YYYY H:MM
            y, mo, d = stamp[:10].split("-")
            out["x_created"] = f"{int(mo)}/{int(d)}/{y} {int(stamp[11:13])}:{stamp[14:16]}"
        else:
            out["x_created"] = f"{stamp[:10]} {stamp[11:19]}"
        out["x_plan"] = _PLANS[int(rnd() * len(_PLANS))]
        out["x_login"] = _iso(created + int(rnd() * 86400 * 700))[:10] if rnd() < 0.9 else ""
        out["x_points"] = str(int(rng.paretovariate(1.2) * 40) - 40)
        return out

    def _app_grade(self, g: int) -> str:
        style = self.grade_style
        if g < 0:
            return {"plain": "PK", "padded": "PK", "zero": "-1", "clever": "PreKindergarten"}[style]
        if g == 0:
            return {"plain": "K", "padded": "KG", "zero": "0", "clever": "Kindergarten"}[style]
        if style == "padded" and not self.excel:
            return f"{g:02d}"
        return str(g)

    def _app_dob(self, dob: date | None) -> str:
        rng = self.rng
        rnd = rng.random
        r = self.rate
        c = self.counts
        if dob is None or rnd() < r["dob_missing"]:
            c["dob_missing"] += 1
            return ""
        d = dob
        if rnd() < r["day_month_swapped"] and d.day <= 12 and d.day != d.month:
            d = date(d.year, d.day, d.month)
            c["day_month_swapped"] += 1
        if rnd() < r["day_off_by_one"]:
            d = d + timedelta(days=1 if rnd() < 0.5 else -1)
            c["day_off_by_one"] += 1
        if rnd() < r["year_typo"]:
            dy = rng.choice((-1, 1, -10, 10)) if rnd() < 0.8 else rng.choice((-2, 2))
            with contextlib.suppress(ValueError):  # Feb 29
                d = d.replace(year=d.year + dy)
                c["year_typo"] += 1
        if self.excel:
            return _fmt_date(d, 0)
        fmt = self.date_format
        if rnd() < r["date_format_mixed"]:
            fmt = rng.choice([f for f in (0, 1, 2, 3, 4) if f != fmt])
            c["date_format_mixed"] += 1
        return _fmt_date(d, fmt)

    def _app_school(self, idx: int) -> str:
        if idx < 0:
            return "District Office" if self.rng.random() < 0.5 else ""
        rng = self.rng
        rnd = rng.random
        s = self.schools[idx]
        r = self.rate
        c = self.counts
        if self.school_kind == "id":
            if rnd() < r["school_other_form"]:
                c["school_other_form"] += 1
                return s.name
            return _strip_zeros(s.sis_id) if self.excel else s.sis_id
        x = rnd()
        if x < r["school_other_form"] and self.with_ids:  # without ids: never a school id
            c["school_other_form"] += 1
            return s.sis_id
        if x < r["school_other_form"] + r["school_variant"]:
            c["school_variant"] += 1
            return rng.choice(s.variants())
        return s.name

    # -- the run ---------------------------------------------------------------------

    def run(self, users: IO[str], app_spool: IO[str], clever_spool: IO[str]) -> Iterator[list[str]]:
        """Yield app.csv rows; write Clever users and spool expected.csv rows on the way."""
        rng = self.rng
        blanks = [""] * len(CLEVER_FIELDS[self.role])
        remaining = self.records
        chunk_no = 0
        sep = "\x1f"
        while remaining > 0:
            people = self._chunk(min(CHUNK, remaining))
            remaining -= sum(1 for p in people if p.in_clever)
            ts = _SYNC_EPOCH + chunk_no * 600
            prefix = f"{ts:08x}"
            chunk_no += 1
            clever: list[tuple[str, int, str, list[str]]] = []
            app: list[tuple[dict[str, str], int]] = []
            by_key: dict[int, Person] = {}
            for p in people:
                by_key[p.key] = p
                if p.in_clever:
                    for k in range(p.clever_count):
                        q = p if k == 0 else self._clever_dup(p)
                        cid = f"{prefix}{rng.getrandbits(64):016x}"
                        line, values = self._clever_record(q, cid, ts + int(rng.random() * 600))
                        clever.append((cid, p.key, line, values))
                if p.in_app:
                    for k in range(p.app_count):
                        app.append((self._app_values(p, k > 0), p.key))
            clever.sort(key=lambda t: t[0])
            rng.shuffle(app)
            matched: dict[int, list[str]] = {}
            truth = self.truth
            for cid, key, line, values in clever:
                users.write(line)
                users.write("\n")
                if truth is not None:
                    truth[1][cid] = key
                p = by_key[key]
                if p.clever_count > 1:
                    status = CLEVER_DUPLICATE
                elif p.in_app and p.app_count == 1:
                    matched[key] = values
                    continue
                else:
                    status = CLEVER_NO_MATCH
                clever_spool.write(sep.join([*values, status]) + "\n")
                self.status_counts[status] += 1
            self.clever_records += len(clever)
            keys = self.app_keys
            for values_by_key, key in app:
                values_by_key["id"] = self._app_id()
                if truth is not None:
                    truth[0][values_by_key["id"]] = key
                row = [values_by_key[k] for k in keys]
                p = by_key[key]
                if p.app_count > 1:
                    status, cvals = APP_DUPLICATE, blanks
                elif key in matched:
                    status, cvals = MATCH, matched[key]
                else:
                    status, cvals = APP_NO_MATCH, blanks
                self.status_counts[status] += 1
                app_spool.write(sep.join([*row, *cvals, status]) + "\n")
                self.app_records += 1
                yield row

    def _app_id(self) -> str:
        v = self.app_id_seq.next()
        return _strip_zeros(v) if self.excel else v


def _read_spool(fh: IO[str], pad: int) -> Iterator[list[str]]:
    """Rows back from a spool; ``pad`` empty app columns are prepended to Clever-only rows."""
    fh.seek(0)
    lead = [""] * pad
    for line in fh:
        vals = line.rstrip("\n").split("\x1f")
        yield [*lead, *vals] if pad else vals


def generate(
    role: str,
    records: int,
    seed: int,
    out_dir: Path,
    *,
    with_ids: bool = True,
    noise: float = 1.0,
) -> GenerateSummary:
    """Write a synthetic district with known truth under ``out_dir``; see the module doc."""
    from matchengine import synth_orgs  # schools, sections, districts, multi-role users

    if canonical_role(role) in synth_orgs.GENERATED_ORG_ROLES:
        return synth_orgs.generate(
            canonical_role(role), records, seed, out_dir, with_ids=with_ids, noise=noise
        )
    return _generate(role, records, seed, out_dir, with_ids=with_ids, noise=noise)[0]


def generate_with_truth(
    role: str,
    records: int,
    seed: int,
    out_dir: Path,
    *,
    with_ids: bool = True,
    noise: float = 1.0,
) -> tuple[GenerateSummary, dict[str, int], dict[str, int]]:
    """``generate``, plus who is who: app id -> person number, Clever id -> person number.

    The files are the same as ``generate``'s.  For tests and for studying a matcher's
    mistakes on small districts (the maps hold every record in memory).
    """
    summary, truth = _generate(
        role, records, seed, out_dir, with_ids=with_ids, noise=noise, keep_truth=True
    )
    assert truth is not None
    return summary, truth[0], truth[1]


def _generate(
    role: str,
    records: int,
    seed: int,
    out_dir: Path,
    *,
    with_ids: bool,
    noise: float,
    keep_truth: bool = False,
) -> tuple[GenerateSummary, tuple[dict[str, int], dict[str, int]] | None]:
    role = canonical_role(role)
    if role not in GENERATED_ROLES:
        raise UsageError(f"generate supports roles {', '.join(GENERATED_ROLES)}, not {role!r}")
    sd.check_size_and_noise(records, noise)
    out_dir = Path(out_dir)
    clever_dir = out_dir / "clever"
    clever_dir.mkdir(parents=True, exist_ok=True)

    gen = _District(role, records, seed, with_ids, noise)
    if keep_truth:
        gen.truth = ({}, {})
    with atomic_text(clever_dir / "schools.ndjson", newline="\n") as fh:
        for s in gen.schools:
            obj = s.to_json(gen.district_id)
            fh.write(_JSON.encode(obj))
            fh.write("\n")

    with (
        tempfile.TemporaryFile("w+", encoding="utf-8", newline="\n", dir=out_dir) as app_spool,
        tempfile.TemporaryFile("w+", encoding="utf-8", newline="\n", dir=out_dir) as cl_spool,
        atomic_text(clever_dir / "users.ndjson", newline="\n") as users,
    ):
        write_table(out_dir / "app.csv", gen.app_header, gen.run(users, app_spool, cl_spool))
        header = output_header(gen.app_header, role, extras=False)
        rows = itertools.chain(
            _read_spool(app_spool, 0), _read_spool(cl_spool, len(gen.app_header))
        )
        write_table(out_dir / "expected.csv", header, rows)

    counts = gen.status_counts
    summary = GenerateSummary(
        role=role,
        records=records,
        seed=seed,
        out_dir=out_dir,
        app_records=gen.app_records,
        clever_records=gen.clever_records,
        true_matches=counts[MATCH],
        counts_by_status=dict(counts),
        with_ids=with_ids,
        noise=noise,
        schools=len(gen.schools),
        app_header=list(gen.app_header),
        excel_damaged=gen.excel,
        noise_counts={k: v for k, v in gen.counts.items() if v},
    )
    return summary, gen.truth
