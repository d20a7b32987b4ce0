"""``--role district``: the company's organisations against Clever districts.

``--clever PATH`` is one snapshot (``districts.*``, with its ``schools.*`` and users), a
folder of snapshots (one sub-folder per district), or a single districts file.  Evidence,
strongest first: MDR number, NCES id (an NCES school id gives its district's), then the
normalised name within the state (``Springfield USD`` = ``Springfield Unified School
District``; the name of a single-school district's school counts too), the city, and the
email domains seen in each district's users (only when the app CSV has a domains column).

Clever's own district ``state`` field is the sync status, not a place: a district's state
is its schools' (``location.state``), else the first two digits of its NCES id.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import polars as pl

from matchengine import clever as clever_io
from matchengine.errors import InvalidDataError, UsageError
from matchengine.normalize import map_unique, text_column
from matchengine.orgs import values as v
from matchengine.orgs.common import Options, decisions_for, link, start
from matchengine.orgs.common import result as make_result
from matchengine.orgs.common import write as write_out
from matchengine.pipeline import MatchResult

ROLE = "district"
_OUTPUT = ("id", "name", "mdr_number", "nces_id", "state")
# A domain is the district's when at least this share of its users with an email use it.
_DOMAIN_SHARE = 0.02
# Schools of a district that can pair it with a single-school signup (blocking keys).
_SCHOOL_SLOTS = 6


@dataclass
class _District:
    id: str
    name: str = ""
    mdr_number: str = ""
    nces_id: str = ""
    state_field: str = ""
    states: Counter[str] = field(default_factory=Counter)
    cities: Counter[str] = field(default_factory=Counter)
    school_names: list[str] = field(default_factory=list)
    domains: Counter[str] = field(default_factory=Counter)
    users: int = 0

    def fill(self, row: dict[str, str]) -> None:
        for f in ("name", "mdr_number", "nces_id"):
            if not getattr(self, f) and row.get(f):
                setattr(self, f, row[f])
        if not self.state_field and row.get("state"):
            self.state_field = row["state"]

    def state(self) -> str:
        own = v.state(self.state_field)
        if own:
            return own
        if self.states:
            return max(sorted(self.states), key=lambda s: self.states[s])
        return v.nces_state(v.nces_district(self.nces_id)) or ""

    def city(self) -> str:
        if not self.cities:
            return ""
        return max(sorted(self.cities), key=lambda c: self.cities[c])

    def domain_list(self) -> list[str]:
        if not self.domains:
            return []
        with_email = max(self.users, 1)
        kept = [d for d, k in self.domains.items() if k >= max(1.0, _DOMAIN_SHARE * with_email)]
        return sorted(kept, key=lambda d: (-self.domains[d], d))


def _snapshots(path: Path) -> list[Path]:
    """The snapshot folders (or the one file) under ``path``."""
    if not path.exists():
        raise UsageError(
            f"{path}: no such file or directory; pass --clever a Clever snapshot folder, a "
            "folder of snapshots, or a districts file"
        )
    if path.is_file():
        return [path]

    def has_districts(p: Path) -> bool:
        return any(clever_io._kind_of(f.name)[0] == "districts" for f in p.iterdir() if f.is_file())

    found = [path] if has_districts(path) else []
    found += sorted(p for p in path.iterdir() if p.is_dir() and has_districts(p))
    return found


def _read_snapshot(path: Path, districts: dict[str, _District]) -> None:
    frame = clever_io.load_districts(path)
    ids = frame["id"].to_list()
    for row in frame.iter_rows(named=True):
        districts.setdefault(row["id"], _District(row["id"])).fill(row)
    if path.is_file():
        return
    only = ids[0] if len(ids) == 1 else None

    def owner(value: str) -> _District | None:
        d = value or only
        return districts.get(d) if d else None

    schools = clever_io.load_schools(path)
    for row in schools.iter_rows(named=True):
        d = owner(row["district"])
        if d is None:
            continue
        st = v.state(row["state"])
        if st:
            d.states[st] += 1
        if row["city"].strip():
            d.cities[row["city"].strip()] += 1
        form = v.school_name(row["name"])
        if form and form not in d.school_names:
            d.school_names.append(form)
    for role in ("teacher", "staff"):
        try:
            users = clever_io.load_role(path, role)
        except InvalidDataError:
            return  # no users file: no domains
        seen: set[str] = set()
        for uid, district, email in zip(
            users["id"].to_list(),
            users["district"].to_list(),
            users["email"].to_list(),
            strict=True,
        ):
            d = owner(district)
            if d is None or uid in seen:
                continue
            seen.add(uid)
            forms = v.domain_forms(v.email_domain(email))
            if forms:
                d.users += 1
                for form in forms:
                    d.domains[form] += 1


def load_clever_districts(clever_path: str | Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(output frame with ``CLEVER_FIELDS['district']``, raw matching frame), by id."""
    districts: dict[str, _District] = {}
    for snap in _snapshots(Path(clever_path)):
        _read_snapshot(snap, districts)
    ordered = [districts[k] for k in sorted(districts)]
    output = pl.DataFrame(
        {
            "id": [d.id for d in ordered],
            "name": [d.name for d in ordered],
            "mdr_number": [d.mdr_number for d in ordered],
            "nces_id": [d.nces_id for d in ordered],
            "state": [d.state() for d in ordered],
        },
        schema={f: pl.String for f in _OUTPUT},
    )
    raw = pl.DataFrame(
        {
            "name": [d.name or None for d in ordered],
            "mdr_number": [d.mdr_number or None for d in ordered],
            "nces_id": [d.nces_id or None for d in ordered],
            "state": [d.state() or None for d in ordered],
            "city": [d.city() or None for d in ordered],
            "domains": [d.domain_list() or None for d in ordered],
            "school_names": [d.school_names or None for d in ordered],
        },
        schema={
            "name": pl.String,
            "mdr_number": pl.String,
            "nces_id": pl.String,
            "state": pl.String,
            "city": pl.String,
            "domains": pl.List(pl.String),
            "school_names": pl.List(pl.String),
        },
    )
    return output, raw


def _primary_domain(domains: Sequence[str] | None) -> str | None:
    """The organisation form of the first domain (the blocking key)."""
    if not domains:
        return None
    forms = v.domain_forms(domains[0])
    return forms[-1] if forms else None


def normalize_districts(raw: pl.DataFrame) -> pl.DataFrame:
    """Comparison columns from ``name, mdr_number, nces_id, state, city`` (String) and
    ``domains``, ``school_names`` (List(String), already normalised); any may be missing."""
    n = raw.height

    col = partial(text_column, raw)

    def lists(name: str) -> list[list[str] | None]:
        if name in raw.columns:
            return raw[name].to_list()
        return [None] * n

    text = pl.String()
    out: dict[str, pl.Series] = {}
    name = col("name")
    out["name"] = map_unique(name, v.district_name, text)
    core = map_unique(name, v.district_core, text)
    out["name_core"] = core
    out["name_key"] = map_unique(core, v.first_token, text)
    out["mdr_number"] = map_unique(col("mdr_number"), v.org_id, text)
    nces = map_unique(col("nces_id"), v.nces_district, text)
    out["nces_id"] = nces
    states = map_unique(col("state"), v.state, text).to_list()
    out["state"] = pl.Series(
        [s or v.nces_state(x) for s, x in zip(states, nces.to_list(), strict=True)], dtype=text
    )
    out["name_in_state"] = pl.Series(
        [f"{st}:{c}" if st and c else None for st, c in zip(out["state"], core, strict=True)],
        dtype=text,
    )
    out["city"] = map_unique(col("city"), v.city, text)
    domains = lists("domains")
    out["domains"] = pl.Series([d or None for d in domains], dtype=pl.List(pl.String))
    out["domain"] = pl.Series([_primary_domain(d) for d in domains], dtype=text)
    names = lists("school_names")
    out["school_names"] = pl.Series([x or None for x in names], dtype=pl.List(pl.String))
    # The first school names one by one: blocking keys for a school that signed up alone.
    for i in range(_SCHOOL_SLOTS):
        out[f"school_name_{i + 1}"] = pl.Series(
            [x[i] if x and len(x) > i else None for x in names], dtype=text
        )
    return pl.DataFrame([s.alias(k) for k, s in out.items()])


def match_districts(
    app_csv: str | Path, clever_path: str | Path, out: Path, opts: Options
) -> MatchResult:
    clock, rules, app = start(app_csv, out, opts, ROLE)
    clever_out, clever_raw = load_clever_districts(clever_path)
    if clever_out.height == 0:
        raise InvalidDataError(
            f"{clever_path}: no Clever districts found (looked for districts.ndjson, .jsonl, "
            ".json there and in its sub-folders); add the districts export and re-run"
        )
    forced = decisions_for(app, clever_out["id"].to_list(), opts)
    clock.lap("load")
    clock.say("normalise")
    app_names = app.values("name")
    app_raw = pl.DataFrame(
        {
            "name": app_names,
            "mdr_number": app.values("mdr_number"),
            "nces_id": app.values("nces_id"),
            "state": app.values("state"),
            "city": app.values("city"),
            "domains": [v.split_domains(x) for x in app.values("domains")],
            "school_names": [[s] if (s := v.school_name(x)) else None for x in app_names],
        },
        schema=clever_raw.schema,
    )
    app_n = normalize_districts(app_raw)
    clever_n = normalize_districts(clever_raw)
    clock.lap("normalise")
    clock.say("score")
    linked = link(app_n, clever_n, rules, opts, forced=forced)
    clock.lap("score")
    clock.say("write")
    rows = write_out(out, ROLE, app, clever_out, linked.resolution, opts)
    clock.lap("write")
    return make_result(
        out, ROLE, rules, opts, app, clever_out.height, linked, rows, clock, forced=len(forced)
    )


def domain_counts(clever_path: str | Path) -> dict[str, list[str]]:
    """District id -> the email domains kept for it (for ``--json`` and debugging)."""
    districts: dict[str, _District] = {}
    for snap in _snapshots(Path(clever_path)):
        _read_snapshot(snap, districts)
    return {k: districts[k].domain_list() for k in sorted(districts)}


__all__ = ["domain_counts", "load_clever_districts", "match_districts", "normalize_districts"]
