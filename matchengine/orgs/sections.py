"""``--role section``: the app's sections against the snapshot's ``sections.*``.

Candidates are narrowed by matched school and matched teacher first: the app's school
value is looked up among the snapshot's schools (id, SIS id, school number, state id, NCES
id or name), and the app's teacher id is translated to a Clever id with an earlier teacher
output (``--teachers``).  Then section SIS id, section number, period, course name and
number, term, subject and grade are compared.  With ``--enrollments`` (app section id, app
student id) and an earlier student output (``--students``), the share of an app section's
students who are in a Clever section (Clever's ``students`` arrays) is the strongest
evidence, reported as ``enrollment_overlap=0.83 (10/12)``.  Clever builds section names
itself (``course - teacher - period``), so name equality is weak evidence.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import polars as pl

from matchengine import clever as clever_io
from matchengine.csvfile import read_table
from matchengine.errors import InvalidDataError, UsageError
from matchengine.fields import header_key
from matchengine.link import APP, CLEVER
from matchengine.normalize import map_unique, norm_email, norm_grade, text_column
from matchengine.orgs import values as v
from matchengine.orgs.common import (
    Clock,
    EarlierOutput,
    Options,
    check_options,
    decisions_for,
    link,
    read_app,
    read_output,
)
from matchengine.orgs.common import result as make_result
from matchengine.orgs.common import write as write_out
from matchengine.pipeline import MatchResult
from matchengine.resolve import Resolution
from matchengine.rules import load_rules

log = logging.getLogger(__name__)

ROLE = "section"
ENROLLMENT = "enrollment"  # the comparison whose evidence is rewritten with the numbers
_SECTION_HEADERS = ("section_id", "app_section_id", "section", "class_id", "class")
_STUDENT_HEADERS = ("student_id", "app_student_id", "student", "user_id", "student_user_id")


# --------------------------------------------------------------------------- lookups


def school_lookup(schools: pl.DataFrame) -> dict[str, str]:
    """Every way an app may name a Clever school -> its Clever id (unambiguous keys only)."""
    found: dict[str, set[str]] = defaultdict(set)
    for row in schools.iter_rows(named=True):
        sid = row["id"]
        keys = [
            sid,
            *(v.org_id(row.get(f)) for f in ("sis_id", "school_number", "state_id")),
            v.nces_school(row.get("nces_id")),
            v.school_name(row.get("name")),
        ]
        for k in keys:
            if k:
                found[k].add(sid)
        core = v.school_core(row.get("name"))
        if core:
            found["core:" + core].add(sid)
    return {k: next(iter(ids)) for k, ids in found.items() if len(ids) == 1}


def find_school(value: str | None, lookup: Mapping[str, str]) -> str | None:
    if value is None or not value.strip():
        return None
    for key in (value.strip(), v.org_id(value), v.school_name(value)):
        if key and key in lookup:
            return lookup[key]
    core = v.school_core(value)
    return lookup.get("core:" + core) if core else None


def teacher_lookup(teachers: pl.DataFrame) -> dict[str, str]:
    """Clever teacher id, email, SIS id or teacher number -> Clever id (unambiguous only)."""
    found: dict[str, set[str]] = defaultdict(set)
    for row in teachers.iter_rows(named=True):
        tid = row["id"]
        for k in (
            tid,
            norm_email(row.get("email")),
            v.org_id(row.get("sis_id")),
            v.org_id(row.get("teacher_number")),
        ):
            if k:
                found[k].add(tid)
    return {k: next(iter(ids)) for k, ids in found.items() if len(ids) == 1}


def _column_index(header: Sequence[str], names: Sequence[str], fallback: int) -> int:
    keys = [header_key(h) for h in header]
    for n in names:
        if header_key(n) in keys:
            return keys.index(header_key(n))
    return fallback


def read_enrollments(path: str | Path) -> list[tuple[str, str]]:
    """(app section id, app student id) rows of an enrollments CSV.

    The columns are found by header (``section_id``/``section``/``class_id`` and
    ``student_id``/``student``/``user_id``), else the first two columns are used.
    """
    p = Path(path)
    if not p.is_file():
        raise UsageError(
            f"--enrollments {p}: no such file; pass a CSV of app section id, app student id"
        )
    table = read_table(p)
    if len(table.header) < 2:
        raise InvalidDataError(
            f"{p}:1: an enrollments file needs two columns (app section id, app student id); "
            f"line 1 has: {', '.join(table.header)}"
        )
    s = _column_index(table.header, _SECTION_HEADERS, 0)
    t = _column_index(table.header, _STUDENT_HEADERS, 1 if s != 1 else 0)
    if s == t:
        t = 1 if s == 0 else 0
    return [
        (a.strip(), b.strip())
        for a, b in zip(table.columns[s], table.columns[t], strict=True)
        if a.strip() and b.strip()
    ]


def _load_named(clever_path: str | Path, kind: str) -> dict[str, dict[str, Any]]:
    """``courses.*`` or ``terms.*`` objects of a snapshot folder, by id (empty if none)."""
    folder = Path(clever_path)
    if not folder.is_dir():
        return {}
    files = sorted(
        (p for p in folder.iterdir() if p.is_file() and clever_io._kind_of(p.name)[0] == kind),
        key=lambda p: (clever_io._kind_of(p.name)[1], p.name),
    )
    return clever_io._load_objects(files) if files else {}


# --------------------------------------------------------------------------- normalising


def _list_series(name: str, values: Sequence[Sequence[str] | None]) -> pl.Series:
    return pl.Series(name, [list(x) if x else None for x in values], dtype=pl.List(pl.String))


def normalize_sections(
    raw: pl.DataFrame,
    school_ids: Sequence[str | None],
    teacher_ids: Sequence[Sequence[str] | None],
    students: Sequence[Sequence[str] | None],
) -> pl.DataFrame:
    """Comparison columns for sections.

    ``raw`` has String columns named by field (``sis_id, section_number, period,
    course_name, course_number, term, subject, grade, name``; any may be missing);
    ``school_ids`` the Clever school of each row, ``teacher_ids`` its Clever teachers
    (primary first) and ``students`` its Clever student ids.
    """
    col = partial(text_column, raw)

    text = pl.String()
    out: dict[str, pl.Series] = {}
    out["school_id"] = pl.Series(list(school_ids), dtype=text)
    out["teacher_id"] = pl.Series([t[0] if t else None for t in teacher_ids], dtype=text)
    out["teacher_ids"] = _list_series("teacher_ids", teacher_ids)
    out["sis_id"] = map_unique(col("sis_id"), v.org_id, text)
    out["section_number"] = map_unique(col("section_number"), v.org_id, text)
    out["period"] = map_unique(col("period"), v.period, text)
    names = col("name")
    course = col("course_name").to_list()
    from_name = [v.course_from_section_name(x) for x in names.to_list()]
    out["course_name"] = pl.Series(
        [v.course_name(a) or v.course_name(b) for a, b in zip(course, from_name, strict=True)],
        dtype=text,
    )
    out["course_number"] = map_unique(col("course_number"), v.org_id, text)
    out["term"] = map_unique(col("term"), v.term, text)
    out["subject"] = map_unique(col("subject"), v.subject, text)
    out["grade"] = map_unique(col("grade"), norm_grade, text)
    out["name"] = map_unique(names, v.course_name, text)
    sets = [sorted(set(s)) if s else None for s in students]
    out["students"] = _list_series("students", sets)
    out["students_n"] = pl.Series([len(s) if s else None for s in sets], dtype=pl.Int32())
    hashes = [v.minhashes(s) for s in sets]
    for i in range(3):
        out[f"students_mh{i + 1}"] = pl.Series([h[i] for h in hashes], dtype=text)
    return pl.DataFrame([s.alias(k) for k, s in out.items()])


# --------------------------------------------------------------------------- evidence

_ENROLLMENT_RE = re.compile(rf"\b{ENROLLMENT}=[^;]*")


def overlap_text(
    app_students: Sequence[str] | None, clever_students: Sequence[str] | None
) -> str | None:
    """``enrollment_overlap=0.83 (10/12)``: shared students / the smaller section."""
    if not app_students or not clever_students:
        return None
    a, c = set(app_students), set(clever_students)
    shared = len(a & c)
    size = min(len(a), len(c))
    return f"enrollment_overlap={shared / size:.2f} ({shared}/{size})"


def _rewrite(evidence: str, text: str | None) -> str:
    if text is None:
        return evidence
    if _ENROLLMENT_RE.search(evidence):
        return _ENROLLMENT_RE.sub(text, evidence, count=1)
    return "; ".join(x for x in (evidence, text) if x)


def add_overlap_evidence(
    resolution: Resolution,
    app_students: Sequence[Sequence[str] | None],
    clever_students: Sequence[Sequence[str] | None],
) -> None:
    """Put the enrollment numbers of each row's pair (match or candidate) in its evidence."""
    for side, outcomes in ((APP, resolution.app), (CLEVER, resolution.clever)):
        evidence = []
        for own, o in enumerate(outcomes):
            other = o.partner if o.partner is not None else o.candidate
            text = None
            if other is not None:
                a, c = (own, other) if side == APP else (other, own)
                text = overlap_text(app_students[a], clever_students[c])
            evidence.append(_rewrite(o.evidence, text))
        resolution.set_evidence(side, evidence)


# --------------------------------------------------------------------------- the run


def _translate(
    values: Sequence[str | None],
    earlier: EarlierOutput | None,
    lookup: Mapping[str, str],
) -> list[str | None]:
    """App teacher values -> Clever teacher ids: by the earlier output when given, else by
    Clever id, email, SIS id or teacher number."""
    out: list[str | None] = []
    for x in values:
        if x is None or not x.strip():
            out.append(None)
        elif earlier is not None:
            out.append(earlier.matched.get(x.strip()))
        else:
            key = x.strip()
            out.append(
                lookup.get(key)
                or lookup.get(norm_email(key) or "")
                or lookup.get(v.org_id(key) or "")
            )
    return out


def match_sections(
    app_csv: str | Path,
    clever_path: str | Path,
    out: Path,
    opts: Options,
    *,
    enrollments: str | Path | None = None,
    students_out: str | Path | None = None,
    teachers_out: str | Path | None = None,
) -> MatchResult:
    check_options(opts, out)
    clock = Clock(opts.progress)
    rules = load_rules(ROLE, opts.rules_path)
    clock.say("validate")
    app = read_app(app_csv, ROLE, opts)
    enrolled = read_enrollments(enrollments) if enrollments is not None else None
    students_map = read_output(students_out, "--students") if students_out is not None else None
    teachers_map = read_output(teachers_out, "--teachers") if teachers_out is not None else None
    clock.lap("validate")

    clock.say("load")
    sections = clever_io.load_sections(clever_path)
    if sections.height == 0:
        raise InvalidDataError(
            f"{clever_path}: no Clever sections found (looked for sections.ndjson, .jsonl, "
            ".json); put the district's sections export there and re-run"
        )
    schools = clever_io.load_schools(clever_path)
    courses = _load_named(clever_path, "courses")
    terms = _load_named(clever_path, "terms")
    warnings: list[str] = []
    teachers_lookup: dict[str, str] = {}
    if teachers_map is None and "teacher" in app.mapping:
        try:
            teachers_lookup = teacher_lookup(clever_io.load_role(clever_path, "teacher"))
        except InvalidDataError:
            warnings.append(
                "no Clever users file: app teachers cannot be found; pass --teachers with an "
                "earlier teacher output"
            )
    forced = decisions_for(app, sections["id"].to_list(), opts)
    clock.lap("load")

    clock.say("normalise")
    # Clever side.
    c_students: list[list[str]] = sections["_students"].to_list()
    c_teachers: list[list[str]] = sections["_teachers"].to_list()
    course_ids = sections["course"].to_list()
    term_ids = sections["term_id"].to_list()
    columns: dict[str, object] = {
        "sis_id": sections["sis_id"],
        "section_number": sections["section_number"],
        "period": sections["period"],
        "course_name": [clever_io._s(courses.get(c, {}).get("name")) or None for c in course_ids],
        "course_number": [
            clever_io._s(courses.get(c, {}).get("number")) or None for c in course_ids
        ],
        "term": [clever_io._s(terms.get(t, {}).get("name")) or t or None for t in term_ids],
        "subject": sections["subject"],
        "grade": sections["grade"],
        "name": sections["name"],
    }
    clever_raw = pl.DataFrame(columns, schema={f: pl.String for f in columns})
    clever_n = normalize_sections(
        clever_raw,
        [s or None for s in sections["school"].to_list()],
        c_teachers,
        c_students,
    )

    # App side.
    lookup = school_lookup(schools)
    app_schools = [find_school(x, lookup) for x in app.values("school")]
    app_teachers = _translate(app.values("teacher"), teachers_map, teachers_lookup)
    known_students = {s for ids in c_students for s in ids}
    by_section: dict[str, list[str]] = defaultdict(list)
    unknown_sections = 0
    app_id_set = set(app.ids)
    if enrolled is not None:
        for section_id, student_id in enrolled:
            if section_id not in app_id_set:
                unknown_sections += 1
                continue
            if students_map is not None:
                cid = students_map.matched.get(student_id)
            else:
                cid = student_id if student_id in known_students else None
            if cid is not None and cid not in by_section[section_id]:
                by_section[section_id].append(cid)
        if unknown_sections:
            warnings.append(
                f"{enrollments}: {unknown_sections} enrollment row(s) name a section id that is "
                "not in the app CSV; they were ignored"
            )
    a_students: list[list[str] | None] = [by_section.get(i) for i in app.ids]
    app_raw = pl.DataFrame(
        {f: app.values(f) for f in app.mapping if f not in ("school", "teacher")}
        or {"name": [None] * app.n},
    ).cast(pl.String)
    app_n = normalize_sections(
        app_raw, app_schools, [[t] if t else None for t in app_teachers], a_students
    )
    clock.lap("normalise")

    clock.say("score")
    linked = link(app_n, clever_n, rules, opts, forced=forced)
    add_overlap_evidence(linked.resolution, a_students, c_students)
    clock.lap("score")
    clock.say("write")
    rows = write_out(out, ROLE, app, sections, linked.resolution, opts)
    clock.lap("write")
    return make_result(
        out,
        ROLE,
        rules,
        opts,
        app,
        sections.height,
        linked,
        rows,
        clock,
        warnings=warnings,
        forced=len(forced),
    )
