"""Literal value pairs for each comparison level: which level does a pair land on?

The levels' SQL (as compiled from rules/student.toml) runs on DuckDB over one app record
and one Clever record, normalised exactly as in a run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import jellyfish
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matchengine import matchmaker as mm
from matchengine.csvfile import read_table, write_table
from matchengine.link import _transposed, _within_edits, level_sql
from matchengine.normalize import normalize_people
from matchengine.pipeline import match
from matchengine.resolve import _shared_match_edges
from matchengine.rules import Level, load_rules

RULES = load_rules("student")


def level_of(
    comparison: str, app: dict[str, str], clever: dict[str, str], rules: Any = RULES
) -> str:
    comp = rules.comparison(comparison)
    con = duckdb.connect()
    for name, rec in (("l", app), ("r", clever)):
        frame = normalize_people(pl.DataFrame({k: [v] for k, v in rec.items()}))
        con.register(f"{name}_arrow", frame.to_arrow())
        con.execute(f"CREATE TABLE {name}_t AS SELECT * FROM {name}_arrow")
    whens = " ".join(
        f"WHEN {level_sql(lv, comp.column)} THEN '{lv.label}'"
        for lv in comp.levels
        if lv.kind != "else"
    )
    sql = (
        f"SELECT CASE WHEN l.{comp.column} IS NULL OR r.{comp.column} IS NULL THEN 'null' "
        f"{whens} ELSE 'else' END FROM l_t AS l, r_t AS r"
    )
    return str(con.execute(sql).fetchall()[0][0])


@pytest.mark.parametrize(
    ("app", "clever", "label"),
    [
        ("Bob", "Robert", "nickname"),
        ("Lupe", "Guadalupe", "nickname"),
        ("Pepe", "José", "nickname"),
        ("Paco", "Francisco", "nickname"),
        ("Chuy", "Jesús", "nickname"),
        ("Maddy", "Madison", "nickname"),
        # Spanish diminutives, by rule: -ito/-ita/-itos, and -cito/-cita after n, r or e.
        ("Carlitos", "Carlos", "nickname"),
        ("Anita", "Ana", "nickname"),
        ("Pepito", "Pepe", "nickname"),
        ("Pablito", "Pablo", "nickname"),
        ("Carmencita", "Carmen", "nickname"),
        ("Rita", "Ramona", "else"),  # too short a stem to be a diminutive
        ("JOSE", "José", "exact"),
        ("Mary Ann", "Mary", "preferred_or_part"),
        ("Jon", "John", "nickname"),
        ("Xavior", "Xavier", "jw0.92"),
        ("Xavierr", "Xavier", "truncated"),  # one name runs on past the other
        ("J", "John", "initial"),
        ("William", "Robert", "else"),
        ("Jcak", "Jack", "transposed"),
        ("Emliy", "Emily", "transposed"),
        ("Xime", "Ximena", "truncated"),
        ("Scarlett", "Scar", "truncated"),
        ("Jaylen", "Jayden", "jw0.92"),  # twins' names: one letter apart, not a slip
        ("Ma", "Mason", "jw0.80"),  # two letters are too few to call a name cut short
    ],
)
def test_first_name_levels(app: str, clever: str, label: str) -> None:
    assert level_of("first_name", {"first_name": app}, {"first_name": clever}) == label


@pytest.mark.parametrize("role", ["student", "teacher", "staff", "user"])
def test_nicknames_are_related_one_step_only(role: str) -> None:
    # The nickname table lists Bill under both Robert and William: Bob is Robert's, but
    # Robert and William are not each other's.
    rules = load_rules(role)
    assert level_of("first_name", {"first_name": "Bob"}, {"first_name": "Robert"}, rules) == (
        "nickname"
    )
    got = level_of("first_name", {"first_name": "Robert"}, {"first_name": "William"}, rules)
    assert got != "nickname"


def test_preferred_name_counts_as_a_first_name() -> None:
    got = level_of(
        "first_name",
        {"first_name": "Kate"},
        {"first_name": "Catherine", "preferred_first_name": "Kate"},
    )
    assert got == "preferred_or_part"


def test_middle_name_used_as_first_name() -> None:
    got = level_of(
        "first_name", {"first_name": "James"}, {"first_name": "Robert", "middle_name": "James"}
    )
    assert got == "middle_swapped"


def test_first_and_last_transposed() -> None:
    app = {"first_name": "Lee", "last_name": "Ann"}
    clever = {"first_name": "Ann", "last_name": "Lee"}
    assert level_of("first_name", app, clever) == "first_last_swapped"
    assert level_of("last_name", app, clever) == "first_last_swapped"


def test_one_shared_name_is_not_a_transposition() -> None:
    app = {"first_name": "Thomas", "last_name": "Bradley"}
    clever = {"first_name": "Sophia", "last_name": "Thomas"}
    assert level_of("first_name", app, clever) == "else"


@pytest.mark.parametrize(
    ("app", "clever", "first_label", "last_label"),
    [
        (("Chloe", "Ryan"), ("Ryan", "Chloe"), "first_last_swapped", "first_last_swapped"),
        (("Chloe", "Ryan"), ("Ryna", "Chloe"), "swapped_with_slip", "swapped_with_slip"),
        (
            ("Isabella", "Ctercteko"),
            ("Ctercteko", "Isabela"),
            "swapped_with_slip",
            "swapped_with_slip",
        ),
        # Neither crossed pair equal: two slips are not a swap.
        (("Chloe", "Ryan"), ("Ryna", "Chole"), "else", "else"),
    ],
)
def test_first_and_last_swapped_levels(
    app: tuple[str, str], clever: tuple[str, str], first_label: str, last_label: str
) -> None:
    a = {"first_name": app[0], "last_name": app[1]}
    c = {"first_name": clever[0], "last_name": clever[1]}
    assert level_of("first_name", a, c) == first_label
    assert level_of("last_name", a, c) == last_label


@pytest.mark.parametrize(
    ("app", "clever", "label"),
    [
        ("García", "Garcia Lopez", "compound_part"),
        ("Smith-Jones", "Jones", "compound_part"),
        ("O'Brien", "OBRIEN", "exact"),
        ("Thomson", "Thompson", "jw0.92"),
        ("Smyth", "Smith", "phonetic"),
        ("Nguyen", "Garcia", "else"),
    ],
)
def test_last_name_levels(app: str, clever: str, label: str) -> None:
    assert level_of("last_name", {"last_name": app}, {"last_name": clever}) == label


@pytest.mark.parametrize(
    ("app", "clever", "label"),
    [
        ("12345", "0012345", "exact"),  # Excel stripped the leading zeros
        ("12345.0", "0012345", "exact"),
        ("1.2345E+07", "12345000", "exact"),
        ("123456789012345000", "123456789012345678", "excel_15_digits"),
        ("0013245", "0012345", "typo"),  # two digits transposed
        ("0012445", "0012345", "typo"),
        # One keystroke in the last two characters: what the next id handed out looks
        # like (a twin enrolled the same day), so not a plain typo.
        ("0012346", "0012345", "neighbour"),
        ("0012354", "0012345", "neighbour"),
        ("0012395", "0012345", "neighbour"),
        ("45", "46", "neighbour"),
        ("7", "8", "neighbour"),
        ("0012399", "0012345", "else"),  # two keystrokes
        ("0099999", "0012345", "else"),
    ],
)
def test_sis_id_levels(app: str, clever: str, label: str) -> None:
    assert level_of("sis_id", {"sis_id": app}, {"sis_id": clever}) == label


def test_app_id_matching_another_clever_id_field() -> None:
    got = level_of("sis_id", {"sis_id": "778899"}, {"sis_id": "S-1", "student_number": "778899"})
    assert got == "other_id"


def test_one_shared_id_counts_once() -> None:
    # Two students whose student numbers collide (a typo on one): the shared number is
    # the student_number comparison's evidence, not also the SIS id's and the state id's.
    app = {"sis_id": "125279834", "student_number": "50002897", "state_id": "2796999920"}
    clever = {"sis_id": "125279593", "student_number": "50002897", "state_id": "2796985366"}
    assert level_of("student_number", app, clever) == "exact"
    assert level_of("sis_id", app, clever) == "else"
    assert level_of("state_id", app, clever) == "else"
    # Either side's id may be the one found among the other's ids.
    assert level_of("sis_id", {"sis_id": "9", "state_id": "778899"}, {"sis_id": "778899"}) == (
        "other_id"
    )


@pytest.mark.parametrize(
    ("app", "clever", "label"),
    [
        ("2011-03-14", "3/14/2011", "exact"),
        ("14/03/2011", "3/14/2011", "exact"),  # a day above 12 cannot be a month
        ("4/3/2011", "3/4/2011", "day_month_swapped"),
        ("3/15/2011", "3/14/2011", "one_part_differs"),  # off by one day
        ("3/14/2012", "3/14/2011", "one_part_differs"),  # year typo
        ("3/2011", "3/14/2011", "partial_agrees"),
        ("7/1/2009", "3/14/2011", "else"),
    ],
)
def test_dob_levels(app: str, clever: str, label: str) -> None:
    assert level_of("dob", {"dob": app}, {"dob": clever}) == label


def _match_users(
    tmp_path: Path, header: list[str], app_rows: list[list[str]], users: list[dict[str, Any]]
) -> Path:
    """Match ``app_rows`` against Clever students given as ``{"name": ..., "student": ...}``
    and optionally ``"email"`` (their Clever ids are 1, 2, ... in 24 hex digits); returns
    the output path."""
    write_table(tmp_path / "app.csv", header, app_rows)
    snap = tmp_path / "clever"
    snap.mkdir()
    with (snap / "users.ndjson").open("w", encoding="utf-8") as fh:
        for i, u in enumerate(users):
            user = {"id": f"{i + 1:024x}", "name": u["name"], "roles": {"student": u["student"]}}
            if "email" in u:
                user["email"] = u["email"]
            fh.write(json.dumps(user) + "\n")
    out = tmp_path / "out.csv"
    match(tmp_path / "app.csv", snap, "student", out)
    return out


def _district(
    tmp_path: Path, app_rows: list[list[str]], clever_people: list[dict[str, str]]
) -> Path:
    header = ["id", "First Name", "Last Name", "DOB", "Grade", "School"]
    users = [
        {
            "name": {"first": p["first"], "last": p["last"]},
            "student": {"sis_id": p["sis"], "dob": p["dob"], "grade": "3", "school": "s1"},
        }
        for p in clever_people
    ]
    return _match_users(tmp_path, header, app_rows, users)


def _statuses(out: Path) -> dict[str, tuple[str, str]]:
    t = read_table(out)
    return {
        (a or c): (c, s)
        for a, c, s in zip(
            t.column("app.id"), t.column("clever.id"), t.column(mm.RESULT_COLUMN), strict=True
        )
    }


TWINS = [
    {"first": "Jayden", "last": "Brown", "dob": "5/5/2013", "sis": "101"},
    {"first": "Jaylen", "last": "Brown", "dob": "5/5/2013", "sis": "102"},
]


def test_twins_each_find_their_own_record(tmp_path: Path) -> None:
    rows = [
        ["a1", "Jaylen", "Brown", "2013-05-05", "3", "s1"],
        ["a2", "Jayden", "Brown", "2013-05-05", "3", "s1"],
    ]
    got = _statuses(_district(tmp_path, rows, TWINS))
    assert got["a1"] == (f"{2:024x}", mm.MATCH)
    assert got["a2"] == (f"{1:024x}", mm.MATCH)


def test_two_look_alike_accounts_of_one_listed_student_are_duplicates(tmp_path: Path) -> None:
    # Two app accounts, one with a mistyped first name (Jck / Jack), and one Jack on the
    # roster, whom both fit best: one student listed twice, so neither is matched.
    rows = [
        ["a1", "Jack", "Brown", "2013-05-05", "3", "s1"],
        ["a2", "Jck", "Brown", "2013-05-05", "3", "s1"],
    ]
    people = [{"first": "Jack", "last": "Brown", "dob": "5/5/2013", "sis": "101"}]
    got = _statuses(_district(tmp_path, rows, people))
    assert got["a1"][1] == got["a2"][1] == mm.APP_DUPLICATE
    assert got[f"{1:024x}"][1] == mm.CLEVER_NO_MATCH


def test_look_alike_twins_both_on_the_roster_are_not_duplicates(tmp_path: Path) -> None:
    # The same two first names, but each fits a roster record of its own best.
    rows = [
        ["a1", "Jack", "Brown", "2013-05-05", "3", "s1"],
        ["a2", "Jck", "Brown", "2013-05-05", "3", "s1"],
    ]
    people = [
        {"first": "Jack", "last": "Brown", "dob": "5/5/2013", "sis": "101"},
        {"first": "Jck", "last": "Brown", "dob": "5/5/2013", "sis": "102"},
    ]
    got = _statuses(_district(tmp_path, rows, people))
    assert got["a1"] == (f"{1:024x}", mm.MATCH)
    assert got["a2"] == (f"{2:024x}", mm.MATCH)


def test_twin_does_not_take_the_other_twins_record(tmp_path: Path) -> None:
    # Only Maya is in the app; only her twin Zoe is in Clever: they must not be matched.
    rows = [["a1", "Maya", "Brown", "2013-05-05", "3", "s1"]]
    people = [{"first": "Zoe", "last": "Brown", "dob": "5/5/2013", "sis": "101"}]
    got = _statuses(_district(tmp_path, rows, people))
    assert got["a1"][1] == mm.APP_NO_MATCH


@pytest.mark.parametrize(
    ("rows", "name", "dob"),
    [
        # Mila carries the district email of Camila, the one Camila on the roster; the
        # other account is Camila by name.  Both fit that record best, although the first
        # names disagree outright.
        (
            [
                ["a1", "Camila", "Weststein", "2011-02-07", "3", "s1", ""],
                ["a2", "Mila", "Weststein", "2011-02-07", "3", "s1", "cw2335@district.org"],
            ],
            {"first": "Camila", "last": "Weststein"},
            "2/7/2011",
        ),
        # One account has the double surname and the birthdate, the other the first
        # surname and the district email but no birthdate: no blocking rule pairs the two
        # accounts, but each fits the one listed Olivia well enough to be matched to her
        # even at the prior of a student listed twice.
        (
            [
                ["a1", "Olivia", "Westby-Greenford", "6/20/2020", "3", "s1", ""],
                ["a2", "Olivia", "Westby", "", "3", "s1", "ow4770@district.org"],
            ],
            {"first": "Olivia", "last": "Westby-Greenford"},
            "6/20/2020",
        ),
    ],
    ids=["renamed-account-with-the-district-email", "accounts-never-paired-together"],
)
def test_accounts_that_each_fit_one_listed_student_are_that_student_twice(
    tmp_path: Path, rows: list[list[str]], name: dict[str, str], dob: str
) -> None:
    # The one Clever student's email is the second account's: both accounts are that
    # student listed twice, and the Clever record is left unmatched.
    header = ["id", "First Name", "Last Name", "DOB", "Grade", "School", "Email"]
    student = {"sis_id": "101", "dob": dob, "grade": "3", "school": "s1"}
    users = [{"name": name, "student": student, "email": rows[1][-1]}]
    got = _statuses(_match_users(tmp_path, header, rows, users))
    assert got["a1"][1] == got["a2"][1] == mm.APP_DUPLICATE
    assert got[f"{1:024x}"][1] == mm.CLEVER_NO_MATCH


def test_shared_match_edges_need_one_record_and_the_duplicate_cut() -> None:
    # App rows 0-4, all pairs best first (k).  Rows 0, 1, 3 and 4 fit Clever 7 best (row
    # 3's pair with Clever 8 weighs more but comes later: ranks are the resolver's), row
    # 4 below either cut; row 2 fits Clever 8.
    plausible = pl.DataFrame(
        {
            "k": [0, 1, 2, 3, 4, 5],
            "id_l": [0, 1, 2, 3, 3, 4],
            "id_r": [7, 7, 8, 7, 8, 7],
            "weight": [30.0, 25.0, 30.0, 22.0, 28.0, 15.0],
        }
    )
    assert _shared_match_edges(plausible, "app", 20.0) == [(0, 1), (0, 3)]
    assert _shared_match_edges(plausible, "app", 24.0) == [(0, 1)]
    # A pair a veto refuses as one person is left out, whichever way round it was scored.
    refused = pl.DataFrame({"id_l": [3], "id_r": [0]})
    assert _shared_match_edges(plausible, "app", 20.0, refused) == [(0, 1)]
    # On the Clever side: Clever 7's best app row is 0 and Clever 8's is 2.
    assert _shared_match_edges(plausible, "clever", 20.0) == []


def test_twins_named_apart_with_one_on_the_roster_are_not_duplicates(tmp_path: Path) -> None:
    # Maya has left; Zoe is listed.  Maya's account has no id, so it cannot be Zoe's
    # record: Zoe's account is matched and Maya's is not merged into it.
    rows = [
        ["a1", "Maya", "Brown", "2013-05-05", "3", "s1"],
        ["a2", "Zoe", "Brown", "2013-05-05", "3", "s1"],
    ]
    people = [{"first": "Zoe", "last": "Brown", "dob": "5/5/2013", "sis": "101"}]
    got = _statuses(_district(tmp_path, rows, people))
    assert got["a1"][1] == mm.APP_NO_MATCH
    assert got["a2"] == (f"{1:024x}", mm.MATCH)


def _one_student(
    tmp_path: Path,
    app_name: tuple[str, str],
    app_sis: str,
    clever: tuple[str, str] = ("William", "4210560"),
) -> str:
    """The status of an app student matched against one Clever student, ``clever`` =
    (first name, SIS id) Brown, with the same birthdate, grade and school."""
    header = ["id", "Student_id", "First Name", "Last Name", "DOB", "Grade", "School"]
    rows = [["a1", app_sis, *app_name, "2013-05-05", "3", "s1"]]
    user = {
        "name": {"first": clever[0], "last": "Brown"},
        "student": {"sis_id": clever[1], "dob": "5/5/2013", "grade": "3", "school": "s1"},
    }
    tmp_path.mkdir(exist_ok=True)
    return _statuses(_match_users(tmp_path, header, rows, [user]))["a1"][1]


def test_a_mistyped_id_vouches_for_a_changed_last_name(tmp_path: Path) -> None:
    # The family name changed; the SIS id is one keystroke off outside its last two
    # digits, and the first name, birthdate and school agree: the same student.
    assert _one_student(tmp_path, ("William", "Okafor"), "4201560") == mm.MATCH
    # The next id handed out is a sibling's as often as a slip: no match.
    assert _one_student(tmp_path / "n", ("William", "Okafor"), "4210561") == mm.APP_NO_MATCH


def test_a_twin_with_a_neighbouring_id_is_not_matched(tmp_path: Path) -> None:
    # Another first name, the same last name and birthdate: a twin when the ids are
    # neighbours (twins enrolled together get the next numbers).  An exact id vouches for
    # it, and so does an id one keystroke off further left: the next number handed out
    # never differs there alone, so that is a slip in one child's id.
    for sis in ("4210561", "4210506", "4210559"):
        assert _one_student(tmp_path / sis, ("Trey", "Brown"), sis) == mm.APP_NO_MATCH
    for sis in ("4210560", "4201560", "4210860"):
        assert _one_student(tmp_path / sis, ("Trey", "Brown"), sis) == mm.MATCH


def test_a_lone_twin_with_a_look_alike_name_is_not_matched_when_ids_differ(
    tmp_path: Path,
) -> None:
    # Jayden is in the app, only his twin Jaylen in Clever.  One letter apart could be a
    # typo, but both records carry a SIS id and the ids differ: two children.
    for sis, expected in (("4210560", mm.APP_NO_MATCH), ("5387712", mm.APP_NO_MATCH),
                          ("4210561", mm.MATCH)):  # fmt: skip
        got = _one_student(tmp_path / sis, ("Jayden", "Brown"), sis, ("Jaylen", "4210561"))
        assert got == expected, sis


def test_clever_twins_are_not_duplicates(tmp_path: Path) -> None:
    rows = [["a1", "Ann", "Lee", "2010-01-01", "3", "s1"]]
    got = _statuses(_district(tmp_path, rows, TWINS))
    assert {got[f"{1:024x}"][1], got[f"{2:024x}"][1]} == {mm.CLEVER_NO_MATCH}


def test_roster_twins_fitting_one_account_are_not_duplicates(tmp_path: Path) -> None:
    # Maya's account was opened with her twin Zoe's district email.  Both roster records
    # fit that account best (Maya by name, Zoe by email), but on the roster that is what
    # twins look like, not one student loaded twice: the account is matched to Maya.
    header = ["id", "First Name", "Last Name", "DOB", "Grade", "School", "Email"]
    rows = [["a1", "Maya", "Brown", "2013-05-05", "3", "s1", "zb@district.org"]]
    student = {"dob": "5/5/2013", "grade": "3", "school": "s1"}
    users = [
        {"name": {"first": "Maya", "last": "Brown"}, "student": student | {"sis_id": "4210560"}},
        {
            "name": {"first": "Zoe", "last": "Brown"},
            "student": student | {"sis_id": "4213871"},
            "email": "zb@district.org",
        },
    ]
    got = _statuses(_match_users(tmp_path, header, rows, users))
    assert got["a1"] == (f"{1:024x}", mm.MATCH)
    assert got[f"{2:024x}"][1] == mm.CLEVER_NO_MATCH


def test_namesakes_with_different_state_ids_are_not_duplicates(tmp_path: Path) -> None:
    # Two Emma Clarks born the same day at one school, with their own SIS and state ids:
    # on the roster a reload gets a new SIS id but keeps the state id, so these are two
    # students.  The one with an account is matched.
    header = ["id", "First Name", "Last Name", "DOB", "Grade", "School", "State_id"]
    rows = [["a1", "Emma", "Clark", "2013-07-28", "7", "s1", "3421243498"]]
    users = [
        {
            "name": {"first": "Emma", "last": "Clark"},
            "student": {"sis_id": sis, "state_id": state, "dob": "7/28/2013"}
            | {"grade": "7", "school": "s1"},
        }
        for sis, state in (("127204149", "2921243111"), ("134977448", "3421243498"))
    ]
    got = _statuses(_match_users(tmp_path, header, rows, users))
    assert got["a1"] == (f"{2:024x}", mm.MATCH)
    assert got[f"{1:024x}"][1] == mm.CLEVER_NO_MATCH


def test_strangers_sharing_a_student_number_are_not_duplicates(tmp_path: Path) -> None:
    # A typo gave Noah the student number of Angel; everything else says two people.
    header = ["id", "Student_id", "Student_number", "State_id", "First Name", "Last Name"]
    header += ["DOB", "Grade", "School"]
    rows = [
        ["a1", "125279834", "50002897", "2796999920", "Angel", "Dalfield", "", "6", "s1"],
        ["a2", "125279593", "50002897", "2796985366", "Noah", "Fairwood", "", "6", "s1"],
    ]
    users = [
        {
            "name": {"first": first, "last": last},
            "student": {"sis_id": sis, "student_number": number, "state_id": state}
            | {"grade": "6", "school": "s1"},
        }
        for sis, number, state, first, last in [
            ("125279834", "50002897", "2796999920", "Angel", "Dalfield"),
            ("125279593", "50002898", "2796985366", "Noah", "Fairwood"),
        ]
    ]
    got = _statuses(_match_users(tmp_path, header, rows, users))
    assert got["a1"] == (f"{1:024x}", mm.MATCH)
    assert got["a2"] == (f"{2:024x}", mm.MATCH)


def test_a_student_going_by_the_middle_name_is_one_person_listed_twice(tmp_path: Path) -> None:
    # Two app accounts: "Destiny" (with the SIS id) and "Jaira Destiny" (no id), same
    # birthdate and school: one student who goes by her middle name, not twins.
    header = ["id", "Student_id", "First Name", "Middle Name", "Last Name", "DOB", "School"]
    rows = [
        ["a1", "25004", "Destiny", "", "Stewart", "2020-03-26", "s1"],
        ["a2", "", "Jaira", "Destiny", "Stewart", "2020-03-26", "s1"],
    ]
    user = {
        "name": {"first": "Jaira", "middle": "Destiny", "last": "Stewart"},
        "student": {"sis_id": "25004", "dob": "3/26/2020", "school": "s1"},
    }
    got = _statuses(_match_users(tmp_path, header, rows, [user]))
    assert got["a1"][1] == got["a2"][1] == mm.APP_DUPLICATE


def test_second_accounts_with_a_slipped_first_name_are_one_person_listed_twice(
    tmp_path: Path,
) -> None:
    # The same student typed again with two letters swapped, or with the name cut short:
    # same birthdate, last name and school.  Twins with look-alike names stay apart.
    rows = [
        ["a1", "Jack", "Caldwell", "2015-11-27", "3", "s1"],
        ["a2", "Jcak", "Caldwell", "2015-11-27", "3", "s1"],
        ["a3", "Ximena", "Holczyk", "2018-06-18", "3", "s1"],
        ["a4", "Xime", "Holczyk", "2018-06-18", "3", "s1"],
        ["a5", "Jayden", "Brown", "2013-05-05", "3", "s1"],
        ["a6", "Jaylen", "Brown", "2013-05-05", "3", "s1"],
    ]
    got = _statuses(_district(tmp_path, rows, []))
    assert got["a1"][1] == got["a2"][1] == mm.APP_DUPLICATE
    assert got["a3"][1] == got["a4"][1] == mm.APP_DUPLICATE
    assert got["a5"][1] == got["a6"][1] == mm.APP_NO_MATCH


# Short strings over a few letters (one of them two bytes in UTF-8), so that equal,
# one-edit, swapped and far-apart pairs all come up often; None for a blank.
_WORDS = st.one_of(st.none(), st.text(alphabet="abcé", max_size=6))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_WORDS, _WORDS), min_size=1, max_size=200))
def test_edit_distance_levels_agree_with_duckdbs_own_functions(
    pairs: list[tuple[str | None, str | None]],
) -> None:
    """The quick forms of the edit-distance levels (they skip damerau_levenshtein where
    lengths and the Hamming distance decide) answer exactly as the plain functions do,
    null included."""
    con = duckdb.connect()
    con.execute("CREATE TABLE p (a VARCHAR, b VARCHAR)")
    con.executemany("INSERT INTO p VALUES (?, ?)", pairs)
    checks = {
        _within_edits("a", "b", 1): "damerau_levenshtein(a, b) <= 1",
        _within_edits("a", "b", 2): "damerau_levenshtein(a, b) <= 2",
        _transposed("a", "b"): "damerau_levenshtein(a, b) = 1 AND levenshtein(a, b) = 2",
    }
    for quick, plain in checks.items():
        rows = con.execute(f"SELECT a, b, {quick}, {plain} FROM p").fetchall()
        assert [r[2] for r in rows] == [r[3] for r in rows], quick


_DIGITS = st.text(alphabet="0129", min_size=1, max_size=7)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_DIGITS, _DIGITS), min_size=1, max_size=200))
def test_neighbour_level_is_one_keystroke_in_the_last_two_characters(
    pairs: list[tuple[str, str]],
) -> None:
    """The ``neighbour`` SQL holds exactly when two ids of one length agree but for their
    last two characters and are one Damerau-Levenshtein edit apart."""
    con = duckdb.connect()
    con.execute("CREATE TABLE p (x VARCHAR, y VARCHAR)")
    con.executemany("INSERT INTO p VALUES (?, ?)", pairs)
    sql = level_sql(Level("neighbour", "neighbour", 0.5, 0.5), "x").replace("r.x", "p.y")
    got = [r[0] for r in con.execute(f"SELECT {sql.replace('l.x', 'p.x')} FROM p").fetchall()]
    want = [
        len(a) == len(b) and a[:-2] == b[:-2] and jellyfish.damerau_levenshtein_distance(a, b) <= 1
        for a, b in pairs
    ]
    assert got == want


def test_accounts_sharing_a_roster_email_are_one_student_whatever_the_names(
    tmp_path: Path,
) -> None:
    # Two app accounts with the address the district gave Ethan (a Clever student has
    # it): one student listed twice, though one name is mistyped past the twin veto.
    # Twins sharing a family address that no Clever record holds stay two children.
    header = ["id", "First Name", "Last Name", "DOB", "Email", "School"]
    rows = [
        ["a1", "Ethan", "Ruiz", "2009-01-16", "ethan.ruiz4934@students.example.org", "s1"],
        ["a2", "ETHOAN", "RUIZ", "2009-01-16", "Ethan.Ruiz4934@students.example.org", "s1"],
        ["a3", "Jayden", "Brown", "2013-05-05", "brownfamily@example.com", "s1"],
        ["a4", "Jaylen", "Brown", "2013-05-05", "brownfamily@example.com", "s1"],
    ]
    users = [
        {
            "name": {"first": "Ethan", "last": "Ruiz"},
            "student": {"dob": "1/16/2009", "school": "s1"},
            "email": "ethan.ruiz4934@students.example.org",
        },
        {
            "name": {"first": "Jayden", "last": "Brown"},
            "student": {"dob": "5/5/2013", "school": "s1"},
        },
        {
            "name": {"first": "Jaylen", "last": "Brown"},
            "student": {"dob": "5/5/2013", "school": "s1"},
        },
    ]
    got = _statuses(_match_users(tmp_path, header, rows, users))
    assert got["a1"][1] == got["a2"][1] == mm.APP_DUPLICATE
    assert got["a3"] == (f"{2:024x}", mm.MATCH)
    assert got["a4"] == (f"{3:024x}", mm.MATCH)
