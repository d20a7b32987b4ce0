"""Which pairs the student rules' blocking puts in front of the comparisons.

One app record and a few Clever records, normalised as in a run, scored with every
weight kept: a pair is in the result exactly when some blocking rule holds.
"""

from __future__ import annotations

import polars as pl
import pytest

from matchengine.engine import open_engine
from matchengine.link import register_table, score_pairs
from matchengine.normalize import normalize_people
from matchengine.rules import load_rules

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
