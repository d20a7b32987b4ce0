"""End to end on the bundled fixture district: golden output, determinism, refusals."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from matchengine import matchmaker as mm
from matchengine.csvfile import read_table
from matchengine.pipeline import ValidationFailed, match

ROOT = Path(__file__).parents[1]
FIXTURE = ROOT / "fixtures" / "district"
GOLDEN = Path(__file__).parent / "golden"


def run(tmp_path: Path, **kwargs: object) -> Path:
    out = tmp_path / "out.csv"
    match(FIXTURE / "app.csv", FIXTURE / "clever", "student", out, **kwargs)  # type: ignore[arg-type]
    return out


def test_output_matches_golden_byte_for_byte(tmp_path: Path) -> None:
    out = run(tmp_path)
    assert out.read_bytes() == (GOLDEN / "district_student.csv").read_bytes()


def test_no_extras_output_is_the_hand_checked_answer(tmp_path: Path) -> None:
    out = run(tmp_path, extras=False)
    assert out.read_bytes() == (FIXTURE / "expected.csv").read_bytes()


def test_same_inputs_give_identical_bytes(tmp_path: Path) -> None:
    a = run(tmp_path).read_bytes()
    b = run(tmp_path).read_bytes()
    assert a == b


def test_every_record_appears_exactly_once(tmp_path: Path) -> None:
    table = read_table(run(tmp_path))
    app_ids = [v for v in table.column("app.id") if v]
    clever_ids = [v for v in table.column("clever.id") if v]
    assert sorted(app_ids) == [f"{i:03d}" for i in range(1, 12)]  # leading zeros kept
    assert len(clever_ids) == len(set(clever_ids)) == 11
    assert set(table.column(mm.RESULT_COLUMN)) <= set(mm.STATUSES)


def test_output_uses_crlf_and_no_bom(tmp_path: Path) -> None:
    data = run(tmp_path).read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf")
    assert data.count(b"\r\n") == data.count(b"\n")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("id,first_name,last_name,dob\n1,Ann,Lee,1/2/2010\n2,Bob,Ray\n", "ragged-row"),
        ("id,first_name,last_name,dob\n1,Ann,Lee,1/2/2010\n1,Bob,Ray,1/3/2010\n", "duplicate-id"),
    ],
)
def test_invalid_app_csv_writes_nothing(tmp_path: Path, text: str, code: str) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(text, encoding="utf-8")
    out = tmp_path / "out.csv"
    with pytest.raises(ValidationFailed) as err:
        match(bad, FIXTURE / "clever", "student", out)
    assert code in {p.code for p in err.value.report.errors()}
    assert not out.exists()
    assert not list(tmp_path.glob(".out.csv*"))  # no temporary left behind


def test_malformed_clever_json_writes_nothing(tmp_path: Path) -> None:
    snap = tmp_path / "snap"
    shutil.copytree(FIXTURE / "clever", snap)
    lines = (snap / "users.ndjson").read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2][:-5]
    (snap / "users.ndjson").write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    from matchengine.errors import InvalidDataError

    with pytest.raises(InvalidDataError, match="line 3"):
        match(FIXTURE / "app.csv", snap, "student", out)
    assert not out.exists()


def test_names_alone_never_match(tmp_path: Path) -> None:
    table = read_table(run(tmp_path))
    row = table.column("app.id").index("011")  # only first and last name
    assert table.column(mm.RESULT_COLUMN)[row] == mm.APP_NO_MATCH
    assert "only names agree" in table.column("match.evidence")[row]
