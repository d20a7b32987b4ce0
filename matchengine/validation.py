"""``validate``: RFC 4180 structure plus Matchmaker's input guidelines for one role.

Returns a report (never raises for bad data): the structural problems from ``csvfile``,
the identifier checks, the field mapping used, and role-level problems such as no
matching field at all.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from matchengine.csvfile import CsvReport, CsvTable, validate_csv
from matchengine.fields import FieldMapping, canonical_role, map_headers
from matchengine.problems import Problem
from matchengine.rules import Rules, load_rules

# Roles whose app CSV must have a matching field of its own (people).
_USER_ROLES = ("student", "teacher", "staff")


def _supporting_fields(role: str, rules: Rules | None) -> tuple[str, ...]:
    """The fields that can carry a match beyond names: the rules' ``needs_one_of``.

    The rules are the source of truth (their comparisons are named after the fields), so
    this warning and the matcher never disagree: a run passes the rules it matches with,
    otherwise the bundled rules of ``role`` are read.
    """
    return (rules or load_rules(role)).needs_one_of


_DATE_SHAPES = (
    (re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$"), "YYYY-MM-DD"),
    (re.compile(r"^\d{4}-\d{1,2}-\d{1,2}[T ]"), "ISO timestamp"),
    (re.compile(r"^\d{2}/\d{2}/\d{4}$"), "MM/DD/YYYY"),
    (re.compile(r"^\d{1,2}/\d{1,2}/\d{4}$"), "M/D/YYYY"),
    (re.compile(r"^\d{1,2}/\d{1,2}/\d{2}$"), "M/D/YY"),
)


@dataclass
class ValidationReport:
    path: str
    role: str | None
    csv: CsvReport
    mapping: FieldMapping | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return self.csv.valid and not any(p.severity == "error" for p in self.problems)

    @property
    def table(self) -> CsvTable | None:
        return self.csv.table

    @property
    def all_problems(self) -> list[Problem]:
        return [*self.csv.problems, *self.problems]

    def errors(self) -> list[Problem]:
        return [p for p in self.all_problems if p.severity == "error"]

    def to_dict(self) -> dict[str, Any]:
        out = self.csv.to_dict()
        out["valid"] = self.valid
        out["role"] = self.role
        out["mapping"] = dict(self.mapping.fields) if self.mapping else {}
        out["problems"] = [p.to_dict() for p in self.all_problems]
        counts = dict(out.get("problem_counts", {}))
        for p in self.problems:
            counts[p.code] = counts.get(p.code, 0) + 1
        out["problem_counts"] = counts
        return out


def _date_shapes(values: pl.Series) -> dict[str, int]:
    """First line index seen for each date shape in a column."""
    # Each distinct value once, at its first index (a million birthdates hold a few
    # thousand values).
    first = (
        pl.DataFrame({"v": values})
        .with_row_index("i")
        .group_by("v")
        .agg(pl.col("i").min())
        .sort("i")
    )
    seen: dict[str, int] = {}
    for v, i in first.iter_rows():
        s = v.strip()
        if not s:
            continue
        for pattern, shape in _DATE_SHAPES:
            if pattern.match(s):
                seen.setdefault(shape, i)
                break
    return seen


def validate_app(
    path: str | Path,
    role: str | None = None,
    *,
    id_column: str | None = None,
    overrides: Mapping[str, str] | None = None,
    encoding: str = "utf-8",
    max_problems: int = 100,
    rules: Rules | None = None,
) -> ValidationReport:
    """Validate an app CSV for ``role`` (structure, ids, field mapping).

    ``rules``: the rules the match will use (default: the bundled rules of ``role``).
    """
    role = canonical_role(role) if role else None
    report = validate_csv(path, encoding=encoding, id_column=id_column, max_problems=max_problems)
    result = ValidationReport(str(path), role, report, None)
    if not report.header or role is None:
        return result
    mapping = map_headers(report.header, role, overrides, report.id_column)
    result.mapping = mapping
    supporting = _supporting_fields(role, rules) if role in _USER_ROLES else ()
    if role in _USER_ROLES and not mapping.fields:
        result.problems.append(
            Problem(
                code="no-matching-fields",
                message=(
                    f"no column of {Path(path).name} is a {role} matching field; name the columns "
                    "(e.g. first_name, last_name, dob, sis_id, email) or map them with --map FIELD=HEADER"
                ),
                path=str(path),
                line=1,
                record=None,
                column=None,
                header=None,
            )
        )
    elif supporting and not any(f in mapping.fields for f in supporting):
        result.problems.append(
            Problem(
                code="few-matching-fields",
                message=(
                    f"only name columns were found ({', '.join(mapping.fields)}); names alone never "
                    f"make a match, so add or map one of: {', '.join(supporting)}"
                ),
                path=str(path),
                line=1,
                record=None,
                column=None,
                header=None,
                severity="warning",
            )
        )
    table = report.table
    if table is not None and "dob" in mapping.fields:
        header = mapping.fields["dob"]
        shapes = _date_shapes(table.series(header))
        if len(shapes) > 1:
            described = ", ".join(f"{s} on line {table.lines[i]}" for s, i in shapes.items())
            result.problems.append(
                Problem(
                    code="mixed-date-formats",
                    message=(
                        f"column {header!r} has dates in {len(shapes)} formats ({described}); they are "
                        "all read, month first for slash dates — check that day and month are not swapped"
                    ),
                    path=str(path),
                    line=table.lines[min(shapes.values())],
                    record=None,
                    column=table.header.index(header) + 1,
                    header=header,
                    severity="warning",
                )
            )
    return result
