"""``--out-format parquet``: the same rows as the CSV, in a folder that appears atomically."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from matchengine.cli import app
from matchengine.csvfile import read_table
from matchengine.errors import UsageError
from matchengine.pipeline import match

ROOT = Path(__file__).resolve().parents[1]
D = ROOT / "fixtures" / "district"


def _parquet_rows(folder: Path) -> tuple[list[str], list[tuple[str, ...]]]:
    files = sorted(folder.glob("part-*.parquet"))
    assert [f.name for f in files] == ["part-00000.parquet"]
    frame = pl.read_parquet(files[0])
    assert all(dtype == pl.String for dtype in frame.dtypes)
    rows = [tuple("" if v is None else v for v in row) for row in frame.iter_rows()]
    return frame.columns, rows


def test_parquet_holds_the_csv_rows(tmp_path: Path) -> None:
    match(D / "app.csv", D / "clever", "student", tmp_path / "out.csv")
    match(D / "app.csv", D / "clever", "student", tmp_path / "out", out_format="parquet")
    csv = read_table(tmp_path / "out.csv")
    header, rows = _parquet_rows(tmp_path / "out")
    assert header == csv.header
    assert rows == list(zip(*csv.columns, strict=True))
    assert (
        not pl.read_parquet(tmp_path / "out" / "part-00000.parquet")
        .select(pl.any_horizontal(pl.all() == "").any())
        .item()
    )  # blanks are nulls


def test_parquet_folder_is_replaced_whole_and_leaves_no_temporary(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "stale.parquet").write_bytes(b"old")
    match(D / "app.csv", D / "clever", "student", out, out_format="parquet")
    assert sorted(p.name for p in out.iterdir()) == ["part-00000.parquet"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_unknown_out_format_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="--out-format"):
        match(D / "app.csv", D / "clever", "student", tmp_path / "o", out_format="xlsx")
    assert list(tmp_path.iterdir()) == []


def test_cli_out_format_parquet(tmp_path: Path) -> None:
    res = CliRunner().invoke(
        app,
        [
            "match",
            str(D / "app.csv"),
            "--clever",
            str(D / "clever"),
            "--role",
            "student",
            "--out",
            str(tmp_path / "res"),
            "--out-format",
            "parquet",
        ],
    )
    assert res.exit_code == 0, res.output
    _, rows = _parquet_rows(tmp_path / "res")
    assert len(rows) == 16


def test_org_roles_write_parquet_too(tmp_path: Path) -> None:
    s = ROOT / "fixtures" / "schools"
    match(s / "app.csv", s / "clever", "school", tmp_path / "out.csv")
    match(s / "app.csv", s / "clever", "school", tmp_path / "out", out_format="parquet")
    csv = read_table(tmp_path / "out.csv")
    _, rows = _parquet_rows(tmp_path / "out")
    assert rows == list(zip(*csv.columns, strict=True))
