"""``--backend spark``: the same rules, the same statuses, the same bytes as DuckDB.

The end-to-end tests need pyspark (``pip install 'matchengine[spark]'``) and Java; `.ci/run`
installs both, and here they skip with the reason when either is missing.  The SQL
translation tests need neither.
"""

from __future__ import annotations

import builtins
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from orgs_helpers import section_options

from matchengine.engine import BackendOptions
from matchengine.errors import UsageError
from matchengine.link import in_dialect, level_sql
from matchengine.pipeline import match
from matchengine.rules import Level, load_rules
from matchengine.synth import generate

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"


def _spark_missing() -> str | None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (pip install 'matchengine[spark]'; .ci/run installs it)"
    if shutil.which("java") is None:
        return "Java is not installed (apt-get install default-jre-headless; .ci/run installs it)"
    return None


needs_spark = pytest.mark.skipif(_spark_missing() is not None, reason=str(_spark_missing()))
SPARK = BackendOptions("spark")


# --- SQL translation (no Spark needed) -------------------------------------------------


@pytest.mark.parametrize(
    ("duckdb_sql", "spark_sql"),
    [
        ("list_has_any(l.a, r.a)", "ARRAYS_OVERLAP(l.a, r.a)"),
        ("jaro_winkler_similarity(l.a, r.a) >= 0.88", "ME_JARO_WINKLER(l.a, r.a) >= 0.88"),
        ("damerau_levenshtein(l.a, r.a) <= 1", "DAMERAU_LEVENSHTEIN(l.a, r.a) <= 1"),
        (
            "array_length(list_intersect(l.s, r.s)) > 0",
            "SIZE(ARRAY_INTERSECT(l.s, r.s)) > 0",
        ),
        ("list_has_all(l.t, r.t)", "(SIZE(ARRAY_EXCEPT(r.t, l.t)) = 0)"),
        ("starts_with(l.d, r.d)", "STARTSWITH(l.d, r.d)"),
        ("ELSE", "ELSE"),
    ],
)
def test_rules_sql_reads_the_same_in_spark(duckdb_sql: str, spark_sql: str) -> None:
    assert in_dialect(duckdb_sql, "spark") == spark_sql
    assert in_dialect(duckdb_sql, "duckdb") == duckdb_sql


def test_every_bundled_rule_translates() -> None:
    """No rules file holds SQL the translation leaves in DuckDB's spelling."""
    duck_only = ("list_", "jaro_winkler_similarity", "&&", "len(")
    for role in ("student", "teacher", "staff", "school", "section", "district", "user"):
        for comp in load_rules(role).comparisons:
            for lv in comp.levels:
                spark_sql = in_dialect(level_sql(lv, comp.column), "spark").lower()
                assert not any(f in spark_sql for f in duck_only), (role, comp.name, spark_sql)


def test_jaro_winkler_level_keeps_a_margin_below_its_threshold() -> None:
    lv = Level(label="jw", kind="jaro_winkler", m=0.1, u=0.01, threshold=0.9)
    assert level_sql(lv, "first_name").endswith(">= 0.8999999990")


def test_missing_pyspark_names_the_extra(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    real_import = builtins.__import__

    def no_pyspark(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "pyspark" or name.startswith("pyspark."):
            raise ImportError("No module named 'pyspark'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pyspark)
    for mod in [m for m in sys.modules if m == "pyspark" or m.startswith("pyspark.")]:
        monkeypatch.delitem(sys.modules, mod)
    d = FIXTURES / "district"
    with pytest.raises(UsageError, match=r"pip install 'matchengine\[spark\]'"):
        match(d / "app.csv", d / "clever", "student", tmp_path / "out.csv", backend=SPARK)
    assert not (tmp_path / "out.csv").exists()


def test_unknown_backend_is_a_usage_error(tmp_path: Path) -> None:
    d = FIXTURES / "district"
    with pytest.raises(UsageError, match="--backend"):
        match(
            d / "app.csv",
            d / "clever",
            "student",
            tmp_path / "o.csv",
            backend=BackendOptions("dask"),
        )


# --- end to end on Spark ----------------------------------------------------------------


def _both(tmp_path: Path, app: Path, clever: Path, role: str, **kwargs: Any) -> tuple[bytes, bytes]:
    duck, spark = tmp_path / "duckdb.csv", tmp_path / "spark.csv"
    match(app, clever, role, duck, **kwargs)
    match(app, clever, role, spark, backend=SPARK, **kwargs)
    return duck.read_bytes(), spark.read_bytes()


@pytest.mark.spark
@needs_spark
def test_fixture_district_same_bytes_on_spark(tmp_path: Path) -> None:
    d = FIXTURES / "district"
    duck, spark = _both(tmp_path, d / "app.csv", d / "clever", "student")
    assert spark == duck


@pytest.mark.spark
@needs_spark
@pytest.mark.parametrize("role", ["school", "section"])
def test_org_fixture_same_bytes_on_spark(tmp_path: Path, role: str) -> None:
    d = FIXTURES / f"{role}s"
    kwargs: dict[str, Any] = section_options(d) if role == "section" else {}
    duck, spark = _both(tmp_path, d / "app.csv", d / "clever", role, **kwargs)
    assert spark == duck


@pytest.mark.spark
@needs_spark
def test_generated_20k_district_same_output_row_for_row_on_spark(tmp_path: Path) -> None:
    """The issue's gate: u and m are estimated (20k is above both minimums), every
    comparison level and blocking rule runs on Spark, and every row comes out the same."""
    d = tmp_path / "district"
    generate("student", 20000, 3, d, with_ids=True)
    duck, spark = _both(tmp_path, d / "app.csv", d / "clever", "student")
    duck_rows, spark_rows = duck.split(b"\r\n"), spark.split(b"\r\n")
    assert len(spark_rows) == len(duck_rows) > 20000
    differing = [i for i, (a, b) in enumerate(zip(duck_rows, spark_rows, strict=True)) if a != b]
    assert differing == [], f"{len(differing)} rows differ, first at line {differing[0] + 1}"


def test_cli_refuses_an_unknown_backend_with_exit_2(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from matchengine.cli import app

    d = FIXTURES / "district"
    args = ["match", str(d / "app.csv"), "--clever", str(d / "clever"), "--role", "student"]
    res = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "o.csv"), "--backend", "dask"])
    assert res.exit_code == 2
    assert "--backend must be one of: duckdb, spark" in res.output
    assert not (tmp_path / "o.csv").exists()
