"""Accuracy gates on generated districts (the README's table comes from benchmarks/)."""

from __future__ import annotations

from pathlib import Path

import pytest

from matchengine import matchmaker as mm
from matchengine.csvfile import read_table
from matchengine.evaluate import evaluate
from matchengine.pipeline import match
from matchengine.synth import generate


def _run(tmp_path: Path, role: str, records: int, seed: int, ids: bool) -> tuple[dict, Path]:
    d = tmp_path / f"{role}-{records}-{ids}"
    generate(role, records, seed, d, with_ids=ids)
    result = match(d / "app.csv", d / "clever", role, d / "out.csv")
    table = read_table(d / "out.csv")
    clever_ids = [v for v in table.column("clever.id") if v]
    assert len(clever_ids) == len(set(clever_ids)) == result.clever_records
    assert table.n_records == result.app_records + sum(
        1 for s in table.column(mm.RESULT_COLUMN) if s.startswith("from Clever")
    )
    return evaluate(d / "out.csv", d / "expected.csv").to_dict(), d


@pytest.mark.parametrize(
    ("role", "ids", "floor"),
    [
        ("student", True, 0.98),
        ("student", False, 0.96),
        ("teacher", True, 0.98),
        ("staff", True, 0.98),
    ],
)
def test_small_generated_district(tmp_path: Path, role: str, ids: bool, floor: float) -> None:
    report, _ = _run(tmp_path, role, 2000, 11, ids)
    assert report["pairs"]["f1"] >= floor, report["pairs"]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("role", "ids", "floor"),
    [
        ("student", True, 0.99),
        ("student", False, 0.97),
        ("teacher", True, 0.99),
        ("staff", True, 0.99),
    ],
)
def test_issue_goal_20k_district(tmp_path: Path, role: str, ids: bool, floor: float) -> None:
    report, _ = _run(tmp_path, role, 20000, 5, ids)
    assert report["pairs"]["f1"] >= floor, report["pairs"]
