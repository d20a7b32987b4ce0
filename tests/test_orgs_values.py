"""Literal value pairs for the school, district and section normalisers."""

from __future__ import annotations

import pytest

from matchengine.orgs import values as v


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Lincoln Elem.", "Lincoln Elementary School"),
        ("LINCOLN ELEMENTARY SCHOOL", "Lincoln Elementary"),
        ("PS 12", "Public School 12"),
        ("P.S. 012", "PS12"),
        ("Bethune H.S.", "Bethune High School"),
        ("Washington K-8", "Washington K8 School"),
        ("St. Mary's Academy", "Saint Marys Academy"),
    ],
)
def test_school_names_that_are_one(a: str, b: str) -> None:
    assert v.school_name(a) == v.school_name(b)


def test_numbered_schools_share_their_core_and_number() -> None:
    assert v.school_core("PS 12") == v.school_core("#12") == v.school_core("School No. 12") == "12"
    assert v.school_number_in_name("P.S. 012 Lewis and Clark") == "12"


def test_school_kind_comes_from_the_name_else_the_grades() -> None:
    assert v.school_type("Lincoln Middle School") == "middle"
    assert v.school_type("Lincoln Elementary") != v.school_type("Lincoln Middle")
    assert v.school_type("Harbor Academy", "Kindergarten", "5") == "elementary"
    assert v.school_type("Harbor Academy", "9", "12") == "high"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Springfield USD", "Springfield Unified School District"),
        ("Dallas ISD", "Dallas Independent School District"),
        ("Dallas I.S.D.", "Dallas ISD"),
        ("Springfield Public Schools", "Springfield School District"),
        ("City of Salem Schools", "Salem City Schools"),
        ("Lincoln Co. Schools", "Lincoln County School District"),
        ("Horizon Charter Academy", "Horizon Charter School"),
    ],
)
def test_district_cores_that_are_one(a: str, b: str) -> None:
    assert v.district_core(a) == v.district_core(b)


def test_district_cores_that_differ() -> None:
    assert v.district_core("Lincoln County Schools") != v.district_core("Lincoln City Schools")
    assert v.district_core("USD 259") == "259"


def test_ids_phones_zips_and_places() -> None:
    assert v.nces_district("360008000000") == v.nces_district("3600080") == "3600080"
    assert v.nces_school("60000100101") == v.nces_school("060000100101")
    assert v.nces_state("0612345") == "CA"
    assert v.phone("(212) 555-1212 x3") == v.phone("+1 212.555.1212") == "2125551212"
    assert v.zip_code("2134") == v.zip_code("02134-1234") == "02134"
    assert v.state("California") == v.state("ca") == "CA"
    assert v.address("123 Main Street, Suite 4") == v.address("123 MAIN ST") == "123 main st"
    assert v.address_key("123 n main st") == "123 main"


def test_email_domains() -> None:
    assert v.split_domains("lincoln.org; @Students.Lincoln.org, gmail.com") == [
        "lincoln.org",
        "students.lincoln.org",
    ]
    assert v.domain_forms("a.springfield.k12.ma.us") == [
        "a.springfield.k12.ma.us",
        "springfield.k12.ma.us",
    ]
    assert v.domain_forms("gmail.com") == []


@pytest.mark.parametrize("raw", ["Period 3", "P3", "3rd", "03", "3", "Per. 3"])
def test_periods(raw: str) -> None:
    assert v.period(raw) == "3"


def test_courses_terms_subjects() -> None:
    assert v.course_name("ALG II (H)") == v.course_name("Algebra 2 Honors")
    assert v.course_from_section_name("Algebra II - Smith - 3") == "Algebra II"
    assert v.course_from_section_name("Algebra II") is None
    assert v.term("Fall 2025") == v.term("S1") == v.term("Semester 1") == "s1"
    assert v.term("Q3") == "q3"
    assert v.term("2025-2026") == "year"
    assert v.subject("Mathematics") == v.subject("math") == "math"
    assert v.subject("english/language arts") == v.subject("ELA") == "english/language arts"
    assert v.subject("Knitting") == "other"


def test_minhash_keys_are_shared_by_equal_sets_only_by_chance_otherwise() -> None:
    a = v.minhashes(["x", "y", "z"])
    assert a == v.minhashes(["z", "y", "x"])
    assert v.minhashes([]) == [None, None, None]
    assert a != v.minhashes(["p", "q", "r"])


def test_codes_with_an_e_are_not_scientific_notation() -> None:
    assert v.org_id("45E1045") == "45E1045"  # would be a 1,000-digit number
    assert v.org_id("1.2345E+07") == "12345000"  # Excel's damage is still undone
    assert v.org_id("00123") == "123"
