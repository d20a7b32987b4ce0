"""Generated schools, sections, districts and multi-role users: truth, determinism, accuracy.

The default suite runs small data sets; the issue's accuracy gates on larger ones are
marked ``slow`` (``pytest -m slow``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from orgs_helpers import section_options
from typer.testing import CliRunner

from matchengine import matchmaker as mm
from matchengine.cli import app
from matchengine.csvfile import read_table
from matchengine.evaluate import evaluate
from matchengine.pipeline import match
from matchengine.synth import generate

ROLES = ("school", "section", "district", "user")


def run(role: str, records: int, seed: int, d: Path, *, with_ids: bool = True) -> float:
    generate(role, records, seed, d, with_ids=with_ids)
    extra: dict[str, Path] = section_options(d) if role == "section" else {}
    match(d / "app.csv", d / "clever", role, d / "out.csv", **extra)  # type: ignore[arg-type]
    report = evaluate(d / "out.csv", d / "expected.csv")
    assert not report.problems, report.problems
    return report.f1


@pytest.mark.parametrize("role", ROLES)
def test_generate_is_deterministic_and_its_truth_is_well_formed(role: str, tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    generate(role, 60, 5, a)
    generate(role, 60, 5, b)
    for name in ("app.csv", "expected.csv"):
        assert (a / name).read_bytes() == (b / name).read_bytes()
    expected = read_table(a / "expected.csv")
    statuses = expected.column(mm.RESULT_COLUMN)
    assert set(statuses) <= set(mm.STATUSES)
    assert statuses.count(mm.MATCH) > 30
    clever = [c for c in expected.column("clever.id") if c]
    assert len(clever) == len(set(clever))  # each Clever record once
    if role == "section":
        for name in ("enrollments.csv", "students.csv", "teachers.csv"):
            assert (a / name).is_file()


@pytest.mark.parametrize(
    ("role", "floor"), [("school", 0.97), ("section", 0.93), ("district", 0.97), ("user", 0.97)]
)
def test_small_generated_data_sets_match_well(role: str, floor: float, tmp_path: Path) -> None:
    assert run(role, 200, 2, tmp_path) >= floor


def test_cli_generate_and_match_sections(tmp_path: Path) -> None:
    runner = CliRunner()
    d = tmp_path / "d"
    r = runner.invoke(
        app, ["generate", "--role", "section", "--records", "40", "--seed", "1", "--out", str(d)]
    )
    assert r.exit_code == 0, r.output
    r = runner.invoke(
        app,
        [
            "match", str(d / "app.csv"), "--clever", str(d / "clever"), "--role", "section",
            "--out", str(d / "out.csv"), "--enrollments", str(d / "enrollments.csv"),
            "--students", str(d / "students.csv"), "--teachers", str(d / "teachers.csv"), "--json",
        ],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["role"] == "section"


def test_cli_consolidate(tmp_path: Path) -> None:
    root = Path(__file__).parents[1] / "fixtures" / "users"
    r = CliRunner().invoke(
        app,
        [
            "match", str(root / "app.csv"), "--clever", str(root / "clever"), "--role", "teacher",
            "--consolidate", "--out", str(tmp_path / "out.csv"), "--json",
        ],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["role"] == "user"


def test_cli_refuses_section_options_for_other_roles(tmp_path: Path) -> None:
    root = Path(__file__).parents[1] / "fixtures" / "schools"
    r = CliRunner().invoke(
        app,
        [
            "match", str(root / "app.csv"), "--clever", str(root / "clever"), "--role", "school",
            "--out", str(tmp_path / "out.csv"), "--enrollments", str(root / "app.csv"),
        ],
    )  # fmt: skip
    assert r.exit_code == 2


# --------------------------------------------------------------------------- slow gates


@pytest.mark.slow
def test_schools_f1_on_a_generated_district(tmp_path: Path) -> None:
    """Issue gate: schools F1 >= 0.99."""
    assert run("school", 2000, 1, tmp_path) >= 0.99


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_schools_f1_when_half_lack_nces_and_mdr(tmp_path: Path, seed: int) -> None:
    """Issue gate, with no district ids and half the schools without NCES/MDR ids, on every
    seed (measured 0.988 on seed 1, 0.999 and 0.998 on seeds 2 and 3: seed 1 does not
    reach the goal yet, which issue 4's note reports)."""
    assert run("school", 2000, seed, tmp_path, with_ids=False) >= 0.99


@pytest.mark.slow
def test_sections_f1_with_earlier_outputs(tmp_path: Path) -> None:
    assert run("section", 2000, 1, tmp_path) >= 0.97


@pytest.mark.slow
def test_districts_f1(tmp_path: Path) -> None:
    assert run("district", 2000, 1, tmp_path) >= 0.99


@pytest.mark.slow
def test_users_f1(tmp_path: Path) -> None:
    assert run("user", 5000, 1, tmp_path) >= 0.99
