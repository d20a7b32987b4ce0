"""Multi-role users: ``--role user`` and ``--consolidate``; one Clever id per person."""

from __future__ import annotations

from pathlib import Path

import pytest
from orgs_helpers import FIXTURES, GOLDEN, assert_every_record_once, rows_by_app_id, run_fixture

from matchengine import matchmaker as mm
from matchengine.errors import UsageError
from matchengine.pipeline import match

FOLDER = FIXTURES / "users"
MARIA = "5f0000000000000000000001"


def test_output_matches_golden_byte_for_byte(tmp_path: Path) -> None:
    out = run_fixture("users", "user", tmp_path / "out.csv")
    assert out.read_bytes() == (GOLDEN / "orgs_user.csv").read_bytes()


def test_no_extras_output_is_the_hand_checked_answer(tmp_path: Path) -> None:
    out = run_fixture("users", "user", tmp_path / "out.csv", extras=False)
    assert out.read_bytes() == (FOLDER / "expected.csv").read_bytes()


def test_each_role_is_matched_with_its_own_fields(tmp_path: Path) -> None:
    out = run_fixture("users", "user", tmp_path / "out.csv")
    assert_every_record_once(out, 6, {f"5f000000000000000000000{i}" for i in range(1, 7)})
    rows = rows_by_app_id(out)
    # Maria's app account has her staff id and a personal email: her staff role matches,
    # and the row shows the person with all their roles.
    assert rows["a1"]["clever.id"] == MARIA
    assert rows["a1"]["clever.roles"] == "staff;teacher"
    assert rows["a1"]["match.evidence"].startswith("matched_role=staff; ")
    assert rows["a3"]["match.evidence"].startswith("matched_role=teacher; ")
    assert rows["a4"]["clever.roles"] == "district_admin"
    assert rows["a6"][mm.RESULT_COLUMN] == mm.APP_NO_MATCH


@pytest.mark.parametrize("role", ["teacher", "staff"])
def test_consolidate_turns_a_teacher_or_staff_run_into_a_user_run(
    role: str, tmp_path: Path
) -> None:
    out = tmp_path / "out.csv"
    match(FOLDER / "app.csv", FOLDER / "clever", role, out, consolidate=True)
    assert out.read_bytes() == (GOLDEN / "orgs_user.csv").read_bytes()


def test_consolidate_is_for_people(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="--consolidate"):
        match(
            FOLDER / "app.csv", FOLDER / "clever", "student", tmp_path / "o.csv", consolidate=True
        )


def test_teacher_and_staff_runs_may_both_match_one_clever_id(tmp_path: Path) -> None:
    teachers = tmp_path / "teachers.csv"
    teachers.write_text(
        "id,First Name,Last Name,Teacher ID\nt1,Maria,Garcia,T100\n", encoding="utf-8"
    )
    staff = tmp_path / "staff.csv"
    staff.write_text("id,First Name,Last Name,Staff ID\ns1,Maria,Garcia,E900\n", encoding="utf-8")
    match(teachers, FOLDER / "clever", "teacher", tmp_path / "t.csv")
    match(staff, FOLDER / "clever", "staff", tmp_path / "s.csv")
    assert rows_by_app_id(tmp_path / "t.csv")["t1"]["clever.id"] == MARIA
    assert rows_by_app_id(tmp_path / "s.csv")["s1"]["clever.id"] == MARIA
