"""Reviewed decisions: a person's word on which Clever record an app record is, or none.

A decisions file is one of two CSV forms:

- a Matchmaker-format output (this tool's or Clever's), possibly edited: every app row
  whose ``matchmaker_results`` is ``match`` pairs its app id with its ``clever.id``; every
  ``from app, no match`` row forbids any match for its app id.  ``from app, duplicate``
  rows and Clever-only rows (no app id) decide nothing;
- two columns ``app_id,clever_id``, where ``clever_id`` is a Clever id or the words
  ``no match``.

``load_decisions`` checks the file on its own (form, statuses, one decision per app id,
no Clever id claimed twice); ``Decisions.bind`` checks the ids against a run's records.
Every problem is an ``InvalidDataError`` naming the file and line(s).  Resolution applies
the bound decisions before anything else, and they always win (``resolve.resolve``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from matchengine import matchmaker as mm
from matchengine.csvfile import CsvTable, read_table
from matchengine.errors import InvalidDataError
from matchengine.fields import header_key

NO_MATCH_WORDS = "no match"
_NO_MATCH_RE = re.compile(r"^\s*no[\s_-]*match\s*$", re.IGNORECASE)
_STATUS_BY_FOLDED = {" ".join(s.casefold().split()): s for s in mm.STATUSES}


@dataclass(frozen=True)
class Decision:
    """One reviewed decision: ``clever_id`` is ``None`` for "no match"."""

    app_id: str
    clever_id: str | None
    line: int  # physical line in the decisions file


@dataclass
class Decisions:
    """The decisions of one file, at most one per app id, no Clever id claimed twice."""

    path: str
    items: list[Decision] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.items)

    def bind(self, app_ids: Sequence[str], clever_ids: Sequence[str]) -> dict[int, int | None]:
        """App row -> Clever row (``None`` = no match), checking every id exists in the run."""
        app_row = {v: i for i, v in enumerate(app_ids)}
        clever_row = {v: i for i, v in enumerate(clever_ids)}
        forced: dict[int, int | None] = {}
        for d in self.items:
            a = app_row.get(d.app_id)
            if a is None:
                raise InvalidDataError(
                    f"{self.path}:{d.line}: app id {d.app_id!r} is not in the app CSV; "
                    "fix the id or delete the line"
                )
            if d.clever_id is None:
                forced[a] = None
                continue
            c = clever_row.get(d.clever_id)
            if c is None:
                raise InvalidDataError(
                    f"{self.path}:{d.line}: Clever id {d.clever_id!r} (for app id "
                    f"{d.app_id!r}) is not a record of this role in the Clever snapshot; "
                    "fix the id or delete the line"
                )
            forced[a] = c
        return forced


def _is_output_form(header: Sequence[str]) -> bool:
    return mm.RESULT_COLUMN in header


def _column(table: CsvTable, names: Sequence[str]) -> int | None:
    """Index of the first header equal to one of ``names`` (exactly, then folded)."""
    for n in names:
        if n in table.header:
            return table.header.index(n)
    keys = [header_key(h) for h in table.header]
    for n in names:
        if header_key(n) in keys:
            return keys.index(header_key(n))
    return None


def _rows_output_form(
    table: CsvTable, path: str, id_column: str
) -> list[tuple[int, str, str | None]]:
    want = f"app.{id_column}"
    if want not in table.header:
        app_cols = [h for h in table.header if h.startswith("app.")]
        raise InvalidDataError(
            f"{path}:1: the file has no column {want!r} (the app CSV's id column); its app "
            f"columns are: {', '.join(app_cols) or 'none'}"
        )
    for needed in ("clever.id", mm.RESULT_COLUMN):
        if needed not in table.header:
            raise InvalidDataError(
                f"{path}:1: the file has {mm.RESULT_COLUMN} but no {needed!r} column; "
                "a Matchmaker-format decisions file needs both"
            )
    ids = table.column(want)
    clever = table.column("clever.id")
    status_col = table.header.index(mm.RESULT_COLUMN) + 1
    statuses = table.column(mm.RESULT_COLUMN)
    out: list[tuple[int, str, str | None]] = []
    for i, line in enumerate(table.lines):
        app_id, cid, raw = ids[i], clever[i].strip(), statuses[i]
        if not app_id.strip():
            continue  # a Clever-only row: decides nothing
        status = _STATUS_BY_FOLDED.get(" ".join(raw.casefold().split()))
        where = f"{path}:{line}: column {status_col} ({mm.RESULT_COLUMN})"
        if status == mm.MATCH:
            if not cid:
                raise InvalidDataError(
                    f"{where}: app id {app_id!r} says match but clever.id is empty; "
                    "write the Clever id or change the status to 'from app, no match'"
                )
            out.append((line, app_id, cid))
        elif status == mm.APP_NO_MATCH:
            if cid:
                raise InvalidDataError(
                    f"{where}: app id {app_id!r} says 'from app, no match' but clever.id is "
                    f"{cid!r}; change the status to match or clear clever.id"
                )
            out.append((line, app_id, None))
        elif status == mm.APP_DUPLICATE:
            if cid:
                raise InvalidDataError(
                    f"{where}: app id {app_id!r} says 'from app, duplicate' but clever.id is "
                    f"{cid!r}; change the status to match or clear clever.id"
                )
        else:
            raise InvalidDataError(
                f"{where}: {raw!r} is not a status for an app row; use match, "
                f"'{mm.APP_NO_MATCH}' or '{mm.APP_DUPLICATE}'"
            )
    return out


def _rows_two_column_form(table: CsvTable, path: str) -> list[tuple[int, str, str | None]]:
    a = _column(table, ("app_id",))
    c = _column(table, ("clever_id",))
    if a is None or c is None:
        raise InvalidDataError(
            f"{path}:1: a decisions file is either a Matchmaker-format CSV (with "
            f"{mm.RESULT_COLUMN}) or has the columns app_id,clever_id; line 1 has: "
            f"{', '.join(table.header)}"
        )
    out: list[tuple[int, str, str | None]] = []
    for i, line in enumerate(table.lines):
        app_id, cid = table.columns[a][i], table.columns[c][i].strip()
        if not app_id.strip():
            raise InvalidDataError(
                f"{path}:{line}: column {a + 1} ({table.header[a]}): the app id is empty"
            )
        if not cid:
            raise InvalidDataError(
                f"{path}:{line}: column {c + 1} ({table.header[c]}): the Clever id for app id "
                f"{app_id!r} is empty; write a Clever id or the words '{NO_MATCH_WORDS}'"
            )
        out.append((line, app_id, None if _NO_MATCH_RE.match(cid) else cid))
    return out


def load_decisions(path: str | Path, *, id_column: str = "id") -> Decisions:
    """Read and check a decisions file (either form); ``id_column`` is the app CSV's.

    Raises ``InvalidDataError`` naming the file and line(s) for a malformed file, an app id
    decided twice in two different ways, or one Clever id given to two app ids.
    """
    shown = str(path)
    table = read_table(path)
    if _is_output_form(table.header):
        rows = _rows_output_form(table, shown, id_column)
    else:
        rows = _rows_two_column_form(table, shown)
    by_app: dict[str, Decision] = {}
    by_clever: dict[str, Decision] = {}
    items: list[Decision] = []
    for line, app_id, cid in rows:
        d = Decision(app_id, cid, line)
        seen = by_app.get(app_id)
        if seen is not None:
            if seen.clever_id == cid:
                continue  # the same decision twice: harmless
            raise InvalidDataError(
                f"{shown}: lines {seen.line} and {line} decide app id {app_id!r} two ways "
                f"({_shown(seen.clever_id)} and {_shown(cid)}); keep one of them"
            )
        if cid is not None:
            other = by_clever.get(cid)
            if other is not None:
                raise InvalidDataError(
                    f"{shown}: lines {other.line} and {line} both match Clever id {cid!r} "
                    f"(app ids {other.app_id!r} and {app_id!r}); a Clever record can be "
                    "matched to one app record only"
                )
            by_clever[cid] = d
        by_app[app_id] = d
        items.append(d)
    return Decisions(shown, items)


def _shown(clever_id: str | None) -> str:
    return NO_MATCH_WORDS if clever_id is None else repr(clever_id)


__all__ = ["NO_MATCH_WORDS", "Decision", "Decisions", "load_decisions"]
