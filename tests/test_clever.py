"""The Clever snapshot reader: input forms, merging, verbatim values and error messages."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from matchengine.clever import (
    DISTRICT_FIELDS,
    SECTION_HELPERS,
    USER_HELPERS,
    load_districts,
    load_role,
    load_schools,
    load_sections,
)
from matchengine.errors import InvalidDataError, UsageError
from matchengine.matchmaker import CLEVER_FIELDS

DATA = Path(__file__).parent / "data" / "clever"
LIST_COLUMNS = {"_school_keys", "_teachers", "_students"}

LINCOLN_KEYS = ["sch1", "Lincoln Elementary", "001", "02M800", "712345", "360008000000"]
WASHINGTON_KEYS = ["sch2", "Washington Middle", "002"]


def rows(frame: pl.DataFrame) -> dict[str, dict[str, object]]:
    return {row["id"]: row for row in frame.to_dicts()}


def assert_types(frame: pl.DataFrame) -> None:
    for name, dtype in frame.schema.items():
        expected = pl.List(pl.String) if name in LIST_COLUMNS else pl.String
        assert dtype == expected, name
        if dtype == pl.String:
            assert frame.get_column(name).null_count() == 0, name


# --------------------------------------------------------------------------- NDJSON


def test_ndjson_students_columns_order_and_types() -> None:
    frame = load_role(DATA / "ndjson", "student")
    assert frame.columns == [*CLEVER_FIELDS["student"], *USER_HELPERS]
    assert_types(frame)
    # sorted by id; the contact-only user and the user whose student role is null are absent
    assert frame.get_column("id").to_list() == ["s0", "s1", "s2"]


def test_ndjson_student_values_verbatim_with_school_resolved() -> None:
    s2 = rows(load_role(DATA / "ndjson", "student"))["s2"]
    assert s2 == {
        "id": "s2",
        "district": "d1",
        "first_name": "Ana",
        "middle_name": "Maria",
        "last_name": "Garcia",
        "email": "ana.g@example.org",
        "sis_id": "00123",
        "student_number": "0042",
        "state_id": "NY0001",
        "dob": "1/2/2010",
        "grade": "5",
        "school": "sch1",
        "school_name": "Lincoln Elementary",
        "username": "agarcia",
        "_preferred_first_name": "Annie",
        # primary school first, then the schools array; sch1 twice and "002" twice kept once
        "_school_keys": [*LINCOLN_KEYS, *WASHINGTON_KEYS],
        "_legacy_id": "leg-s2",
        "_address": "",
        "_city": "",
        "_zip": "",
    }


def test_ndjson_null_missing_fields_numbers_and_unknown_keys() -> None:
    students = rows(load_role(DATA / "ndjson", "student"))
    s1 = students["s1"]
    assert s1["district"] == ""  # null
    assert s1["email"] == ""  # missing
    assert s1["middle_name"] == ""  # missing inside name
    assert s1["dob"] == ""  # null
    assert s1["grade"] == "5"  # JSON number, no ".0"
    assert s1["student_number"] == "42"
    assert s1["username"] == ""  # credentials null
    assert s1["school"] == "sch-missing"
    assert s1["school_name"] == ""  # not in schools.ndjson
    assert s1["_school_keys"] == ["sch-missing"]
    # a user holding an empty student role: a row of empty strings
    s0 = students["s0"]
    assert all(s0[name] == "" for name in CLEVER_FIELDS["student"] if name != "id")
    assert s0["_school_keys"] == []


def test_ndjson_teachers() -> None:
    frame = load_role(DATA / "ndjson", "teacher")
    assert frame.columns == [*CLEVER_FIELDS["teacher"], *USER_HELPERS]
    assert_types(frame)
    teachers = rows(frame)
    assert list(teachers) == ["t1", "t2"]
    t1 = teachers["t1"]
    assert (t1["sis_id"], t1["teacher_number"], t1["state_id"], t1["title"]) == (
        "T-01",
        "0007",
        "",
        "Ms.",
    )
    assert (t1["school"], t1["school_name"], t1["username"]) == (
        "sch2",
        "Washington Middle",
        "tturner",
    )
    assert t1["_preferred_first_name"] == "Tee"  # user-level preferred_name
    assert t1["_school_keys"] == [*WASHINGTON_KEYS, *LINCOLN_KEYS]
    # name null, email null, school null, schools null
    t2 = teachers["t2"]
    assert (t2["first_name"], t2["last_name"], t2["email"], t2["school"]) == ("", "", "", "")
    assert t2["_school_keys"] == []


def test_ndjson_staff_includes_district_admins() -> None:
    frame = load_role(DATA / "ndjson", "staff")
    assert frame.columns == [*CLEVER_FIELDS["staff"], *USER_HELPERS]
    assert_types(frame)
    staff = rows(frame)
    assert list(staff) == ["a1", "st1"]
    assert staff["a1"]["title"] == "Superintendent"
    assert staff["a1"]["roles"] == "district_admin"
    assert staff["a1"]["_legacy_id"] == "leg-a1"
    st1 = staff["st1"]
    assert (st1["staff_id"], st1["title"], st1["department"]) == ("E-9", "", "Facilities")
    assert st1["schools"] == "sch2;sch1"  # Clever's order
    assert (st1["username"], st1["roles"]) == ("stan", "staff")
    assert st1["_school_keys"] == [*WASHINGTON_KEYS, *LINCOLN_KEYS]


def test_admin_is_staff_and_non_user_roles_are_refused() -> None:
    assert load_role(DATA / "ndjson", "admin").equals(load_role(DATA / "ndjson", "staff"))
    with pytest.raises(UsageError):
        load_role(DATA / "ndjson", "school")
    with pytest.raises(UsageError):
        load_role(DATA / "ndjson", "parent")


def test_loading_is_deterministic() -> None:
    assert load_role(DATA / "split", "staff").equals(load_role(DATA / "split", "staff"))


# --------------------------------------------------------------------------- schools etc.


def test_schools_wrapped_and_bare_with_location() -> None:
    frame = load_schools(DATA / "ndjson")
    assert frame.columns == list(CLEVER_FIELDS["school"])
    assert_types(frame)
    schools = rows(frame)
    assert list(schools) == ["sch1", "sch2"]
    sch1 = schools["sch1"]
    assert (sch1["school_number"], sch1["nces_id"], sch1["mdr_number"]) == (
        "02M800",
        "360008000000",
        "",
    )
    assert (sch1["address"], sch1["city"], sch1["state"], sch1["zip"]) == (
        "1 Main St",
        "Springfield",
        "NY",
        "01234",
    )
    assert sch1["phone"] == "(212) 555-1212"
    assert schools["sch2"]["address"] == ""  # location null


def test_sections() -> None:
    frame = load_sections(DATA / "ndjson")
    assert frame.columns == [*CLEVER_FIELDS["section"], *SECTION_HELPERS]
    assert_types(frame)
    sections = rows(frame)
    assert list(sections) == ["sec0", "sec1"]
    sec1 = sections["sec1"]
    assert (sec1["teacher"], sec1["period"], sec1["term_id"]) == ("t1", "1", "term1")
    assert sec1["_teachers"] == ["t1", "t9"]  # the primary teacher is added when missing
    assert sec1["_students"] == ["s1", "s2"]
    assert (sections["sec0"]["teacher"], sections["sec0"]["_students"]) == ("", [])


def test_districts() -> None:
    frame = load_districts(DATA / "ndjson")
    assert frame.columns == list(DISTRICT_FIELDS)
    assert frame.to_dicts() == [
        {"id": "d1", "name": "Springfield USD", "mdr_number": "123", "nces_id": "3600001",
         "state": "running"}
    ]  # fmt: skip


def test_absent_schools_sections_districts_give_empty_frames() -> None:
    for loader, columns in (
        (load_schools, list(CLEVER_FIELDS["school"])),
        (load_sections, [*CLEVER_FIELDS["section"], *SECTION_HELPERS]),
        (load_districts, list(DISTRICT_FIELDS)),
    ):
        frame = loader(DATA / "array")
        assert frame.height == 0
        assert frame.columns == columns
        assert_types(frame)


# --------------------------------------------------------------------------- other forms


def test_json_array_with_bare_and_wrapped_items() -> None:
    students = rows(load_role(DATA / "array", "student"))
    assert list(students) == ["s1", "s2"]
    assert students["s2"]["dob"] == "01/02/2010"
    assert students["s2"]["sis_id"] == "00123"
    assert students["s2"]["school_name"] == ""  # no schools file
    assert students["s2"]["_school_keys"] == ["sch1"]
    assert students["s1"]["first_name"] == "Bo"  # the wrapped item, "uri" ignored


def test_one_api_page_with_wrapped_items_and_links() -> None:
    assert load_role(DATA / "page", "student").get_column("id").to_list() == ["s1"]
    teachers = rows(load_role(DATA / "page", "teacher"))
    assert list(teachers) == ["t1"]
    assert (teachers["t1"]["email"], teachers["t1"]["sis_id"]) == ("tina@example.org", "T-01")


def test_array_of_pages_merges_a_repeated_user() -> None:
    students = rows(load_role(DATA / "pages", "student"))
    assert list(students) == ["s1", "s2", "s3"]
    s1 = students["s1"]
    # the newer object (page 2) wins the keys it carries; its missing "name" comes from page 1
    assert (s1["email"], s1["grade"]) == ("bo.new@example.org", "5")
    assert (s1["first_name"], s1["last_name"]) == ("Bo", "Li")


def test_single_file_path_is_the_users_file() -> None:
    frame = load_role(DATA / "ndjson" / "users.ndjson", "student")
    assert frame.get_column("id").to_list() == ["s0", "s1", "s2"]
    # only that file is read: no schools.* beside it
    assert rows(frame)["s2"]["school_name"] == ""
    assert load_schools(DATA / "ndjson" / "users.ndjson").height == 0
    # a file named for another kind is read as that kind
    assert load_schools(DATA / "ndjson" / "schools.ndjson").height == 2
    with pytest.raises(InvalidDataError, match="schools file, not a users file"):
        load_role(DATA / "ndjson" / "schools.ndjson", "student")


# --------------------------------------------------------------------------- split files


def test_split_files_students_and_district_admins() -> None:
    assert load_role(DATA / "split", "student").get_column("id").to_list() == ["s1"]
    staff = rows(load_role(DATA / "split", "staff"))
    assert list(staff) == ["a1", "m1", "x1"]  # a1 from district_admins.json
    assert staff["a1"]["title"] == "Superintendent"


def test_multi_role_user_in_teachers_and_staff_is_one_record() -> None:
    teachers = rows(load_role(DATA / "split", "teacher"))
    assert list(teachers) == ["m1", "t1", "x1"]
    m1 = teachers["m1"]
    # teachers.ndjson holds the newer object (2024-06 vs 2023-06 in staff.ndjson, read later)
    assert (m1["email"], m1["sis_id"], m1["title"]) == ("mo.new@example.org", "T-M1", "Coach")
    assert m1["school_name"] == "Lincoln Elementary"  # the newer duplicate in schools.json

    staff = rows(load_role(DATA / "split", "staff"))
    s = staff["m1"]
    assert s["email"] == "mo.new@example.org"
    assert (s["staff_id"], s["department"], s["schools"], s["username"]) == (
        "E-1",
        "Athletics",
        "sch1",
        "mmulti",
    )
    assert s["title"] == "Director"  # staff title null -> district_admin title
    assert s["roles"] == "district_admin;staff;teacher"


def test_same_last_modified_later_file_wins() -> None:
    # x1 has the same last_modified (in two spellings) in teachers.ndjson and staff.ndjson
    x1 = rows(load_role(DATA / "split", "teacher"))["x1"]
    assert (x1["first_name"], x1["sis_id"]) == ("New", "X-NEW")
    assert rows(load_role(DATA / "split", "staff"))["x1"]["roles"] == "staff;teacher"


def test_duplicate_school_keeps_newest() -> None:
    schools = load_schools(DATA / "split")
    assert schools.select("id", "name").rows() == [("sch1", "Lincoln Elementary")]


# --------------------------------------------------------------------------- errors


def test_malformed_ndjson_line_names_file_line_and_column() -> None:
    with pytest.raises(InvalidDataError) as info:
        load_role(DATA / "bad_ndjson", "student")
    message = str(info.value)
    assert "users.ndjson line 3, column 36" in message
    assert "Expecting ',' delimiter" in message
    assert "fix or remove that line" in message
    assert info.value.exit_code == 1


def test_unclosed_object_is_reported_on_its_own_line() -> None:
    # line 3 lacks its closing brace; the parser only notices on line 4
    with pytest.raises(InvalidDataError, match=r"users\.ndjson line 3, column 61"):
        load_role(DATA / "bad_ndjson_brace", "student")


def test_malformed_json_array_names_the_line() -> None:
    with pytest.raises(InvalidDataError, match=r"users\.json line 4, column 3: malformed JSON"):
        load_role(DATA / "bad_array", "student")


def test_invalid_utf8_names_the_line() -> None:
    with pytest.raises(InvalidDataError, match=r"users\.ndjson line 2, column 35: invalid UTF-8"):
        load_role(DATA / "bad_utf8", "student")


def test_object_without_id() -> None:
    with pytest.raises(InvalidDataError, match=r'users\.ndjson line 2: the object has no "id"'):
        load_role(DATA / "no_id", "student")


def test_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    for loader in (load_schools, load_sections, load_districts):
        with pytest.raises(UsageError, match="no such file or directory"):
            loader(tmp_path / "nope")
    with pytest.raises(UsageError) as info:
        load_role(tmp_path / "nope", "student")
    assert info.value.exit_code == 2


def test_directory_without_users_file() -> None:
    with pytest.raises(InvalidDataError) as info:
        load_role(DATA / "no_users", "teacher")
    message = str(info.value)
    assert "no_users" in message
    assert "users.ndjson" in message and "teachers.ndjson" in message
    # the other loaders still work there
    assert load_schools(DATA / "no_users").height == 2


def test_student_location_is_read(tmp_path: Path) -> None:
    user = {
        "id": "u1",
        "name": {"first": "Ann", "last": "Lee"},
        "roles": {
            "student": {
                "sis_id": "1",
                "location": {"address": "12 Oak St", "city": "Salem", "zip": "02134"},
            }
        },
    }
    (tmp_path / "users.ndjson").write_text(json.dumps(user) + "\n", encoding="utf-8")
    row = load_role(tmp_path, "student").row(0, named=True)
    assert (row["_address"], row["_city"], row["_zip"]) == ("12 Oak St", "Salem", "02134")


@pytest.mark.parametrize(
    "snapshot",
    [DATA / "ndjson", Path(__file__).parents[1] / "fixtures" / "district" / "clever"],
)
@pytest.mark.parametrize("role", ["student", "teacher", "staff"])
def test_fast_reader_equals_the_careful_reader(
    snapshot: Path, role: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One NDJSON users file goes through DuckDB; the result must be the Python reader's."""
    from polars.testing import assert_frame_equal

    import matchengine.clever as clever_module
    from matchengine import clever_fast

    snap = clever_module._Snapshot(snapshot)
    files = snap.files(clever_module.USER_KINDS)
    assert clever_fast.load_role_fast(files, ("student",), "student", {}, USER_HELPERS) is not None
    fast = load_role(snapshot, role)
    monkeypatch.setattr(clever_module, "load_role_fast", lambda *a, **k: None)
    careful = load_role(snapshot, role)
    assert_frame_equal(fast, careful)
