"""Rules files: every problem reported at once, and a golden copy of the compiled settings."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import tomllib

from matchengine.errors import RulesError
from matchengine.link import splink_settings
from matchengine.rules import load_rules, parse_rules

GOLDEN = Path(__file__).parent / "golden"
ROLES = ("student", "teacher", "staff")


@pytest.mark.parametrize("role", ROLES)
def test_compiled_settings_match_golden(role: str) -> None:
    """A rules change shows up here as a readable diff of the Splink settings."""
    settings = splink_settings(load_rules(role), 0.001)
    text = json.dumps(settings, indent=2, sort_keys=True) + "\n"
    path = GOLDEN / f"settings_{role}.json"
    if os.environ.get("MATCHENGINE_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == text


def test_every_problem_is_reported_with_its_key_path() -> None:
    doc = {
        "role": "student",
        "model": {"threshold": 1.5, "duplicate_threshold": 0.99, "duplicate_rate": 0.01},
        "comparisons": [
            {
                "name": "sis_id",
                "levels": [
                    {"label": "exact", "kind": "exact", "m": 0.9, "u": -1},
                    {"label": "else", "kind": "nope", "m": 0.1, "u": 0.9},
                ],
            },
            {
                "name": "dob",
                "column": "birthday",
                "levels": [{"label": "x", "kind": "exact", "m": 1, "u": 1}],
            },
        ],
        "blocking": [{"name": "b", "on": ["no_such_column"]}],
        "match": {
            "needs_one_of": ["zzz"],
            "vetoes": [
                {"when": ["sis_id=else"], "and_any": ["dob=nope"], "unless_any": []},
                {"when": ["sis_id=else"], "unless_same_candidate": 1, "unles_any": []},
            ],
        },
        "duplicates": {
            "roster_ids": ["e_mail"],
            "shared_match": ["app", "district"],
            "vetoes": [{"when": ["sis_id=else"], "unless_same_candidate": "yes"}],
        },
    }
    with pytest.raises(RulesError) as err:
        parse_rules(doc, "mine.toml")
    text = "\n".join(err.value.problems)
    for fragment in (
        "comparisons[0].levels[0].u: must be between 0 and 1",
        "comparisons[0].levels[1].kind: must be one of",
        "comparisons[1].column: unknown column 'birthday'",
        "comparisons[1].levels: needs at least two levels",
        "blocking[0].on: unknown column 'no_such_column'",
        "model.threshold: must be between 0 and 1",
        "match.needs_one_of: 'zzz' names no comparison",
        "match.vetoes[0].and_any",
        "match.vetoes[1].unless_same_candidate: must be true or false",
        "match.vetoes[1]: unknown key(s): unles_any",
        "duplicates.vetoes[0].unless_same_candidate: must be true or false",
        "duplicates.roster_ids: unknown column 'e_mail'",
        "duplicates.shared_match: 'district': must be 'app' or 'clever'",
    ):
        assert fragment in text, fragment
    assert err.value.exit_code == 3


def test_role_mismatch_is_an_error(tmp_path: Path) -> None:
    src = Path(__file__).parents[1] / "rules" / "teacher.toml"
    copy = tmp_path / "mine.toml"
    copy.write_text(src.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(RulesError, match="the file is for 'teacher'"):
        load_rules("student", copy)


def test_invalid_toml_is_a_rules_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("role = ", encoding="utf-8")
    with pytest.raises(RulesError, match="not valid TOML"):
        load_rules("student", bad)


def test_found_in_needs_a_list_to_look_in() -> None:
    doc = {
        "role": "student",
        "comparisons": [
            {
                "name": "sis_id",
                "levels": [
                    {
                        "label": "other",
                        "kind": "found_in",
                        "column": "state_id",
                        "m": 0.2,
                        "u": 0.01,
                    },
                    {"label": "else", "kind": "else", "m": 0.8, "u": 0.99},
                ],
            },
        ],
        "blocking": [{"name": "b", "on": ["sis_id"]}],
    }
    with pytest.raises(RulesError) as err:
        parse_rules(doc, "mine.toml")
    assert "comparisons[0].levels[0].column: kind 'found_in'" in "\n".join(err.value.problems)


def test_em_record_cap_is_checked() -> None:
    doc = {
        "role": "student",
        "model": {"estimate_m": {"mode": "auto", "max_records": 10, "blocking": [["dob"]]}},
        "comparisons": [
            {
                "name": "sis_id",
                "levels": [
                    {"label": "exact", "kind": "exact", "m": 0.9, "u": 0.01},
                    {"label": "else", "kind": "else", "m": 0.1, "u": 0.99},
                ],
            },
        ],
        "blocking": [{"name": "b", "on": ["sis_id"]}],
    }
    with pytest.raises(RulesError) as err:
        parse_rules(doc, "mine.toml")
    assert "model.estimate_m.max_records: must be at least 1000" in "\n".join(err.value.problems)


def test_a_shared_candidate_veto_needs_the_sides_it_counts_on() -> None:
    path = Path(__file__).parents[1] / "rules" / "student.toml"
    doc = tomllib.loads(path.read_text(encoding="utf-8"))
    del doc["duplicates"]["shared_match"]
    with pytest.raises(RulesError) as err:
        parse_rules(doc, "mine.toml")
    assert (
        "match.vetoes[0].unless_same_candidate: has no effect without [duplicates] shared_match"
        in "\n".join(err.value.problems)
    )
