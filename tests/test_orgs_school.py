"""``--role school`` on the bundled fixture: golden output and the cases it holds."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from orgs_helpers import FIXTURES, GOLDEN, assert_every_record_once, rows_by_app_id, run_fixture

from matchengine import matchmaker as mm
from matchengine.clever import load_schools
from matchengine.errors import UsageError
from matchengine.link import splink_settings
from matchengine.pipeline import ValidationFailed, match
from matchengine.rules import load_rules

ORG_ROLES = ("school", "section", "district", "user")


@pytest.mark.parametrize("role", ORG_ROLES)
def test_compiled_settings_match_golden(role: str) -> None:
    settings = splink_settings(load_rules(role), 0.001)
    text = json.dumps(settings, indent=2, sort_keys=True) + "\n"
    path = GOLDEN / f"settings_{role}.json"
    if os.environ.get("MATCHENGINE_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == text


def test_output_matches_golden_byte_for_byte(tmp_path: Path) -> None:
    out = run_fixture("schools", "school", tmp_path / "out.csv")
    assert out.read_bytes() == (GOLDEN / "orgs_school.csv").read_bytes()


def test_no_extras_output_is_the_hand_checked_answer(tmp_path: Path) -> None:
    out = run_fixture("schools", "school", tmp_path / "out.csv", extras=False)
    assert out.read_bytes() == (FIXTURES / "schools" / "expected.csv").read_bytes()


def test_every_record_once_and_the_cases(tmp_path: Path) -> None:
    out = run_fixture("schools", "school", tmp_path / "out.csv")
    ids = set(load_schools(FIXTURES / "schools" / "clever")["id"].to_list())
    assert_every_record_once(out, 8, ids)
    rows = rows_by_app_id(out)
    # Lincoln Elem. (district id without its zero) and LINCOLN ELEMENTARY SCHOOL (NCES, MDR)
    # are one school listed twice by the app: duplicates, not matched.
    assert rows["org-1"][mm.RESULT_COLUMN] == mm.APP_DUPLICATE
    assert rows["org-1"]["match.duplicate_of"] == "org-8"
    # Lincoln Middle is not Lincoln Elementary.
    assert rows["org-2"]["clever.name"] == "Lincoln Middle School"
    # Public School #12 = P.S. 12 Lewis and Clark.
    assert rows["org-3"]["clever.name"] == "P.S. 12 Lewis and Clark"
    assert "name_number=exact" in rows["org-3"]["match.evidence"]
    # An NCES id (Excel dropped its leading zero) under an old name.
    assert rows["org-4"]["clever.name"] == "Roosevelt High School"
    assert rows["org-4"]["match.evidence"].startswith("nces_id=exact")
    assert rows["org-5"]["clever.name"] == "Cesar Chavez K-8 School"
    # Same name, another city: not matched on the name alone.
    assert rows["org-6"][mm.RESULT_COLUMN] == mm.APP_NO_MATCH
    assert rows["org-7"][mm.RESULT_COLUMN] == mm.APP_NO_MATCH


def test_same_inputs_same_bytes(tmp_path: Path) -> None:
    a = run_fixture("schools", "school", tmp_path / "a.csv").read_bytes()
    b = run_fixture("schools", "school", tmp_path / "b.csv").read_bytes()
    assert a == b


def test_invalid_app_csv_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "app.csv"
    bad.write_text("id,name\n1,Lincoln\n1,Adams\n", encoding="utf-8")
    with pytest.raises(ValidationFailed):
        match(bad, FIXTURES / "schools" / "clever", "school", tmp_path / "out.csv")
    assert not (tmp_path / "out.csv").exists()


def test_section_options_belong_to_sections(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="--role section only"):
        match(
            FIXTURES / "schools" / "app.csv",
            FIXTURES / "schools" / "clever",
            "school",
            tmp_path / "out.csv",
            enrollments=FIXTURES / "sections" / "enrollments.csv",
        )
