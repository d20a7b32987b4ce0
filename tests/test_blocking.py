"""Which pairs the rules' blocking puts in front of the comparisons.

One app record and a few Clever records, normalised as in a run, scored with every
weight kept: a pair is in the result exactly when some blocking rule holds.  And on
generated districts, the engine's own blocking gives exactly Splink's pairs.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from matchengine.clever import load_role
from matchengine.csvfile import read_csv
from matchengine.engine import open_engine
from matchengine.fields import find_id_column, map_headers
from matchengine.link import (
    _blocked_pairs,
    _splink_inputs,
    register_table,
    score_pairs,
    splink_settings,
)
from matchengine.normalize import normalize_people
from matchengine.rules import load_rules
from matchengine.synth import generate

RULES = load_rules("student")


def candidates(app: dict[str, str], clever: list[dict[str, str]]) -> set[int]:
    """Row numbers of the Clever records paired with the one app record."""
    columns = sorted({k for rec in [app, *clever] for k in rec})
    frames = [
        normalize_people(
            pl.DataFrame(
                {c: [rec.get(c) for rec in recs] for c in columns},
                schema=dict.fromkeys(columns, pl.String),
            )
        )
        for recs in ([app], clever)
    ]
    with open_engine(1, None) as engine:
        register_table(engine.con, "me_app", frames[0])
        register_table(engine.con, "me_clever", frames[1])
        pairs = score_pairs(engine, "me_app", "me_clever", RULES, min_weight=-1e9)
        rows = engine.con.sql(
            f"SELECT id_r FROM {pairs.table} WHERE side_l = 'app' AND side_r = 'clever'"
        ).fetchall()
    return {r[0] for r in rows}


NAME = {"first_name": "Maria", "last_name": "Garcia"}


@pytest.mark.parametrize(
    ("app_dob", "clever_dob", "paired"),
    [
        ("2012-03-04", "2012-03-04", True),
        ("2012-03-04", "2012-11-27", True),  # the year is shared
        ("2012-03-04", "2013-03-04", True),  # month and day are shared (a year typo)
        ("", "2012-03-04", True),  # no birthdate: paired with every namesake
        ("2012-03-04", "", True),
        ("2012-03-04", "2014-07-19", False),  # a namesake born on another day of another year
    ],
)
def test_a_shared_full_name_needs_a_part_of_the_birthdate(
    app_dob: str, clever_dob: str, paired: bool
) -> None:
    got = candidates({**NAME, "dob": app_dob}, [{**NAME, "dob": clever_dob}])
    assert got == ({0} if paired else set())


def test_a_namesake_in_the_same_grade_is_paired() -> None:
    app = {**NAME, "dob": "2012-03-04", "grade": "4"}
    clever = [{**NAME, "dob": "2014-07-19", "grade": "4"}, {**NAME, "dob": "2014-07-19"}]
    assert candidates(app, clever) == {0}


def test_ids_pair_records_whatever_the_names() -> None:
    app = {"first_name": "Ann", "last_name": "Lee", "sis_id": "00123"}
    clever = [{"first_name": "Zoe", "last_name": "Kim", "sis_id": "123"}]
    assert candidates(app, clever) == {0}


def test_a_namesake_at_the_same_zip_code_is_paired() -> None:
    # A birthdate keyed wrong altogether: the home zip code still pairs the two.
    app = {**NAME, "dob": "2012-03-04", "zip": "30601"}
    clever = [{**NAME, "dob": "2014-07-19", "zip": "30601"}, {**NAME, "dob": "2014-07-19"}]
    assert candidates(app, clever) == {0}


def normalised_sides(district: Path, role: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A generated district's two sides, read and normalised as a run reads them."""
    table, problems, _ = read_csv(district / "app.csv")
    assert table is not None, problems
    mapping = map_headers(table.header, role, id_column=find_id_column(table.header)).fields
    app = pl.DataFrame(
        {f: table.column(h) for f, h in mapping.items()}, schema=dict.fromkeys(mapping, pl.String)
    )
    clever = load_role(district / "clever", role)
    if "_preferred_first_name" in clever.columns:
        clever = clever.rename({"_preferred_first_name": "preferred_first_name"})
    return normalize_people(app), normalize_people(clever)


@pytest.mark.parametrize(
    ("role", "with_ids"), [("student", True), ("student", False), ("teacher", True)]
)
def test_the_engines_blocking_finds_exactly_the_pairs_splink_would(
    tmp_path: Path, role: str, with_ids: bool
) -> None:
    """matchengine finds the candidate pairs itself (faster); Splink must score the very
    pairs, in the very orientation and under the very rule, its own blocking would give."""
    from splink import Linker

    generate(role, 1500, 11, tmp_path, with_ids=with_ids, noise=2.0)
    rules = load_rules(role)
    app, clever = normalised_sides(tmp_path, role)
    with open_engine(1, None) as engine:
        register_table(engine.con, "me_app", app)
        register_table(engine.con, "me_clever", clever)
        _db, a, b = _splink_inputs(engine, "me_app", "me_clever")
        linker = Linker([a, b], splink_settings(rules, 0.5), log_level=None)
        splinks = linker.inference.compute_blocked_pairs_for_predict_chunk()
        want = set(
            engine.con.sql(
                f"SELECT match_key, join_key_l, join_key_r FROM {splinks.physical_name}"
            ).fetchall()
        )
        _blocked_pairs(engine.con, a.physical_name, b.physical_name, rules, "mine")
        got = engine.con.sql("SELECT match_key, join_key_l, join_key_r FROM mine").fetchall()
    assert len(got) == len(set(got))  # each pair once
    assert set(got) == want
    # The district exercises what could go wrong: pairs within each side (ids sort as
    # text there: "10" before "9") and pairs from several rules.
    sides = {(left.split("-__-")[0], right.split("-__-")[0]) for _, left, right in got}
    assert sides == {("app", "app"), ("app", "clever"), ("clever", "clever")}
    assert len({key for key, _, _ in got}) >= 5
