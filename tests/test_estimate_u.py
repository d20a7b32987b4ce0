"""u re-estimation from random pairs: deterministic, data-driven, shrunk toward the rules."""

from __future__ import annotations

import random

import duckdb
import polars as pl

from matchengine.link import estimate_u, wants_u_estimate
from matchengine.normalize import normalize_people
from matchengine.rules import load_rules


def _tables(n: int, seed: int) -> duckdb.DuckDBPyConnection:
    rng = random.Random(seed)
    firsts = ["ann", "bob", "cat", "dan", "eve"]  # five names: random pairs agree 1 in 5
    con = duckdb.connect()
    for name in ("app_t", "clever_t"):
        frame = normalize_people(
            pl.DataFrame(
                {
                    "first_name": [rng.choice(firsts) for _ in range(n)],
                    "last_name": [f"name{rng.randrange(10_000)}" for _ in range(n)],
                    "grade": [str(rng.randrange(1, 13)) for _ in range(n)],
                }
            )
        ).with_row_index("unique_id")
        con.register("tmp", frame.with_columns(pl.col("unique_id").cast(pl.Int64)).to_arrow())
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM tmp")
        con.unregister("tmp")
    return con


def test_u_follows_the_data_and_is_deterministic() -> None:
    rules = load_rules("student")
    a = estimate_u(_tables(1500, 1), "app_t", "clever_t", rules)
    b = estimate_u(_tables(1500, 1), "app_t", "clever_t", rules)
    assert a.changed == b.changed
    exact_first = a.rules.comparison("first_name").levels[0]
    assert exact_first.label == "exact"
    assert 0.15 < exact_first.u < 0.25  # five equally common names: about 1 in 5
    grade_exact = a.rules.comparison("grade").levels[0]
    assert 0.06 < grade_exact.u < 0.11  # twelve grades
    # m is never touched.
    assert exact_first.m == rules.comparison("first_name").levels[0].m


def test_unseen_levels_stay_near_the_rules() -> None:
    rules = load_rules("student")
    est = estimate_u(_tables(300, 2), "app_t", "clever_t", rules)
    # No ids in the data: the sis_id comparison is always null and keeps its prior u.
    before = [lv.u for lv in rules.comparison("sis_id").levels]
    after = [lv.u for lv in est.rules.comparison("sis_id").levels]
    assert after == before


def test_when_estimation_runs() -> None:
    rules = load_rules("student")
    assert not wants_u_estimate(rules, 300, 300)  # a small school keeps the fixed weights
    assert wants_u_estimate(rules, 20_000, 20_000)


def test_em_sees_a_seeded_sample_of_a_large_side() -> None:
    import duckdb

    from matchengine.link import _record_sample

    con = _tables(1500, 3)
    scratch = duckdb.connect()
    _record_sample(con, "app_t", 2000, "s", 1, scratch)  # small enough: all of it
    assert scratch.execute("SELECT count(*) FROM s").fetchall()[0][0] == 1500
    drawn = []
    for _ in range(2):
        _record_sample(con, "app_t", 1000, "s", 1, scratch)
        drawn.append(sorted(r[0] for r in scratch.execute("SELECT unique_id FROM s").fetchall()))
    assert len(drawn[0]) == 1000 and len(set(drawn[0])) == 1000
    assert drawn[0] == drawn[1]  # the same records every run
    assert set(drawn[0]) <= set(range(1500))
