"""``--role section``: enrollment overlap, periods, earlier outputs; golden fixture output."""

from __future__ import annotations

from pathlib import Path

from orgs_helpers import FIXTURES, GOLDEN, assert_every_record_once, rows_by_app_id, run_fixture

from matchengine import matchmaker as mm
from matchengine.clever import load_sections
from matchengine.orgs.sections import overlap_text, read_enrollments
from matchengine.pipeline import match

FOLDER = FIXTURES / "sections"


def test_output_matches_golden_byte_for_byte(tmp_path: Path) -> None:
    out = run_fixture("sections", "section", tmp_path / "out.csv")
    assert out.read_bytes() == (GOLDEN / "orgs_section.csv").read_bytes()


def test_no_extras_output_is_the_hand_checked_answer(tmp_path: Path) -> None:
    out = run_fixture("sections", "section", tmp_path / "out.csv", extras=False)
    assert out.read_bytes() == (FOLDER / "expected.csv").read_bytes()


def test_the_cases(tmp_path: Path) -> None:
    out = run_fixture("sections", "section", tmp_path / "out.csv")
    ids = set(load_sections(FOLDER / "clever")["id"].to_list())
    assert_every_record_once(out, 4, ids)
    rows = rows_by_app_id(out)
    # Same course, same teacher, periods 2 and 4: each app section finds its own.
    assert rows["sec-1"]["clever.name"] == "Algebra I - Smith - 2"
    assert rows["sec-2"]["clever.name"] == "Algebra I - Smith - 4"
    # "Dragons" shares nothing with "Biology - Jones - 3" but its students.
    assert rows["sec-3"]["clever.name"] == "Biology - Jones - 3"
    assert "enrollment_overlap=1.00 (7/7)" in rows["sec-3"]["match.evidence"]
    # A group the teacher made in the app is not a Clever section.
    assert rows["sec-4"][mm.RESULT_COLUMN] == mm.APP_NO_MATCH


def test_periods_alone_keep_two_sections_apart(tmp_path: Path) -> None:
    """Without enrollments, the period still tells the two Algebra I sections apart."""
    out = tmp_path / "out.csv"
    match(
        FOLDER / "app.csv",
        FOLDER / "clever",
        "section",
        out,
        teachers_out=FOLDER / "teachers.csv",
    )
    rows = rows_by_app_id(out)
    assert rows["sec-1"]["clever.name"] == "Algebra I - Smith - 2"
    assert rows["sec-2"]["clever.name"] == "Algebra I - Smith - 4"
    assert rows["sec-3"][mm.RESULT_COLUMN] == mm.APP_NO_MATCH  # nothing but a teacher


def test_teacher_found_without_an_earlier_output(tmp_path: Path) -> None:
    """An app teacher column holding Clever teacher emails needs no --teachers."""
    app = tmp_path / "app.csv"
    app.write_text(
        "id,School,Teacher,Period,Course\n"
        "x1,Roosevelt High School,asmith@springfield.k12.ca.us,Period 4,Algebra I\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.csv"
    match(app, FOLDER / "clever", "section", out)
    assert rows_by_app_id(out)["x1"]["clever.name"] == "Algebra I - Smith - 4"


def test_overlap_text() -> None:
    assert overlap_text(["a", "b", "c"], ["b", "c", "d", "e"]) == "enrollment_overlap=0.67 (2/3)"
    assert overlap_text(None, ["a"]) is None


def test_enrollments_columns_by_header(tmp_path: Path) -> None:
    f = tmp_path / "e.csv"
    f.write_text("student_id,section_id\ns1,c1\ns2,c1\n", encoding="utf-8")
    assert read_enrollments(f) == [("c1", "s1"), ("c1", "s2")]
