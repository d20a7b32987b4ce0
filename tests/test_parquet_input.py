"""Parquet inputs: an app export and a Clever snapshot as Parquet give the CSV/NDJSON output."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest

from matchengine.csvfile import read_table
from matchengine.errors import UsageError
from matchengine.pipeline import ValidationFailed, match

ROOT = Path(__file__).resolve().parents[1]
D = ROOT / "fixtures" / "district"


def _app_parquet(tmp_path: Path) -> Path:
    table = read_table(D / "app.csv")
    frame = pl.DataFrame(dict(zip(table.header, table.columns, strict=True)))
    path = tmp_path / "app.parquet"
    frame.write_parquet(path)
    return path


def test_app_parquet_gives_the_csv_output(tmp_path: Path) -> None:
    match(D / "app.csv", D / "clever", "student", tmp_path / "csv.csv")
    match(_app_parquet(tmp_path), D / "clever", "student", tmp_path / "pq.csv")
    assert (tmp_path / "pq.csv").read_bytes() == (tmp_path / "csv.csv").read_bytes()


def test_clever_parquet_snapshot_gives_the_ndjson_output(tmp_path: Path) -> None:
    snap = tmp_path / "snap"
    snap.mkdir()
    for src in sorted((D / "clever").iterdir()):
        if src.suffix.lower() not in (".ndjson", ".jsonl", ".json"):
            shutil.copy(src, snap / src.name)
            continue
        # Nested objects as structs, every row with every field of the schema (null when
        # absent), as Spark or DuckDB write a snapshot they read from NDJSON.
        duckdb.sql(
            f"COPY (SELECT * FROM read_json('{src}', format='newline_delimited', "
            f"sample_size=-1)) TO '{snap / (src.stem + '.parquet')}' (FORMAT PARQUET)"
        )
    match(D / "app.csv", D / "clever", "student", tmp_path / "ndjson.csv")
    match(D / "app.csv", snap, "student", tmp_path / "parquet.csv")
    assert (tmp_path / "parquet.csv").read_bytes() == (tmp_path / "ndjson.csv").read_bytes()


def test_numbers_in_parquet_become_their_text(tmp_path: Path) -> None:
    path = tmp_path / "app.parquet"
    pl.DataFrame(
        {"id": [7, 8], "first_name": ["Ana", "Bo"], "last_name": ["Diaz", "Li"], "grade": [3, None]}
    ).write_parquet(path)
    out = tmp_path / "out.csv"
    match(path, D / "clever", "student", out)
    rows = read_table(out)
    assert rows.column("app.id")[:2] == ["7", "8"]
    assert rows.column("app.grade")[:2] == ["3", ""]


def test_parquet_problems_name_the_row_and_column(tmp_path: Path) -> None:
    path = tmp_path / "app.parquet"
    pl.DataFrame(
        {"id": ["1", "1"], "first_name": ["Ana", "Bo"], "tags": [["x"], ["y"]]}
    ).write_parquet(path)
    with pytest.raises(ValidationFailed) as err:
        match(path, D / "clever", "student", tmp_path / "out.csv")
    rendered = [p.render() for p in err.value.report.errors()]
    assert any("nested-column" in r and "column 3 (tags)" in r for r in rendered), rendered
    assert any(r.startswith(f"{path}:2:") and "duplicate-id" in r for r in rendered), rendered
    assert not (tmp_path / "out.csv").exists()


def test_not_parquet_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "app.parquet"
    path.write_text("id,first_name\n1,Ana\n", encoding="utf-8")
    with pytest.raises(UsageError, match="not a readable Parquet file"):
        match(path, D / "clever", "student", tmp_path / "out.csv")
