"""The private DuckDB engine: progress of a running query."""

from __future__ import annotations

import duckdb

from matchengine.engine import watch_progress


def test_watch_progress_reports_fractions_of_the_running_query() -> None:
    con = duckdb.connect()
    seen: list[float] = []
    with watch_progress(con, seen.append, every=0.01):
        # A query long enough (about a second) for DuckDB to measure its progress.
        con.execute(
            "SELECT count(*) FILTER (WHERE damerau_levenshtein(a, b) <= 1) FROM "
            "(SELECT CAST(range AS VARCHAR) AS a, CAST(range * 7 AS VARCHAR) AS b "
            "FROM range(1500000))"
        ).fetchall()
    assert seen, "no progress was reported"
    assert all(0.0 <= f <= 1.0 for f in seen)
    # Nothing is printed, and the progress bar is off again afterwards.
    assert con.execute("SELECT current_setting('enable_progress_bar')").fetchall()[0][0] is False


def test_watch_progress_without_a_listener_changes_nothing() -> None:
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    with watch_progress(con, None):
        con.execute("SELECT 1").fetchall()
    assert con.execute("SELECT current_setting('enable_progress_bar')").fetchall()[0][0] is False
