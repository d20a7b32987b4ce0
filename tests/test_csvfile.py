"""The RFC 4180 reader, validator and writer, checked against one-defect fixture files."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from matchengine.csvfile import (
    CsvTable,
    read_csv,
    read_table,
    validate_csv,
    write_table,
)
from matchengine.errors import InvalidDataError, UsageError
from matchengine.problems import CATALOGUE, Problem

DATA = Path(__file__).parent / "data" / "csv"


def _errors(problems: list[Problem]) -> list[tuple[str, int | None, int | None, int | None]]:
    return [(p.code, p.line, p.record, p.column) for p in problems if p.is_error]


def _write(tmp_path: Path, data: bytes, name: str = "app.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# --------------------------------------------------------------------------- one defect each


@pytest.mark.parametrize(
    ("name", "expected", "header"),
    [
        ("ragged_row.csv", ("ragged-row", 3, 2, 3), "dob"),
        ("unterminated_quote.csv", ("unterminated-quote", 3, 2, 2), "first_name"),
        ("stray_quote.csv", ("stray-quote", 2, 1, 3), "height"),
        ("text_after_quote.csv", ("text-after-quote", 3, 2, 2), "last_name"),
        ("duplicate_header.csv", ("duplicate-header", 1, None, 4), "email"),
        ("duplicate_header_folded.csv", ("duplicate-header", 1, None, 3), "first_name"),
        ("blank_header.csv", ("blank-header", 1, None, 2), ""),
        ("blank_id.csv", ("blank-id", 3, 2, 1), "id"),
        ("duplicate_id.csv", ("duplicate-id", 4, 3, 1), "id"),
        ("no_id_column.csv", ("no-id-column", 1, None, None), None),
        ("cp1252.csv", ("invalid-utf8", 2, None, None), None),
        ("utf16.csv", ("invalid-utf8", 1, None, None), None),
        ("bare_cr.csv", ("bare-cr", 2, 1, 2), "name"),
        ("nul_byte.csv", ("nul-byte", 2, 1, 2), "name"),
        ("empty.csv", ("empty-file", None, None, None), None),
    ],
)
def test_one_defect_fixture(name: str, expected: tuple[object, ...], header: str | None) -> None:
    report = validate_csv(DATA / name)
    assert not report.valid
    assert _errors(report.problems) == [expected]
    problem = next(p for p in report.problems if p.is_error)
    assert problem.header == header
    assert problem.path == str(DATA / name)
    assert problem.code in CATALOGUE
    assert report.table is None or problem.code in ("blank-id", "duplicate-id", "no-id-column")


def test_messages_say_where_and_how_to_fix() -> None:
    def message(name: str) -> str:
        return next(p.message for p in validate_csv(DATA / name).problems if p.is_error)

    assert "line 3 has 2 fields but the header has 3" in message("ragged_row.csv")
    assert "opens on line 3" in message("unterminated_quote.csv")
    assert "line 4" in message("duplicate_id.csv") and "line 2" in message("duplicate_id.csv")
    utf8 = message("cp1252.csv")
    assert "line 2, byte 6 of the line (0xE9)" in utf8
    assert "--encoding cp1252" in utf8
    assert "UTF-16" in message("utf16.csv")
    no_id = message("no_id_column.csv")
    assert "--id-column" in no_id and "app_id" in no_id and "record_id" in no_id
    assert "same header once case" in message("duplicate_header_folded.csv")


def test_blank_row_is_a_warning_and_is_skipped() -> None:
    report = validate_csv(DATA / "blank_row.csv")
    assert report.valid
    assert [(p.code, p.line, p.record, p.column, p.severity) for p in report.problems] == [
        ("blank-row", 3, None, None, "warning")
    ]
    assert report.records == 2
    assert report.table is not None
    assert report.table.column("name") == ["Ann", "Bob"]
    assert report.table.lines == [2, 4]


def test_blank_line_in_a_one_column_file_is_a_record(tmp_path: Path) -> None:
    path = _write(tmp_path, b"id\r\n1\r\n\r\n3\r\n")
    table, problems, _ = read_csv(path)
    assert problems == []
    assert table is not None
    assert table.column("id") == ["1", "", "3"]
    assert table.lines == [2, 3, 4]
    assert _errors(validate_csv(path).problems) == [("blank-id", 3, 2, 1)]


def test_blank_lines_before_the_header_are_skipped(tmp_path: Path) -> None:
    path = _write(tmp_path, b"\n\r\nid,name\n1,Ann\n")
    report = validate_csv(path)
    assert report.valid
    assert [(p.code, p.line) for p in report.problems] == [("blank-row", 1), ("blank-row", 2)]
    assert report.header == ["id", "name"]
    assert report.table is not None and report.table.lines == [4]


def test_only_blank_lines_is_an_empty_file(tmp_path: Path) -> None:
    report = validate_csv(_write(tmp_path, b"\r\n\n"))
    assert _errors(report.problems) == [("empty-file", None, None, None)]
    assert report.header == [] and report.records == 0


def test_header_only_file_is_valid_with_no_records(tmp_path: Path) -> None:
    report = validate_csv(_write(tmp_path, b"id,name\r\n"))
    assert report.valid and report.records == 0
    assert report.table is not None and report.table.columns == [[], []]


# --------------------------------------------------------------------------- sound files


def test_good_lf_values_are_kept_exactly() -> None:
    report = validate_csv(DATA / "good_lf.csv")
    assert report.valid and report.problems == [] and report.id_column == "id"
    table = report.table
    assert table is not None and not table.had_bom
    assert table.header == ["id", "first_name", "last_name", "dob", "student_number"]
    assert table.column("student_number") == ["00123", " 042 "]
    assert table.column("first_name") == ["Ann", "Smith, Jr."]
    assert table.column("last_name") == ["Lee", "O'Brien"]
    assert list(table.rows())[1] == ["2", "Smith, Jr.", "O'Brien", "2010-03-04", " 042 "]
    assert table.n_records == 2 and table.lines == [2, 3]


def test_good_crlf_with_bom() -> None:
    table = read_table(DATA / "good_crlf_bom.csv")
    assert table.had_bom
    assert table.header == ["id", "first_name", "last_name"]
    assert table.column("first_name") == ["José", "张"]
    assert table.column("last_name") == ["Núñez", "伟"]


def test_multiline_quoted_fields() -> None:
    table = read_table(DATA / "multiline_quoted.csv")
    assert table.column("note") == [
        "first line\r\nsecond line, with comma",
        'say "hi"\nbye',
        "plain",
    ]
    assert table.column("name") == ["Ann", "Bob", "Cy"]
    assert table.lines == [2, 4, 6]


def test_mixed_line_endings_and_no_final_newline() -> None:
    table = read_table(DATA / "mixed_endings.csv")
    assert table.column("name") == ["Ann", "Bob", "Cy"]
    assert table.lines == [2, 3, 4]


def test_cp1252_with_the_right_encoding() -> None:
    report = validate_csv(DATA / "cp1252.csv", encoding="cp1252")
    assert report.valid and report.problems == []
    assert report.table is not None
    assert report.table.column("first_name") == ["José", "Renée"]


def test_utf16_is_named_and_readable_with_its_encoding(tmp_path: Path) -> None:
    no_bom = _write(tmp_path, "id,name\r\n1,Ann\r\n".encode("utf-16-le"))
    report = validate_csv(no_bom)
    assert _errors(report.problems) == [("invalid-utf8", 1, None, None)]
    assert "--encoding utf-16" in report.problems[0].message
    table = read_table(DATA / "utf16.csv", encoding="utf-16")
    assert table.column("name") == ["Ann"]


def test_undecodable_byte_in_another_encoding(tmp_path: Path) -> None:
    path = _write(tmp_path, b"id,name\n1,a\x81b\n")  # 0x81 is undefined in cp1252
    report = validate_csv(path, encoding="cp1252")
    assert _errors(report.problems) == [("invalid-encoding", 2, None, None)]
    assert "byte 4 of the line (0x81)" in report.problems[0].message


def test_every_field_quoted(tmp_path: Path) -> None:
    path = _write(tmp_path, b'"id","name"\r\n"1","Lee, Ann"\r\n"2","say ""hi"""\r\n"3",""\r\n')
    table = read_table(path)
    assert table.header == ["id", "name"]
    assert table.column("name") == ["Lee, Ann", 'say "hi"', ""]


def test_quoted_cr_is_data_and_crlf_inside_quotes_is_kept(tmp_path: Path) -> None:
    path = _write(tmp_path, b'id,note\r\n1,"a\rb"\r\n2,"c\r\nd"\r\n')
    assert read_table(path).column("note") == ["a\rb", "c\r\nd"]


# --------------------------------------------------------------------------- more positions


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"id,a,b\n1,2,3\n4,5,6,7\n", [("ragged-row", 3, 2, 4)]),
        (b'id,a\n1,"x\ny"\n2,"p"q\n', [("text-after-quote", 4, 2, 2)]),
        (b'id,a\n1, "x"\n', [("stray-quote", 2, 1, 2)]),
        (b'id,a\n1,"multi\nline",extra\n', [("ragged-row", 2, 1, 3)]),
        (b'"id,a\n1,2\n', [("unterminated-quote", 1, None, 1)]),
        (b"id,a\r1,2\r", [("bare-cr", 1, None, 2)]),
        (b"id,a\n1,2\n1,3\n1,4\n", [("duplicate-id", 3, 2, 1), ("duplicate-id", 4, 3, 1)]),
        (b"id,a\n 1,x\n1,y\n", []),  # ids are compared exactly
        (b"id,a\n  ,x\n", [("blank-id", 2, 1, 1)]),
        (b"id,a\n1,x\n2\n1,y\n", [("ragged-row", 3, 2, 2), ("duplicate-id", 4, 3, 1)]),
    ],
)
def test_positions(tmp_path: Path, data: bytes, expected: list[tuple[object, ...]]) -> None:
    assert _errors(validate_csv(_write(tmp_path, data)).problems) == expected


def test_bare_cr_message_names_the_line(tmp_path: Path) -> None:
    report = validate_csv(_write(tmp_path, b"id,a\r1,2\r"))
    assert "LF or CRLF" in report.problems[0].message


def test_explicit_id_column(tmp_path: Path) -> None:
    path = _write(tmp_path, b"Student Number,name\n1,Ann\n1,Bob\n")
    report = validate_csv(path, id_column="student_number")
    assert report.id_column == "Student Number"
    assert _errors(report.problems) == [("duplicate-id", 3, 2, 1)]
    assert report.problems[0].header == "Student Number"
    with pytest.raises(UsageError, match="not a header"):
        validate_csv(path, id_column="app_id")


def test_id_not_required(tmp_path: Path) -> None:
    report = validate_csv(DATA / "no_id_column.csv", require_id=False)
    assert report.valid and report.id_column is None and report.problems == []


# --------------------------------------------------------------------------- report and API


def test_problem_cap_keeps_full_counts(tmp_path: Path) -> None:
    data = b"id,a\n" + b"".join(b"%d\n" % i for i in range(50))
    report = validate_csv(_write(tmp_path, data), max_problems=5)
    assert len(report.problems) == 5
    assert report.problem_counts == {"ragged-row": 50}
    assert [p.line for p in report.problems] == [2, 3, 4, 5, 6]
    out = report.to_dict()
    assert out["problems_truncated"] is True
    json.dumps(out)  # plain JSON types only
    assert "table" not in out
    table, problems, counts = read_csv(tmp_path / "app.csv", max_problems=0)
    assert table is None and problems == [] and counts == {"ragged-row": 50}


def test_report_to_dict() -> None:
    out = validate_csv(DATA / "blank_id.csv").to_dict()
    assert out["valid"] is False and out["records"] == 3 and out["id_column"] == "id"
    assert out["header"] == ["id", "name"]
    assert out["problem_counts"] == {"blank-id": 1}
    assert out["problems_truncated"] is False
    assert out["problems"][0] == {
        "code": "blank-id",
        "message": out["problems"][0]["message"],
        "path": str(DATA / "blank_id.csv"),
        "line": 3,
        "record": 2,
        "column": 1,
        "header": "id",
        "severity": "error",
    }


def test_problem_render() -> None:
    p = Problem("ragged-row", "line 7 has 2 fields", "app.csv", 7, 6, 3, "DOB")
    assert p.render() == "app.csv:7: column 3 (DOB): ragged-row: line 7 has 2 fields"
    w = Problem("blank-row", "line 4 is blank", "app.csv", 4, None, None, None, "warning")
    assert w.render() == "app.csv:4: blank-row (warning): line 4 is blank"
    e = Problem("empty-file", "the file is empty", "app.csv", None, None, None, None)
    assert e.render() == "app.csv: empty-file: the file is empty"
    odd = Problem("blank-id", "x", "a.csv", 2, 1, 1, "first\nname\0")
    assert odd.render() == "a.csv:2: column 1 (first\\nname\\x00): blank-id: x"
    with pytest.raises(ValueError, match="CATALOGUE"):
        Problem("no-such-code", "x", "app.csv", None, None, None, None)


def test_catalogue_has_the_documented_codes() -> None:
    assert {
        "invalid-utf8",
        "empty-file",
        "blank-header",
        "duplicate-header",
        "ragged-row",
        "unterminated-quote",
        "stray-quote",
        "text-after-quote",
        "bare-cr",
        "nul-byte",
        "blank-row",
        "no-id-column",
        "blank-id",
        "duplicate-id",
        "no-matching-fields",
        "field-mapped",
        "few-matching-fields",
        "mixed-date-formats",
    } <= set(CATALOGUE)
    assert all(description.strip() for description in CATALOGUE.values())


def test_missing_file_directory_and_unknown_encoding(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"nope\.csv"):
        validate_csv(tmp_path / "nope.csv")
    with pytest.raises(UsageError, match="directory"):
        read_csv(tmp_path)
    with pytest.raises(UsageError, match="unknown encoding"):
        read_csv(DATA / "good_lf.csv", encoding="klingon")


def test_read_table_raises_on_invalid_data() -> None:
    with pytest.raises(InvalidDataError, match=r"ragged_row.csv:3: column 3 \(dob\): ragged-row"):
        read_table(DATA / "ragged_row.csv")


def test_table_access() -> None:
    table = CsvTable("t.csv", ["a", "b"], [["1", "2"], ["x", "y"]], [2, 3], False)
    assert table.n_records == 2
    assert list(table.rows()) == [["1", "x"], ["2", "y"]]
    with pytest.raises(KeyError, match="no column 'c'"):
        table.column("c")


def test_gc_state_is_restored() -> None:
    import gc

    assert gc.isenabled()
    read_csv(DATA / "good_lf.csv")
    assert gc.isenabled()


# --------------------------------------------------------------------------- writer


def test_write_table_bytes(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    write_table(
        path,
        ["id", "note", " pad"],
        [["00123", 'a,b "c"', "x"], ["2", "line\nbreak", " y"], ["3", "", "tab\t"]],
    )
    assert path.read_bytes() == (
        b'id,note," pad"\r\n00123,"a,b ""c""",x\r\n2,"line\nbreak"," y"\r\n3,,"tab\t"\r\n'
    )
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_write_table_round_trip_and_replace(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    path.write_text("old")
    rows = [["1", "Ünïcödé", '"', "\r"], ["2", "", ",", "\r\n"]]
    write_table(path, ["id", "a", "b", "c"], rows)
    table = read_table(path)
    assert list(table.rows()) == rows


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600)])
def test_write_table_follows_umask(tmp_path: Path, umask: int, mode: int) -> None:
    old = os.umask(umask)
    try:
        write_table(tmp_path / "out.csv", ["id"], [["1"]])
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "out.csv").stat().st_mode) == mode


def test_write_table_rejects_ragged_rows_and_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="row 2 has 1 values but the header has 2"):
        write_table(tmp_path / "out.csv", ["id", "a"], [["1", "x"], ["2"]])
    assert list(tmp_path.iterdir()) == []
