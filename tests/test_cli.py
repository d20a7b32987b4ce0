"""The console script through Typer's runner: exit codes, stdout/stderr discipline, help."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from matchengine.cli import app

ROOT = Path(__file__).parents[1]
FIXTURE = ROOT / "fixtures" / "district"
CSV_DATA = Path(__file__).parent / "data" / "csv"
runner = CliRunner()


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def test_match_fixture_writes_output_and_json(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    code, stdout, stderr = invoke(
        "match",
        FIXTURE / "app.csv",
        "--clever",
        FIXTURE / "clever",
        "--role",
        "student",
        "--out",
        out,
        "--json",
    )
    assert code == 0, stderr
    report = json.loads(stdout)  # stdout holds one JSON object and nothing else
    assert report["counts"]["match"] == 6
    assert report["mapping"]["dob"] == "Birthdate"
    assert out.exists()


def test_match_prints_mapping_and_counts(tmp_path: Path) -> None:
    code, stdout, _ = invoke(
        "match",
        FIXTURE / "app.csv",
        "--clever",
        FIXTURE / "clever",
        "-r",
        "student",
        "-o",
        tmp_path / "o.csv",
    )
    assert code == 0
    assert "mapping: " in stdout and "first_name <- 'First Name'" in stdout
    assert "match" in stdout


def test_validate_good_file_exits_0() -> None:
    code, stdout, _ = invoke("validate", FIXTURE / "app.csv", "--role", "student")
    assert code == 0
    assert "valid" in stdout and "mapping:" in stdout


@pytest.mark.parametrize(
    ("name", "code_name"),
    [
        ("ragged_row.csv", "ragged-row"),
        ("unterminated_quote.csv", "unterminated-quote"),
        ("duplicate_header.csv", "duplicate-header"),
        ("blank_id.csv", "blank-id"),
        ("duplicate_id.csv", "duplicate-id"),
        ("cp1252.csv", "invalid-utf8"),
    ],
)
def test_bad_input_exit_1_with_file_line_and_column(
    tmp_path: Path, name: str, code_name: str
) -> None:
    out = tmp_path / "out.csv"
    code, _, stderr = invoke(
        "match", CSV_DATA / name, "--clever", FIXTURE / "clever", "--role", "student", "--out", out
    )
    assert code == 1
    assert name in stderr and code_name in stderr
    assert re.search(r":\d+:", stderr), stderr  # a line number
    assert not out.exists()
    vcode, vout, _ = invoke("validate", CSV_DATA / name, "--json")
    assert vcode == 1
    report = json.loads(vout)
    assert report["valid"] is False
    assert any(p["code"] == code_name and p["line"] for p in report["problems"])


def test_cp1252_file_is_accepted_with_encoding(tmp_path: Path) -> None:
    code, _, stderr = invoke("validate", CSV_DATA / "cp1252.csv", "--encoding", "cp1252")
    assert code == 0, stderr


def test_malformed_clever_json_exit_1(tmp_path: Path) -> None:
    code, _, stderr = invoke(
        "match",
        FIXTURE / "app.csv",
        "--clever",
        Path(__file__).parent / "data" / "clever" / "bad_ndjson",
        "--role",
        "student",
        "--out",
        tmp_path / "o.csv",
    )
    assert code == 1
    assert "line 3" in stderr and "Traceback" not in stderr
    assert not (tmp_path / "o.csv").exists()


def test_bad_rules_exit_3(tmp_path: Path) -> None:
    rules = tmp_path / "r.toml"
    rules.write_text('role = "student"\n[model]\nthreshold = 2\n', encoding="utf-8")
    code, _, stderr = invoke(
        "match",
        FIXTURE / "app.csv",
        "--clever",
        FIXTURE / "clever",
        "--role",
        "student",
        "--out",
        tmp_path / "o.csv",
        "--rules",
        rules,
    )
    assert code == 3
    assert "model.threshold" in stderr and "comparisons" in stderr


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    code, _, stderr = invoke(
        "match",
        FIXTURE / "app.csv",
        "--clever",
        FIXTURE / "clever",
        "--role",
        "wizard",
        "--out",
        tmp_path / "o.csv",
    )
    assert code == 2 and "unknown role" in stderr
    code, _, stderr = invoke(
        "match",
        FIXTURE / "app.csv",
        "--clever",
        tmp_path / "nowhere",
        "--role",
        "student",
        "--out",
        tmp_path / "o.csv",
    )
    assert code == 2
    code, _, stderr = invoke(
        "match",
        FIXTURE / "app.csv",
        "--clever",
        FIXTURE / "clever",
        "--role",
        "student",
        "--out",
        tmp_path / "o.csv",
        "--map",
        "nonsense",
    )
    assert code == 2 and "FIELD=HEADER" in stderr
    code, _, _ = invoke("match")  # Typer's own usage error
    assert code == 2


def test_map_override_is_used(tmp_path: Path) -> None:
    code, stdout, _ = invoke(
        "validate", FIXTURE / "app.csv", "--role", "student", "--map", "username=Plan", "--json"
    )
    assert code == 0
    assert json.loads(stdout)["mapping"]["username"] == "Plan"


def test_every_command_has_help_and_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for command in ("validate", "match", "evaluate", "generate", "pull", "report", "explain"):
        code, stdout, _ = invoke(command, "--help")
        assert code == 0 and "Usage" in stdout
        assert f"matchengine {command}" in readme, command


def test_progress_shows_stages_and_a_bar_with_the_time_left_while_scoring() -> None:
    from matchengine.cli import _Progress

    progress = _Progress()
    start = progress.start
    assert progress.line("validate", None, start + 1.0) == "[   1.0s] validate    "
    progress.line("score", 0.0, start + 10.0)  # scoring starts at 10 s
    line = progress.line("score", 0.25, start + 14.0)  # a quarter done in 4 s
    assert line == "[  14.0s] score        [#####               ]  25%  about 12 s left"
    # Too little done for an estimate: no guess.
    assert "left" not in progress.line("score", 0.01, start + 14.0)
