"""Hypothesis properties of the CSV reader, validator and writer."""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from matchengine import csvfile
from matchengine.csvfile import CsvReport, read_csv, read_table, validate_csv, write_table
from matchengine.fields import header_key
from matchengine.problems import CATALOGUE

# Any text but lone surrogates (not encodable) and NUL (reported as a problem by design),
# with the characters that matter to CSV drawn often.
_CHARS = st.one_of(
    st.sampled_from([",", '"', "\r", "\n", "\r\n", " ", "\t", "\ufeff", "é", "名"]),
    st.characters(exclude_categories=["Cs"], exclude_characters="\0"),
)
VALUES = st.lists(_CHARS, max_size=12).map("".join)
HEADERS = st.lists(
    VALUES.filter(lambda h: h.strip() != ""), min_size=1, max_size=6, unique_by=header_key
)

# Values that need no quotes: the reader's whole-file fast path.  (No U+FEFF: unquoted at
# the start of a file it is a byte-order mark.)
PLAIN = st.text(
    alphabet=st.characters(exclude_categories=["Cs"], exclude_characters=',"\r\n\0\ufeff'),
    max_size=8,
)
PLAIN_HEADERS = st.lists(
    PLAIN.filter(lambda h: h.strip() != ""), min_size=1, max_size=5, unique_by=header_key
)


@st.composite
def tables(
    draw: st.DrawFn, headers: st.SearchStrategy[list[str]], values: st.SearchStrategy[str]
) -> tuple[list[str], list[list[str]]]:
    header = draw(headers)
    row = st.lists(values, min_size=len(header), max_size=len(header))
    return header, draw(st.lists(row, max_size=8))


@settings(max_examples=300, deadline=None)
@given(tables(HEADERS, VALUES))
def test_written_tables_validate_and_read_back_identically(
    table: tuple[list[str], list[list[str]]],
) -> None:
    header, rows = table
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t.csv"
        write_table(path, header, rows)
        report = validate_csv(path, require_id=False)
        assert report.valid, [p.render() for p in report.problems]
        assert report.problems == []
        assert report.records == len(rows)
        back = read_table(path)
    assert back.header == header
    assert list(back.rows()) == rows
    assert back.n_records == len(rows)


@settings(max_examples=200, deadline=None)
@given(
    tables(PLAIN_HEADERS, PLAIN),
    st.sampled_from(["\n", "\r\n"]),
    st.booleans(),
    st.booleans(),
)
def test_unquoted_files_read_the_same_on_the_fast_and_careful_paths(
    table: tuple[list[str], list[list[str]]], newline: str, bom: bool, quote_header: bool
) -> None:
    header, rows = table
    first = ",".join(f'"{h}"' for h in header) if quote_header else ",".join(header)
    text = newline.join([first, *(",".join(r) for r in rows)]) + newline
    data = (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t.csv"
        path.write_bytes(data)
        got, problems, _ = read_csv(path)
    assert problems == []
    assert got is not None
    assert got.header == header
    assert got.had_bom == bom
    assert list(got.rows()) == rows
    assert got.lines == list(range(2, len(rows) + 2))


_CSVISH = st.lists(
    st.sampled_from(
        [b"a", b"id", b",", b'"', b'""', b"\r", b"\n", b"\r\n", b"\0", b"\xff", b"\xe9", b" "]
    ),
    max_size=60,
).map(b"".join)


def _check_report(report: CsvReport, cap: int) -> None:
    assert len(report.problems) <= cap
    assert sum(report.problem_counts.values()) >= len(report.problems)
    for problem in report.problems:
        assert problem.code in CATALOGUE
        assert "\n" not in problem.render()
    has_error = any(p.is_error for p in report.problems)
    assert report.valid == (not has_error) or len(report.problems) == cap
    if report.table is not None:
        assert len(report.table.columns) == len(report.table.header)
        assert all(len(c) == report.table.n_records for c in report.table.columns)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=200), _CSVISH), st.sampled_from(["utf-8", "cp1252"]))
def test_validator_never_raises_on_any_bytes(data: bytes, encoding: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t.csv"
        path.write_bytes(data)
        report = validate_csv(path, encoding=encoding, max_problems=5)
    assert isinstance(report, CsvReport)
    _check_report(report, 5)


@settings(max_examples=200, deadline=None)
@given(tables(HEADERS, VALUES))
def test_frame_writer_writes_the_same_bytes_as_the_row_writer(
    table: tuple[list[str], list[list[str]]],
) -> None:
    """The vectorised writer used for results is byte-for-byte the row writer."""
    import polars as pl

    from matchengine.csvfile import write_frame

    header, rows = table
    frame = pl.DataFrame(
        {h: [r[j] for r in rows] for j, h in enumerate(header)},
        schema={h: pl.String for h in header},
    )
    with tempfile.TemporaryDirectory() as tmp:
        a, b = Path(tmp) / "a.csv", Path(tmp) / "b.csv"
        write_table(a, header, rows)
        write_frame(b, frame)
        assert a.read_bytes() == b.read_bytes()


def test_frame_writer_writes_a_null_as_an_empty_field() -> None:
    import polars as pl

    from matchengine.csvfile import write_frame

    frame = pl.DataFrame(
        {"plain": ["a", None], "quoted": [None, "x, y"]},
        schema={"plain": pl.String, "quoted": pl.String},
    )
    with tempfile.TemporaryDirectory() as tmp:
        a, b = Path(tmp) / "a.csv", Path(tmp) / "b.csv"
        write_table(a, ["plain", "quoted"], [["a", ""], ["", "x, y"]])
        write_frame(b, frame)
        assert b.read_bytes() == a.read_bytes() == b'plain,quoted\r\na,\r\n,"x, y"\r\n'


_LINES = st.lists(
    st.lists(
        st.sampled_from(["a", "bc", ",", ",", '"', '""', "\r", " ", "\0", "é"]), max_size=8
    ).map("".join),
    min_size=1,
    max_size=40,
)


def _parse_with_runs_of(text: str, run_min: int) -> tuple[object, list[list[str]], list[str]]:
    saved = csvfile._RUN_MIN
    csvfile._RUN_MIN = run_min
    try:
        out = csvfile._Problems("t.csv", 1000)
        parsed = csvfile._Parser(out, "\0" in text).parse(text, False)
    finally:
        csvfile._RUN_MIN = saved
    columns = [c.to_list() for c in parsed.columns]  # polars series: compared as lists
    return dataclasses.replace(parsed, columns=[]), columns, [p.render() for p in out.items]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["a,b,c", "a", "a,b"]), _LINES, st.sampled_from(["\n", "\r\n"]))
def test_runs_split_whole_read_exactly_as_line_by_line(
    header: str, lines: list[str], newline: str
) -> None:
    """Runs of quote-free lines split whole give the very records, line numbers and
    problems that parsing every line on its own gives, whatever the lines hold."""
    text = newline.join([header, *lines]) + newline
    assert _parse_with_runs_of(text, 1) == _parse_with_runs_of(text, 10**9)
