"""Literal value pairs for each normalisation and comparison building block."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matchengine.nicknames import name_forms
from matchengine.normalize import (
    grade_rank,
    norm_date,
    norm_email,
    norm_email_series,
    norm_grade,
    norm_id,
    norm_name,
    norm_school_name,
    normalize_people,
    swap_day_month,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  O'Brien ", "obrien"),
        ("Smith-Jones", "smith jones"),
        ("José", "jose"),
        ("NÚÑEZ", "nunez"),
        ("Zoë", "zoe"),
        ("Martin Jr.", "martin"),
        ("  ", None),
        ("N/A", None),
        ("Mary  Ann", "mary ann"),
    ],
)
def test_norm_name(raw: str, expected: str | None) -> None:
    assert norm_name(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0012345", "12345"),
        ("12345", "12345"),
        ("12345.0", "12345"),
        ("1.2345E+07", "12345000"),
        ("1.2345e7", "12345000"),
        ("1E+07", "10000000"),
        ("45E1045", "45E1045"),  # an alphanumeric code, not a number
        ("4E10", "4E10"),
        (" ab-12 ", "AB12"),
        ("02M800", "2M800"),
        ("000", "0"),
        ("", None),
    ],
)
def test_norm_id(raw: str, expected: str | None) -> None:
    assert norm_id(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("3/4/2010", "2010-03-04"),
        ("03/04/2010", "2010-03-04"),
        ("2010-03-04", "2010-03-04"),
        ("2010-03-04T00:00:00.000Z", "2010-03-04"),
        ("25/03/2010", "2010-03-25"),  # cannot be month first
        ("2/30/2010", "2010-02-30"),  # not on the calendar, kept in ISO shape
        ("40246", "2010-03-09"),  # Excel serial (40179 is 2010-01-01)
        ("", None),
        ("not a date", None),
    ],
)
def test_norm_date(raw: str, expected: str | None) -> None:
    assert norm_date(raw) == expected


def test_swap_day_month() -> None:
    assert swap_day_month("2010-03-04") == "2010-04-03"
    assert swap_day_month("2010-03-25") is None
    assert swap_day_month("2010-05-05") is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Kindergarten", "K"),
        ("KG", "K"),
        ("0", "K"),
        ("01", "1"),
        ("1st", "1"),
        ("Grade 3", "3"),
        ("12", "12"),
        ("Pre-K", "PK"),
        ("TK", "TK"),
    ],
)
def test_norm_grade(raw: str, expected: str) -> None:
    assert norm_grade(raw) == expected


def test_grade_rank_adjacency() -> None:
    assert grade_rank("K") == 0 and grade_rank("1") == 1 and grade_rank("PK") == -1


def test_email_case_folded() -> None:
    assert norm_email(" RSmith@District.ORG ") == "rsmith@district.org"


@pytest.mark.parametrize(
    ("a", "b"),
    [("Lincoln Elem.", "LINCOLN ELEMENTARY SCHOOL"), ("Washington MS", "Washington Middle School")],
)
def test_school_name_variants(a: str, b: str) -> None:
    assert norm_school_name(a) == norm_school_name(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("bob", "robert"),
        ("lupe", "guadalupe"),
        ("pepe", "jose"),
        ("paco", "francisco"),
        ("chuy", "jesus"),
        ("liz", "elizabeth"),
    ],
)
def test_nickname_groups_overlap(a: str, b: str) -> None:
    assert set(name_forms(a)) & set(name_forms(b))


def test_unrelated_names_do_not_share_forms() -> None:
    assert not set(name_forms("luis")) & set(name_forms("jose"))
    assert name_forms("zzyzx") == ("zzyzx",)


def test_normalize_people_schema_is_stable() -> None:
    a = normalize_people(pl.DataFrame({"first_name": ["Bob"], "sis_id": ["007"]}))
    b = normalize_people(pl.DataFrame({"last_name": ["Lee"], "dob": ["1/2/2010"]}))
    assert a.schema == b.schema
    assert a["sis_id"].to_list() == ["7"]
    assert a["any_ids"].to_list() == [["7"]]
    assert b["dob"].to_list() == ["2010-01-02"]
    assert b["any_ids"].to_list() == [None]


_EMAILISH = st.lists(
    st.sampled_from([*"aZé@._-<> \t\x1c\u00a0\u3000ßİΣσ", "mailto:", "MAILTO:", "N/A", "null"]),
    max_size=8,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), _EMAILISH), max_size=20))
def test_email_column_equals_the_scalar_normaliser(values: list[str | None]) -> None:
    got = norm_email_series(pl.Series("email", values, dtype=pl.String)).to_list()
    assert got == [norm_email(v) for v in values]


def test_any_ids_lists_each_rows_ids_in_column_order() -> None:
    raw = pl.DataFrame(
        {
            "sis_id": ["0012", None, None, "7"],
            "student_number": ["55", "66", None, None],
            "state_id": [None, "0099", None, "8"],
        }
    )
    got = normalize_people(raw)["any_ids"].to_list()
    assert got == [["12", "55"], ["66", "99"], None, ["7", "8"]]


def test_school_keys_are_hashes_that_overlap_when_the_schools_do() -> None:
    raw = pl.DataFrame(
        {"school": ["Lincoln Elem.", "LINCOLN ELEMENTARY SCHOOL", "Washington MS", None]}
    )
    keys = normalize_people(raw)["school_keys"]
    assert keys.dtype == pl.List(pl.Int64)
    lincoln, lincoln_long, washington, none = (set(k or ()) for k in keys.to_list())
    assert lincoln & lincoln_long
    assert not lincoln & washington
    assert keys.to_list()[3] is None and not none


def test_spanish_diminutives_lead_to_their_bases() -> None:
    from matchengine.nicknames import diminutive_bases

    assert "carlos" in name_forms("carlitos")
    assert "juan" in name_forms("juanito") and "juana" in name_forms("juanita")
    assert "ramon" in name_forms("ramoncito")
    assert diminutive_bases("rita") == () and diminutive_bases("tito") == ()
    assert diminutive_bases("jose") == ()
    assert name_forms("benito") == ("benito", "beno", "bene", "ben")  # in no table
