"""Role-level validation: the 'names only' warning follows the rules' needs_one_of."""

from __future__ import annotations

from pathlib import Path

from matchengine.rules import load_rules
from matchengine.validation import validate_app


def _codes(tmp_path: Path, header: str, row: str) -> tuple[set[str], str]:
    path = tmp_path / "app.csv"
    path.write_text(f"{header}\n{row}\n", encoding="utf-8")
    report = validate_app(path, "student")
    return {p.code for p in report.all_problems}, " ".join(p.message for p in report.all_problems)


def test_names_only_is_warned_with_the_rules_fields(tmp_path: Path) -> None:
    codes, text = _codes(tmp_path, "id,First Name,Last Name", "1,Ann,Lee")
    assert "few-matching-fields" in codes
    for field in load_rules("student").needs_one_of:
        assert field in text


def test_an_address_is_enough_beyond_names(tmp_path: Path) -> None:
    codes, _ = _codes(tmp_path, "id,First Name,Last Name,Address", "1,Ann,Lee,12 Oak St")
    assert "few-matching-fields" not in codes


def test_the_run_s_rules_drive_the_warning(tmp_path: Path) -> None:
    """A custom rules file that needs an address makes a birthdate alone not enough."""
    from dataclasses import replace

    rules = replace(load_rules("student"), needs_one_of=("address",))
    path = tmp_path / "app.csv"
    path.write_text("id,First Name,Last Name,DOB\n1,Ann,Lee,2010-01-02\n", encoding="utf-8")
    assert "few-matching-fields" not in {p.code for p in validate_app(path, "student").all_problems}
    custom = validate_app(path, "student", rules=rules)
    warned = [p for p in custom.all_problems if p.code == "few-matching-fields"]
    assert len(warned) == 1 and warned[0].message.endswith("one of: address")
