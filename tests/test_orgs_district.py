"""``--role district``: many snapshots, MDR/NCES, name within state, single schools, domains."""

from __future__ import annotations

from pathlib import Path

from orgs_helpers import FIXTURES, GOLDEN, assert_every_record_once, rows_by_app_id, run_fixture

from matchengine import matchmaker as mm
from matchengine.orgs.districts import domain_counts, load_clever_districts

FOLDER = FIXTURES / "districts"


def test_output_matches_golden_byte_for_byte(tmp_path: Path) -> None:
    out = run_fixture("districts", "district", tmp_path / "out.csv")
    assert out.read_bytes() == (GOLDEN / "orgs_district.csv").read_bytes()


def test_no_extras_output_is_the_hand_checked_answer(tmp_path: Path) -> None:
    out = run_fixture("districts", "district", tmp_path / "out.csv", extras=False)
    assert out.read_bytes() == (FOLDER / "expected.csv").read_bytes()


def test_snapshots_are_read_with_state_and_domains() -> None:
    frame, raw = load_clever_districts(FOLDER / "clever")
    assert frame.height == 6
    # Clever's own "state" is the sync status; the state comes from the schools.
    assert frame["state"].to_list() == ["CA", "TX", "CA", "MO", "WA", "OH"]
    domains = domain_counts(FOLDER / "clever")
    assert domains["5a0000000000000000000001"] == ["springfieldusd.org"]  # not gmail.com
    assert "lakeviewsd.org" in domains["5a0000000000000000000005"]
    assert raw["school_names"][2].to_list() == ["maple park elementary", "oak valley middle"]


def test_the_cases(tmp_path: Path) -> None:
    out = run_fixture("districts", "district", tmp_path / "out.csv")
    ids = set(load_clever_districts(FOLDER / "clever")[0]["id"].to_list())
    assert_every_record_once(out, 6, ids)
    rows = rows_by_app_id(out)
    assert rows["101"]["match.evidence"].startswith("mdr_number=exact")  # Excel-stripped MDR
    assert "domains=shared" in rows["102"]["match.evidence"]
    # A single school that signed up on its own, without an MDR number.
    assert rows["103"]["clever.name"] == "Oak Valley Union School District"
    assert "name=school_name" in rows["103"]["match.evidence"]
    # Springfield Public Schools in Missouri, not Springfield USD in California.
    assert rows["104"]["clever.state"] == "MO"
    assert rows["105"][mm.RESULT_COLUMN] == mm.APP_NO_MATCH
    # Only the email domain links LVSD to Lakeview School District.
    assert rows["106"]["clever.name"] == "Lakeview School District"


def test_a_single_snapshot_folder_works_too(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    from matchengine.pipeline import match

    match(FOLDER / "app.csv", FOLDER / "clever" / "riverton-tx", "district", out)
    rows = rows_by_app_id(out)
    assert rows["102"][mm.RESULT_COLUMN] == mm.MATCH
    assert rows["101"][mm.RESULT_COLUMN] == mm.APP_NO_MATCH
