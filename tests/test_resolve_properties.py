"""Hypothesis properties of resolution: one status per record, nobody matched twice."""

from __future__ import annotations

import duckdb
import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matchengine import matchmaker as mm
from matchengine.link import APP, CLEVER, ScoredPairs, level_weights
from matchengine.resolve import resolve
from matchengine.rules import load_rules

RULES = load_rules("student")
WEIGHTS = level_weights(RULES)
NAMES = [c.name for c in RULES.comparisons]


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[int, int, list[tuple[str, int, str, int, list[int]]]]:
    n_app = draw(st.integers(1, 8))
    n_clever = draw(st.integers(1, 8))
    pair = st.one_of(
        st.tuples(
            st.just(APP), st.integers(0, n_app - 1), st.just(CLEVER), st.integers(0, n_clever - 1)
        ),
        st.tuples(st.just(APP), st.integers(0, n_app - 1), st.just(APP), st.integers(0, n_app - 1)),
        st.tuples(
            st.just(CLEVER),
            st.integers(0, n_clever - 1),
            st.just(CLEVER),
            st.integers(0, n_clever - 1),
        ),
    )
    # A few gamma patterns, reused, so that ties happen often.
    patterns = draw(
        st.lists(
            st.lists(st.integers(-1, 7), min_size=len(NAMES), max_size=len(NAMES)),
            min_size=1,
            max_size=3,
        )
    )
    if draw(st.booleans()):  # perfect agreement on every field, so strong-id duplicates occur
        patterns.append([len(WEIGHTS[n]) - 1 for n in NAMES])
    rows = []
    seen = set()
    for sl, il, sr, ir in draw(st.lists(pair, max_size=25)):
        key = (sl, il, sr, ir)
        if (sl == sr and il == ir) or key in seen:
            continue
        seen.add(key)
        g = draw(st.sampled_from(patterns))
        gam = [min(x, len(WEIGHTS[n]) - 1) for x, n in zip(g, NAMES, strict=True)]
        rows.append((sl, il, sr, ir, gam))
    return n_app, n_clever, rows


def _pairs(rows: list[tuple[str, int, str, int, list[int]]]) -> ScoredPairs:
    con = duckdb.connect()
    data: dict[str, list[object]] = {
        "side_l": [],
        "id_l": [],
        "side_r": [],
        "id_r": [],
        "weight": [],
    }
    for n in NAMES:
        data[f"gamma_{n}"] = []
    for sl, il, sr, ir, gam in rows:
        data["side_l"].append(sl)
        data["id_l"].append(il)
        data["side_r"].append(sr)
        data["id_r"].append(ir)
        data["weight"].append(sum(WEIGHTS[n][g] for n, g in zip(NAMES, gam, strict=True) if g >= 0))
        for n, g in zip(NAMES, gam, strict=True):
            data[f"gamma_{n}"].append(g)
    schema = {
        "side_l": pl.String,
        "id_l": pl.Int64,
        "side_r": pl.String,
        "id_r": pl.Int64,
        "weight": pl.Float64,
    }
    schema.update({f"gamma_{n}": pl.Int8 for n in NAMES})
    frame = pl.DataFrame(data, schema=schema)
    con.register("pairs_arrow", frame.to_arrow())
    con.execute("CREATE TABLE pairs AS SELECT * FROM pairs_arrow")
    return ScoredPairs(con, "pairs", frame.height)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(), st.lists(st.integers(0, 3), max_size=8))
def test_resolution_invariants(scenario: tuple[int, int, list], strong: list[int]) -> None:
    n_app, n_clever, rows = scenario
    app_strong = {"sis_id": [str(s) if s else None for s in (strong + [0] * n_app)[:n_app]]}
    pairs = _pairs(rows)
    res = resolve(pairs, RULES, n_app, n_clever, app_strong, {})
    # Detached from the database, with strong ids as polars series: the same resolution.
    as_series = {"sis_id": pl.Series("sis_id", app_strong["sis_id"], dtype=pl.String)}
    assert resolve(pairs.detached(), RULES, n_app, n_clever, as_series, {}) == res

    assert len(res.app) == n_app and len(res.clever) == n_clever
    assert all(o.status in mm.APP_STATUSES for o in res.app)
    assert all(o.status in mm.CLEVER_STATUSES for o in res.clever)
    matched_clever = [o.partner for o in res.app if o.status == mm.MATCH]
    assert len(matched_clever) == len(set(matched_clever))  # no Clever id matched twice
    for i, o in enumerate(res.app):
        if o.status == mm.MATCH:
            assert o.partner is not None
            assert res.clever[o.partner].status == mm.MATCH and res.clever[o.partner].partner == i
        if o.status == mm.APP_DUPLICATE:
            assert o.duplicate_of and all(
                res.app[d].status == mm.APP_DUPLICATE for d in o.duplicate_of
            )
    for c, o in enumerate(res.clever):
        if o.status == mm.MATCH:
            assert o.partner is not None and res.app[o.partner].partner == c
        if o.status == mm.CLEVER_DUPLICATE:
            assert o.duplicate_of and all(
                res.clever[d].status == mm.CLEVER_DUPLICATE for d in o.duplicate_of
            )
    # Records sharing a strong id, scored as agreeing on every field, are duplicates.
    values = app_strong["sis_id"]
    top = [len(WEIGHTS[n]) - 1 for n in NAMES]
    for sl, il, sr, ir, gam in rows:
        if sl == sr == APP and values[il] is not None and values[il] == values[ir] and gam == top:
            assert res.app[il].status == res.app[ir].status == mm.APP_DUPLICATE
    counts = res.counts()
    assert counts[mm.MATCH] + counts[mm.APP_NO_MATCH] + counts[mm.APP_DUPLICATE] == n_app
