"""Shared helpers for the org-role tests (schools, sections, districts, users)."""

from __future__ import annotations

from pathlib import Path

from matchengine import matchmaker as mm
from matchengine.csvfile import read_table
from matchengine.pipeline import match

ROOT = Path(__file__).parents[1]
FIXTURES = ROOT / "fixtures"
GOLDEN = Path(__file__).parent / "golden"


def section_options(folder: Path) -> dict[str, Path]:
    return {
        "enrollments": folder / "enrollments.csv",
        "students_out": folder / "students.csv",
        "teachers_out": folder / "teachers.csv",
    }


def run_fixture(name: str, role: str, out: Path, **kwargs: object) -> Path:
    folder = FIXTURES / name
    if role == "section":
        kwargs = {**section_options(folder), **kwargs}
    match(folder / "app.csv", folder / "clever", role, out, **kwargs)  # type: ignore[arg-type]
    return out


def rows_by_app_id(path: Path, id_header: str = "id") -> dict[str, dict[str, str]]:
    table = read_table(path)
    rows = [dict(zip(table.header, r, strict=True)) for r in table.rows()]
    return {r[f"app.{id_header}"]: r for r in rows if r[f"app.{id_header}"]}


def assert_every_record_once(
    path: Path, n_app: int, clever_ids: set[str], id_header: str = "id"
) -> None:
    table = read_table(path)
    app_ids = [v for v in table.column(f"app.{id_header}") if v]
    assert len(app_ids) == len(set(app_ids)) == n_app
    seen = [v for v in table.column("clever.id") if v]
    assert len(seen) == len(set(seen))
    assert set(seen) == clever_ids
    assert set(table.column(mm.RESULT_COLUMN)) <= set(mm.STATUSES)
