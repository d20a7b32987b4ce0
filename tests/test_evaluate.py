"""Scoring one Matchmaker-format file against another."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from matchengine.errors import InvalidDataError, UsageError
from matchengine.evaluate import MISSING, evaluate
from matchengine.matchmaker import (
    APP_DUPLICATE,
    APP_NO_MATCH,
    CLEVER_DUPLICATE,
    CLEVER_NO_MATCH,
    MATCH,
)
from matchengine.synth import generate

HEADER = "app.id,app.name,clever.id,clever.first_name,matchmaker_results"

EXPECTED = f"""{HEADER}
a1,Ann,c1,Ann,match
a2,Bob,c2,Bob,match
a3,Cy,c3,Cy,match
a4,Di,,,"from app, no match"
a5,Ed,,,"from app, duplicate"
a6,Ed,,,"from app, duplicate"
,,c4,Flo,"from Clever, no match"
,,c5,Gus,"from Clever, duplicate"
,,c6,Gus,"from Clever, duplicate"
"""


def write(tmp_path: Path, name: str, text: str, crlf: bool = True) -> Path:
    path = tmp_path / name
    data = text.replace("\n", "\r\n") if crlf else text
    path.write_bytes(data.encode("utf-8"))
    return path


@pytest.fixture
def expected(tmp_path: Path) -> Path:
    return write(tmp_path, "expected.csv", EXPECTED)


def test_perfect_prediction(tmp_path: Path, expected: Path) -> None:
    # Same truth, other row order, extra match.* columns, LF line ends.
    predicted = write(
        tmp_path,
        "predicted.csv",
        f"""{HEADER},match.probability,match.evidence
,,c6,Gus,"from Clever, duplicate",,
a3,Cy,c3,Cy,match,0.9900,"sis_id=exact; dob=exact"
a1,Ann,c1,Ann,match,0.9990,
a2,Bob,c2,Bob,match,0.9000,
a4,Di,,,"from app, no match",,
a6,Ed,,,"from app, duplicate",,
a5,Ed,,,"from app, duplicate",,
,,c4,Flo,"from Clever, no match",,
,,c5,Gus,"from Clever, duplicate",,
""",
        crlf=False,
    )
    r = evaluate(predicted, expected)
    assert (r.pair_tp, r.pair_fp, r.pair_fn) == (3, 0, 0)
    assert r.precision == r.recall == r.f1 == 1.0
    assert r.id_column == "id"
    assert r.app_confusion == {
        MATCH: {MATCH: 3},
        APP_NO_MATCH: {APP_NO_MATCH: 1},
        APP_DUPLICATE: {APP_DUPLICATE: 2},
    }
    assert r.clever_confusion == {
        MATCH: {MATCH: 3},
        CLEVER_NO_MATCH: {CLEVER_NO_MATCH: 1},
        CLEVER_DUPLICATE: {CLEVER_DUPLICATE: 2},
    }
    for side in ("app", "clever"):
        assert r.duplicate_scores[side]["precision"] == 1.0
        assert r.duplicate_scores[side]["recall"] == 1.0
    assert r.problems == []
    assert r.counts["expected"]["rows"] == 9
    assert r.counts["predicted"]["match_pairs"] == 3


def test_false_match_swapped_pair_and_missed_duplicates(tmp_path: Path, expected: Path) -> None:
    predicted = write(
        tmp_path,
        "predicted.csv",
        f"""{HEADER}
a1,Ann,c1,Ann,match
a2,Bob,c3,Cy,match
a3,Cy,c2,Bob,match
a4,Di,c4,Flo,match
a5,Ed,,,"from app, duplicate"
a6,Ed,,,"from app, duplicate"
,,c5,Gus,"from Clever, no match"
,,c6,Gus,"from Clever, no match"
""",
    )
    r = evaluate(predicted, expected)
    # Predicted pairs a1-c1 (right), a2-c3 + a3-c2 (swapped), a4-c4 (false match).
    assert (r.pair_tp, r.pair_fp, r.pair_fn) == (1, 3, 2)
    assert r.precision == pytest.approx(0.25)
    assert r.recall == pytest.approx(1 / 3)
    assert r.f1 == pytest.approx(2 * 0.25 * (1 / 3) / (0.25 + 1 / 3))
    assert r.app_confusion == {
        MATCH: {MATCH: 3},
        APP_NO_MATCH: {MATCH: 1},
        APP_DUPLICATE: {APP_DUPLICATE: 2},
    }
    assert r.clever_confusion == {
        MATCH: {MATCH: 3},
        CLEVER_NO_MATCH: {MATCH: 1},
        CLEVER_DUPLICATE: {CLEVER_NO_MATCH: 2},
    }
    clever_dup = r.duplicate_scores["clever"]
    assert clever_dup["precision"] == 1.0  # nothing predicted as duplicate
    assert clever_dup["recall"] == 0.0 and clever_dup["f1"] == 0.0
    assert (clever_dup["tp"], clever_dup["predicted"], clever_dup["expected"]) == (0, 0, 2)
    assert r.duplicate_scores["app"]["f1"] == 1.0
    assert r.problems == []


def test_missed_match_and_half_found_duplicate_group(tmp_path: Path, expected: Path) -> None:
    predicted = write(
        tmp_path,
        "predicted.csv",
        f"""{HEADER}
a1,Ann,c1,Ann,match
a2,Bob,,,"from app, no match"
a3,Cy,c3,Cy,match
a4,Di,,,"from app, no match"
a5,Ed,,,"from app, duplicate"
a6,Ed,,,"from app, no match"
,,c2,Bob,"from Clever, no match"
,,c4,Flo,"from Clever, no match"
,,c5,Gus,"from Clever, duplicate"
,,c6,Gus,"from Clever, duplicate"
""",
    )
    r = evaluate(predicted, expected)
    assert (r.pair_tp, r.pair_fp, r.pair_fn) == (2, 0, 1)
    assert r.precision == 1.0
    assert r.recall == pytest.approx(2 / 3)
    assert r.f1 == pytest.approx(0.8)
    assert r.app_confusion == {
        MATCH: {MATCH: 2, APP_NO_MATCH: 1},
        APP_NO_MATCH: {APP_NO_MATCH: 1},
        APP_DUPLICATE: {APP_NO_MATCH: 1, APP_DUPLICATE: 1},
    }
    assert r.clever_confusion == {
        MATCH: {MATCH: 2, CLEVER_NO_MATCH: 1},
        CLEVER_NO_MATCH: {CLEVER_NO_MATCH: 1},
        CLEVER_DUPLICATE: {CLEVER_DUPLICATE: 2},
    }
    app_dup = r.duplicate_scores["app"]
    assert app_dup["precision"] == 1.0 and app_dup["recall"] == 0.5
    assert r.counts["app_status_agreement"] == pytest.approx(4 / 6)


def test_missing_and_extra_records_are_reported(tmp_path: Path, expected: Path) -> None:
    predicted = write(
        tmp_path,
        "predicted.csv",
        f"""{HEADER}
a1,Ann,c1,Ann,match
a2,Bob,c2,Bob,match
a3,Cy,c3,Cy,match
a5,Ed,,,"from app, duplicate"
a6,Ed,,,"from app, duplicate"
a7,Hal,,,"from app, no match"
,,c5,Gus,"from Clever, duplicate"
,,c6,Gus,"from Clever, duplicate"
""",
    )
    r = evaluate(predicted, expected)
    assert r.f1 == 1.0
    assert r.app_confusion[APP_NO_MATCH] == {MISSING: 1}
    assert r.app_confusion[MISSING] == {APP_NO_MATCH: 1}
    assert r.clever_confusion[CLEVER_NO_MATCH] == {MISSING: 1}
    text = " | ".join(r.problems)
    assert "'a4'" in text and "'a7'" in text and "'c4'" in text
    assert "missing from predicted.csv" in text


def test_records_twice_unknown_statuses_and_incomplete_match_rows(
    tmp_path: Path, expected: Path
) -> None:
    predicted = write(
        tmp_path,
        "predicted.csv",
        f"""{HEADER}
a1,Ann,c1,Ann,match
a1,Ann,c1,Ann,match
a2,Bob,,,match
a3,Cy,c3,Cy,MATCH
a4,Di,,,maybe
a5,Ed,,,"from app, duplicate"
a6,Ed,,,"from app, duplicate"
,,c2,Bob,"from Clever, no match"
,,c4,Flo,"from Clever, no match"
,,c5,Gus,"from Clever, duplicate"
,,c6,Gus,"from Clever, duplicate"
""",
    )
    r = evaluate(predicted, expected)
    assert (r.pair_tp, r.pair_fp, r.pair_fn) == (2, 0, 1)  # "MATCH" is read as match
    text = " | ".join(r.problems)
    assert "more than one row" in text and "'maybe'" in text and "lack an app id" in text
    assert r.app_confusion[APP_NO_MATCH] == {"maybe": 1}
    assert "Problems" in r.render()


def test_nothing_predicted_and_nothing_expected(tmp_path: Path) -> None:
    empty = write(tmp_path, "empty.csv", f"{HEADER}\n")
    r = evaluate(empty, empty)
    assert (r.precision, r.recall, r.f1) == (1.0, 1.0, 1.0)
    assert r.app_confusion == {} and r.clever_confusion == {}
    expected = write(tmp_path, "expected.csv", EXPECTED)
    none = write(
        tmp_path,
        "none.csv",
        f"""{HEADER}
a1,Ann,,,"from app, no match"
""",
    )
    r = evaluate(none, expected)
    assert (r.precision, r.recall, r.f1) == (1.0, 0.0, 0.0)
    r = evaluate(expected, none)
    assert (r.precision, r.recall, r.f1) == (0.0, 1.0, 0.0)


def test_bom_quotes_and_id_column_option(tmp_path: Path) -> None:
    text = (
        "\ufeffapp.user_id,app.Name,clever.id,matchmaker_results\n"
        '"u-1","Smith, Ann",c1,match\n'
        '"u 2 ",Bob,,"from app, no match"\n'
    )
    f = write(tmp_path, "bom.csv", text)
    r = evaluate(f, f)
    assert r.id_column == "user_id" and r.f1 == 1.0
    assert r.app_confusion == {MATCH: {MATCH: 1}, APP_NO_MATCH: {APP_NO_MATCH: 1}}
    no_id = write(
        tmp_path,
        "noid.csv",
        "app.Student Number,app.Name,clever.id,matchmaker_results\n7,Ann,c1,match\n",
    )
    with pytest.raises(InvalidDataError, match=r"noid\.csv.*--id-column"):
        evaluate(no_id, no_id)
    for option in ("Student Number", "app.Student Number", "student_number"):
        assert evaluate(no_id, no_id, id_column=option).id_column == "Student Number"
    with pytest.raises(UsageError, match=r"noid\.csv"):
        evaluate(no_id, no_id, id_column="Nope")


def test_not_a_matchmaker_file(tmp_path: Path, expected: Path) -> None:
    app = write(tmp_path, "app.csv", "id,First Name\n1,Ann\n")
    with pytest.raises(InvalidDataError, match=r"app\.csv.*matchmaker_results"):
        evaluate(app, expected)
    no_clever = write(tmp_path, "x.csv", "app.id,matchmaker_results\n1,match\n")
    with pytest.raises(InvalidDataError, match=r"x\.csv.*clever\.id"):
        evaluate(expected, no_clever)
    empty = write(tmp_path, "empty.csv", "")
    with pytest.raises(InvalidDataError, match="empty"):
        evaluate(empty, expected)
    with pytest.raises(UsageError, match="no such file"):
        evaluate(tmp_path / "nope.csv", expected)
    latin = tmp_path / "latin.csv"
    latin.write_bytes("app.id,app.n\xe9,clever.id,matchmaker_results\n".encode("latin-1"))
    with pytest.raises(InvalidDataError, match="UTF-8"):
        evaluate(latin, expected)


def test_ragged_rows_fall_back_to_the_careful_reader(tmp_path: Path, expected: Path) -> None:
    ragged = write(
        tmp_path,
        "ragged.csv",
        f"""{HEADER}
a1,Ann,c1,Ann,match,extra,fields
a2,Bob,c2,Bob,match
""",
    )
    r = evaluate(ragged, expected)
    assert r.pair_tp == 2
    short = write(tmp_path, "short.csv", f"{HEADER}\na1,Ann\n")
    with pytest.raises(InvalidDataError, match=r"short\.csv.*line 2"):
        evaluate(short, expected)
    cut = write(tmp_path, "cut.csv", f"{HEADER}\na1,Ann,c1,Ann,match\na2,Bob\n")
    r = evaluate(cut, expected)
    assert any("cut.csv: 1 row(s) have no matchmaker_results value" in p for p in r.problems)


def test_expected_against_itself_on_a_generated_district(tmp_path: Path) -> None:
    s = generate("student", 1500, 9, tmp_path)
    exp = tmp_path / "expected.csv"
    r = evaluate(exp, exp)
    assert r.f1 == 1.0 and r.pair_tp == s.true_matches and r.pair_fp == r.pair_fn == 0
    assert r.problems == []
    app_total = sum(sum(v.values()) for v in r.app_confusion.values())
    clever_total = sum(sum(v.values()) for v in r.clever_confusion.values())
    assert app_total == s.app_records and clever_total == s.clever_records
    for side, dup in (("app", APP_DUPLICATE), ("clever", CLEVER_DUPLICATE)):
        assert r.duplicate_scores[side]["recall"] == 1.0
        assert r.duplicate_scores[side]["expected"] == s.counts_by_status[dup]
    d = json.loads(json.dumps(r.to_dict()))
    assert d["pairs"]["f1"] == 1.0
    text = r.render()
    assert "F1" in text and "from Clever, duplicate" in text
