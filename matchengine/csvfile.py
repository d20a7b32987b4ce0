"""RFC 4180 reading, validation and writing.

``read_csv`` parses a whole file into a columnar ``CsvTable`` and reports every structural
problem (see ``problems.CATALOGUE``) with its physical line, record and column;
``validate_csv`` adds the internal-identifier checks and returns a ``CsvReport``.  Bad data
is reported, never raised: exceptions are only for a file that cannot be opened.

Speed (1M rows x 13 columns in about a second and a half): the file is decoded at once,
and the values become polars String columns, not Python strings:

- text with no double quote, NUL or bare CR is split as a whole (``_split_plain``: every
  line is checked to hold the right number of commas, then polars splits the text); if
  any line has the wrong field count it falls back to
- otherwise each run of 4 or more lines without a quote between lines with one is split
  the same way (``_split_run``), and the rest goes one physical line at a time: a line with
  no quote and no CR other than its CRLF ending is split on commas; a line whose every
  field is quoted with no quote inside a value is split on ``","``; only the other lines
  go through the careful tokenizer (``_Parser.record``), which reports positions and
  consumes further lines for quoted line breaks.  A run that is not regular (a blank line,
  a wrong field count, a stray CR or NUL) goes line by line too.

The cyclic garbage collector is paused while parsing (see ``perf.gc_paused``).  A CR at the
very end of a file with no LF after it is taken as a line ending, not as a bare CR.
"""

from __future__ import annotations

import codecs
import io
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path
from typing import IO, Any, cast

import polars as pl

from matchengine.atomic import atomic_text
from matchengine.errors import InvalidDataError, UsageError
from matchengine.fields import ID_HEADERS, find_id_column, header_key
from matchengine.perf import gc_paused
from matchengine.problems import WARNING, Problem

_UTF8_NAMES = ("utf-8", "utf-8-sig")
_ENCODING_HINT = "re-save it as UTF-8 (Excel: 'CSV UTF-8') or pass --encoding cp1252"


@dataclass
class CsvTable:
    """A parsed CSV file, column by column; every value is the text exactly as in the file.

    The columns are polars String series (``data``): at a million records, one Python
    string per cell took seconds to make and a gigabyte to hold.  ``columns`` gives them
    as lists, made on first use.
    """

    path: str
    header: list[str]
    data: list[pl.Series]
    lines: list[int]
    had_bom: bool = False
    _lists: list[list[str]] | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.data = [
            c if isinstance(c, pl.Series) else pl.Series(c, dtype=pl.String) for c in self.data
        ]

    @property
    def n_records(self) -> int:
        return len(self.lines)

    @property
    def columns(self) -> list[list[str]]:
        if self._lists is None:
            self._lists = [c.to_list() for c in self.data]
        return self._lists

    def series(self, name: str) -> pl.Series:
        """The column headed ``name`` (the first one if the header repeats)."""
        return self.data[self._index(name)]

    def column(self, name: str) -> list[str]:
        """The values of the column headed ``name`` (the first one if the header repeats)."""
        return self.columns[self._index(name)]

    def _index(self, name: str) -> int:
        try:
            return self.header.index(name)
        except ValueError:
            raise KeyError(
                f"{self.path}: no column {name!r}; headers are: {', '.join(self.header)}"
            ) from None

    def rows(self) -> Iterator[list[str]]:
        """The records as lists of values, in file order."""
        return map(list, zip(*self.columns, strict=True))


@dataclass
class CsvReport:
    """The outcome of ``validate_csv``: ``valid`` is true when no problem is an error."""

    path: str
    valid: bool
    records: int
    header: list[str]
    id_column: str | None
    problems: list[Problem]
    problem_counts: dict[str, int]
    table: CsvTable | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "valid": self.valid,
            "records": self.records,
            "header": list(self.header),
            "id_column": self.id_column,
            "problem_counts": dict(self.problem_counts),
            "problems_truncated": sum(self.problem_counts.values()) > len(self.problems),
            "problems": [p.to_dict() for p in self.problems],
        }


class _Problems:
    """Collects problems in file order, keeping at most ``cap`` but counting all of them."""

    def __init__(self, path: str, cap: int) -> None:
        self.path = path
        self.cap = max(0, cap)
        self.items: list[Problem] = []
        self.counts: dict[str, int] = {}
        self.has_error = False

    def add(
        self,
        code: str,
        message: str,
        line: int | None,
        record: int | None = None,
        column: int | None = None,
        header: str | None = None,
        severity: str = "error",
    ) -> None:
        self.counts[code] = self.counts.get(code, 0) + 1
        if severity != WARNING:
            self.has_error = True
        if len(self.items) < self.cap:
            self.items.append(
                Problem(code, message, self.path, line, record, column, header, severity)
            )


@dataclass
class _Parsed:
    """What the parser learned; ``columns`` hold only the records of the right length."""

    header: list[str] | None
    header_line: int | None  # None: a Parquet file (its rows are numbered from 1)
    records: int
    columns: list[pl.Series]
    lines: list[int]
    record_numbers: list[int]
    had_bom: bool


# --------------------------------------------------------------------------- decoding


def _load(path: str | os.PathLike[str]) -> bytes:
    p = Path(path)
    if p.is_dir():
        raise UsageError(f"{path} is a directory; give the path of a CSV file")
    try:
        return p.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file; check the path") from None
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None


def _decode(data: bytes, encoding: str, out: _Problems) -> tuple[str | None, bool]:
    """Decode ``data``; return the text (``None`` if not worth parsing) and the BOM flag.

    The first undecodable byte is reported with its line and offset, and every bad byte is
    replaced so that the structure can still be checked.  A file that looks like UTF-16 is
    reported once and not parsed: every line would be noise.
    """
    try:
        codec = codecs.lookup(encoding).name
    except LookupError:
        raise UsageError(
            f"unknown encoding {encoding!r}; use e.g. utf-8, cp1252 or latin-1"
        ) from None
    code = "invalid-utf8" if codec in _UTF8_NAMES else "invalid-encoding"
    if not codec.startswith(("utf-16", "utf-32")) and _looks_like_utf16(data):
        out.add(
            code,
            "the file looks like UTF-16 (it is full of NUL bytes or starts with a UTF-16 "
            "byte-order mark): re-save it as UTF-8 (Excel: 'CSV UTF-8') or pass "
            "--encoding utf-16",
            1,
        )
        return None, False
    had_bom = False
    if codec in _UTF8_NAMES:
        codec = "utf-8"
        if data.startswith(codecs.BOM_UTF8):
            data = data[len(codecs.BOM_UTF8) :]
            had_bom = True
    try:
        return data.decode(codec), had_bom
    except UnicodeDecodeError as exc:
        text = data.decode(codec, errors="replace")
        line = data.count(b"\n", 0, exc.start) + 1
        offset = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        if had_bom and line == 1:
            offset += len(codecs.BOM_UTF8)
        bad = data[exc.start : exc.end].hex(" ").upper()
        where = f"line {line}, byte {offset} of the line (0x{bad})"
        if codec != "utf-8":
            out.add(
                code,
                f"{where} cannot be decoded as {codec}; pass the file's real encoding with "
                "--encoding (e.g. utf-8, cp1252, latin-1)",
                line,
            )
        else:
            n_bad = text.count("\ufffd") - data.count("\ufffd".encode())
            more = f" ({n_bad} bad byte sequences in all)" if n_bad > 1 else ""
            out.add(
                code,
                f"the file is not valid UTF-8: first bad byte at {where}{more}; "
                f"{_ENCODING_HINT} if that is how it was saved",
                line,
            )
        return text, had_bom


def _looks_like_utf16(data: bytes) -> bool:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return True
    head = data[:4096]
    return len(head) >= 4 and head.count(0) * 4 >= len(head)


# --------------------------------------------------------------------------- parsing


class _Parser:
    """Tokenizes decoded text into records; see the module docstring for the design."""

    def __init__(self, out: _Problems, has_nul: bool) -> None:
        self.out = out
        self.has_nul = has_nul
        self.header: list[str] | None = None

    def _header_of(self, column: int) -> str | None:
        if self.header is not None and column <= len(self.header):
            return self.header[column - 1]
        return None

    def record(
        self, raw: str, idx: int, lines: Iterator[tuple[int, str]], record: int | None
    ) -> list[str] | None:
        """Parse the record starting on physical line ``idx`` (0-based) the careful way.

        ``lines`` yields the following lines and is advanced past every line the record
        uses.  Returns ``None`` when the record never ends (an unterminated quote).
        """
        out = self.out
        fields: list[str] = []
        line = raw
        lineno = idx + 1
        end = len(line) - 1 if line.endswith("\r") else len(line)
        pos = 0
        while True:
            column = len(fields) + 1
            if pos < end and line[pos] == '"':
                open_line = lineno
                parts: list[str] = []
                pos += 1
                while True:
                    q = line.find('"', pos)
                    if q == -1:  # the quoted field goes on to the next physical line
                        parts.append(line[pos:])
                        nxt = next(lines, None)
                        if nxt is None:
                            out.add(
                                "unterminated-quote",
                                f"the quoted field that opens on line {open_line} is never "
                                "closed, so the rest of the file is inside it; add the closing "
                                'quote, or double a quote that is part of the value ("")',
                                open_line,
                                record,
                                column,
                                self._header_of(column),
                            )
                            return None
                        lineno = nxt[0] + 1
                        line = nxt[1]
                        parts.append("\n")
                        pos = 0
                        continue
                    parts.append(line[pos:q])
                    if line.startswith('"', q + 1):  # "" is an escaped quote
                        parts.append('"')
                        pos = q + 2
                        continue
                    pos = q + 1
                    break
                end = len(line) - 1 if line.endswith("\r") else len(line)
                value = "".join(parts)
                if pos < end and line[pos] != ",":
                    comma = line.find(",", pos, end)
                    stop = end if comma == -1 else comma
                    opened = f" (it opened on line {open_line})" if open_line != lineno else ""
                    out.add(
                        "text-after-quote",
                        f"on line {lineno} the quoted field{opened} is followed by "
                        f"{line[pos:stop][:20]!r} before the next comma; put the whole value "
                        'inside the quotes and double any quote within it ("")',
                        lineno,
                        record,
                        column,
                        self._header_of(column),
                    )
                    value += line[pos:stop]
                    pos = stop
            else:
                comma = line.find(",", pos, end)
                stop = end if comma == -1 else comma
                value = line[pos:stop]
                pos = stop
                if '"' in value:
                    if value.lstrip(" \t").startswith('"'):
                        fix = "remove the spaces before the opening quote"
                    else:
                        fix = 'quote the whole value and double the inner quote: "5"" tall"'
                    out.add(
                        "stray-quote",
                        f"the unquoted value {value[:30]!r} on line {lineno} contains a "
                        f"double quote; {fix}",
                        lineno,
                        record,
                        column,
                        self._header_of(column),
                    )
                if "\r" in value:
                    out.add(
                        "bare-cr",
                        f"line {lineno} has a carriage return (CR) not followed by a line "
                        "feed; re-save the file with LF or CRLF line endings, or quote the value",
                        lineno,
                        record,
                        column,
                        self._header_of(column),
                    )
            if self.has_nul and "\0" in value:
                out.add(
                    "nul-byte",
                    f"line {lineno} has a NUL (0x00) character in column {column}; remove it "
                    "(a file full of NULs is usually UTF-16: re-save it as UTF-8)",
                    lineno,
                    record,
                    column,
                    self._header_of(column),
                )
            fields.append(value)
            if pos >= end:
                return fields
            pos += 1  # past the comma

    def parse(self, text: str, had_bom: bool) -> _Parsed:
        plain = _plain_text(text)
        if plain is not None:
            parsed = self._parse_plain(plain, had_bom)
            if parsed is not None:
                return parsed
        physical = text.split("\n")
        if physical[-1] == "":
            physical.pop()  # a final line break does not start a record
        lines = _Lines(physical)
        # The header: the first non-blank record.
        blank_before: list[int] = []
        header: list[str] | None = None
        header_line = 0
        for idx, raw in lines:
            if raw in ("", "\r"):
                blank_before.append(idx + 1)
                continue
            header_line = idx + 1
            header = self.record(raw, idx, lines, None)
            break
        if header is None:
            if header_line == 0:
                self.out.add(
                    "empty-file",
                    "the file is empty: it needs a header row naming every column, then one "
                    "row per record",
                    None,
                )
            return _Parsed(None, header_line, 0, [], [], [], had_bom)
        self._start(header, header_line, blank_before)
        return self._records(header, header_line, lines, had_bom)

    def _parse_plain(self, text: str, had_bom: bool) -> _Parsed | None:
        """Split text with no quote, NUL or CR at C speed; ``None`` if a line is irregular."""
        rest = text.lstrip("\n")
        if not rest:
            return None
        header_line = len(text) - len(rest) + 1
        end = rest.find("\n")
        head, body = (rest, "") if end == -1 else (rest[:end], rest[end + 1 :])
        header = head.split(",")
        columns = _split_plain(body, len(header))
        if columns is None:
            return None
        self._start(header, header_line, range(1, header_line))
        n_records = len(columns[0])
        starts = list(range(header_line + 1, header_line + 1 + n_records))
        numbers = list(range(1, n_records + 1))
        return _Parsed(header, header_line, n_records, columns, starts, numbers, had_bom)

    def _start(
        self, header: list[str], header_line: int | None, blank_before: Iterable[int]
    ) -> None:
        self.header = header
        for lineno in blank_before:
            self._blank_row(lineno)
        self._check_header(header, header_line)

    def _records(
        self,
        header: list[str],
        header_line: int,
        lines: _Lines,
        had_bom: bool,
    ) -> _Parsed:
        """The data records (see the module docstring).  Runs of lines without a quote are
        split whole (``_split_run``, at C speed); the other lines, and any run that is
        not regular, go one physical line at a time."""
        has_nul = self.has_nul
        n = len(header)
        single = n == 1  # then a blank line is a record with one empty value
        physical = lines.physical
        total = len(physical)
        bodies: list[str] = []  # runs split whole, in file order (see _split_run)
        body_at: list[int] = []  # the position of each run's first record among the kept
        body_len: list[int] = []
        row_at: list[int] = []  # the position of each record parsed on its own
        rows: list[list[str]] = []  # records parsed one by one
        starts: list[int] = []
        numbers: list[int] = []
        add_row = rows.append
        add_start = starts.append
        add_number = numbers.append
        rec = 0
        quoted = iter([*(i for i in range(lines.pos, total) if '"' in physical[i]), total])
        next_quoted = next(quoted)
        while lines.pos < total:
            while next_quoted < lines.pos:  # passed inside a quoted line break
                next_quoted = next(quoted)
            run = next_quoted - lines.pos
            if run >= _RUN_MIN:
                body = _split_run(physical, lines.pos, next_quoted, n, has_nul)
                if body is not None:
                    bodies.append(body)
                    body_at.append(len(starts))
                    body_len.append(run)
                    starts.extend(range(lines.pos + 1, next_quoted + 1))
                    numbers.extend(range(rec + 1, rec + run + 1))
                    rec += run
                    lines.pos = next_quoted
                    continue
            # One line at a time, up to and including the next line with a quote.
            stop = min(next_quoted + 1, total)
            unterminated = False
            while lines.pos < stop:
                idx, raw = next(lines)
                line = raw[:-1] if raw.endswith("\r") else raw
                fields: list[str] | None
                if '"' in line:
                    fields = _split_all_quoted(line, n) or self.record(raw, idx, lines, rec + 1)
                elif "\r" in line or (has_nul and "\0" in line):
                    fields = self.record(raw, idx, lines, rec + 1)
                elif line or single:
                    fields = line.split(",")
                else:
                    self._blank_row(idx + 1)
                    continue
                rec += 1
                if fields is None:
                    unterminated = True  # the rest of the file is inside an open quote
                    break
                if len(fields) == n:
                    row_at.append(len(starts))
                    add_row(fields)
                    add_start(idx + 1)
                    add_number(rec)
                else:
                    self._ragged(idx + 1, rec, n, len(fields))
            if unterminated:
                break
        columns = _assemble(n, (bodies, body_at, body_len), (rows, row_at))
        return _Parsed(header, header_line, rec, columns, starts, numbers, had_bom)

    def _blank_row(self, lineno: int) -> None:
        self.out.add(
            "blank-row",
            f"line {lineno} is blank and was skipped; delete it if it is not meant as a record",
            lineno,
            severity=WARNING,
        )

    def _ragged(self, lineno: int, rec: int, expected: int, found: int) -> None:
        column = min(expected, found) + 1  # the first extra or missing field
        if found > expected:
            fix = "a value that contains a comma must be in double quotes"
        else:
            fix = "add the missing values (an empty value still needs its comma)"
        self.out.add(
            "ragged-row",
            f"line {lineno} has {found} fields but the header has {expected}; {fix}",
            lineno,
            rec,
            column,
            self._header_of(column),
        )

    def _check_header(self, header: list[str], lineno: int | None) -> None:
        exact: dict[str, int] = {}
        folded: dict[str, int] = {}
        for j, cell in enumerate(header, start=1):
            name = cell.strip()
            if not name:
                self.out.add(
                    "blank-header",
                    f"the header of column {j} is empty; give every column a name",
                    lineno,
                    None,
                    j,
                    cell,
                )
                continue
            key = header_key(cell)
            if name in exact:
                first = exact[name]
                self.out.add(
                    "duplicate-header",
                    f"column {j} is headed {cell!r} like column {first}; give every column "
                    "a distinct name",
                    lineno,
                    None,
                    j,
                    cell,
                )
            elif key in folded:
                first = folded[key]
                self.out.add(
                    "duplicate-header",
                    f"column {j} {cell!r} and column {first} {header[first - 1]!r} are the "
                    "same header once case, spaces, '_', '-' and '.' are ignored (which is "
                    "how headers are mapped); rename one of them",
                    lineno,
                    None,
                    j,
                    cell,
                )
            exact.setdefault(name, j)
            folded.setdefault(key, j)


def _read_parquet(path: str | os.PathLike[str], out: _Problems) -> _Parsed:
    """A Parquet app export as text columns, checked like a CSV's header and ids.

    Every value becomes its text (numbers as written by Arrow, dates as ISO dates; null is
    empty); a column of lists or structs is refused.  Problems name the row (1 = the first
    row) where a CSV's would name the line.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    data = _load(path)  # the same refusals as a CSV: a folder, a missing or unreadable file
    try:
        table = pq.read_table(pa.BufferReader(data))
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise UsageError(
            f"{path}: not a readable Parquet file ({exc}); check it and re-run"
        ) from None
    header = list(table.column_names)
    parser = _Parser(out, False)
    if not header:
        out.add("empty-file", "the Parquet file has no columns", None)
        return _Parsed(None, None, 0, [], [], [], False)
    parser._start(header, None, ())
    columns: list[pl.Series] = []
    for i, (name, column) in enumerate(zip(header, table.columns, strict=True), 1):
        kind = column.type
        if pa.types.is_nested(kind) or pa.types.is_binary(kind) or pa.types.is_large_binary(kind):
            out.add(
                "nested-column",
                f"column {name!r} holds {kind}, not text or numbers; flatten it to text "
                "before matching",
                None,
                column=i,
                header=name,
            )
            columns.append(pl.Series("", [""] * table.num_rows, dtype=pl.String))
            continue
        text = pl.from_arrow(pc.fill_null(pc.cast(column, pa.string()), ""))
        assert isinstance(text, pl.Series)
        columns.append(text.cast(pl.String).alias(""))
    rows = list(range(1, table.num_rows + 1))
    return _Parsed(header, None, table.num_rows, columns, rows, rows, False)


def is_parquet(path: str | os.PathLike[str]) -> bool:
    return str(path).lower().endswith(".parquet")


def _read(
    path: str | os.PathLike[str], encoding: str, max_problems: int
) -> tuple[_Parsed, _Problems]:
    out = _Problems(str(path), max_problems)
    if is_parquet(path):
        return _read_parquet(path, out), out
    data = _load(path)
    text, had_bom = _decode(data, encoding, out)
    del data
    if text is None:
        return _Parsed(None, 0, 0, [], [], [], had_bom), out
    with gc_paused():
        parsed = _Parser(out, "\0" in text).parse(text, had_bom)
    return parsed, out


def _table(path: str | os.PathLike[str], parsed: _Parsed) -> CsvTable | None:
    if parsed.header is None:
        return None
    return CsvTable(str(path), parsed.header, parsed.columns, parsed.lines, parsed.had_bom)


class _Lines:
    """The physical lines with their index, as an iterator whose position (``pos``, the
    next index) can be read and moved."""

    def __init__(self, physical: list[str]) -> None:
        self.physical = physical
        self.pos = 0

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> tuple[int, str]:
        i = self.pos
        if i >= len(self.physical):
            raise StopIteration
        self.pos = i + 1
        return i, self.physical[i]


# Shorter runs of quote-free lines are not worth joining and splitting whole (at a
# million records with a quoted line every hundred, 4 took 1.5 s to validate, 64 took 2.0).
_RUN_MIN = 4


def _split_run(physical: list[str], start: int, stop: int, n: int, has_nul: bool) -> str | None:
    """Lines ``start`` to ``stop`` (none holding a quote) as one text to split whole (LF
    between lines, CRLF endings dropped), or ``None`` when one of them needs the
    line-by-line path (a blank line, a CR other than a line end, a NUL, a wrong number of
    fields)."""
    last = physical[stop - 1]
    if last in ("", "\r"):
        return None
    lines = physical[start:stop]
    if not _regular(lines, n):
        return None
    body = "\n".join(lines)
    if "\r" in body:
        body = body.replace("\r\n", "\n")
        if body.endswith("\r"):
            body = body[:-1]
        if "\r" in body:
            return None
    if has_nul and "\0" in body:
        return None
    return body


def _regular(lines: Sequence[str], n: int) -> bool:
    """Every line has exactly ``n`` fields: ``n - 1`` commas (the lines hold no quote)."""
    return set(map(str.count, lines, repeat(","))) == {n - 1}


def _columns_of(bodies: list[str], n: int) -> list[pl.Series]:
    """The ``n`` columns of texts of regular lines (see ``_split_run``), split by polars:
    no Python string per value."""
    # Every line has n - 1 commas: with its line breaks made commas too, a text splits
    # into its values row after row, and column j is every n-th value from the j-th.
    values = (
        pl.Series(bodies, dtype=pl.String)
        .str.replace_all("\n", ",", literal=True)
        .str.split(",")
        .explode()
    )
    return [values.gather_every(n, j) for j in range(n)]


def _assemble(
    n: int,
    runs: tuple[list[str], list[int], list[int]],
    one_by_one: tuple[list[list[str]], list[int]],
) -> list[pl.Series]:
    """The columns in file order, from the runs split whole (their texts, the position of
    each run's first record and its length) and the records parsed on their own (with
    their positions)."""
    names = [f"c{j}" for j in range(n)]
    parts: list[pl.DataFrame] = []
    bodies, body_at, body_len = runs
    if bodies:
        at = pl.DataFrame(
            {"at": body_at, "len": body_len}, schema={"at": pl.Int64, "len": pl.Int64}
        )
        seq = at.select(pl.int_ranges("at", pl.col("at") + pl.col("len"))).to_series().explode()
        parts.append(
            pl.DataFrame(
                [c.alias(name) for c, name in zip(_columns_of(bodies, n), names, strict=True)]
            ).with_columns(seq.alias("seq"))
        )
    rows, row_at = one_by_one
    if rows:
        columns = [
            pl.Series(name, c, dtype=pl.String)
            for name, c in zip(names, zip(*rows, strict=True), strict=True)
        ]
        parts.append(pl.DataFrame(columns).with_columns(pl.Series("seq", row_at, dtype=pl.Int64)))
    if not parts:
        return [pl.Series("", [], dtype=pl.String) for _ in range(n)]
    frame = parts[0] if len(parts) == 1 else pl.concat(parts).sort("seq")
    return [frame.get_column(name).alias("") for name in names]


def _plain_text(text: str) -> str | None:
    """``text`` with CRLF turned into LF, or ``None`` if it has a quote, a NUL or a bare CR."""
    if '"' in text or "\0" in text:
        return None
    if "\r" in text:
        if text.count("\r") != text.count("\r\n"):
            return None
        return text.replace("\r\n", "\n")
    return text


def _split_plain(body: str, n: int) -> list[pl.Series] | None:
    """The columns of ``body`` (LF-separated lines, no quote, CR or NUL) split as a whole,
    or ``None`` unless every line has exactly ``n`` fields."""
    if not body:
        return [pl.Series("", [], dtype=pl.String) for _ in range(n)]
    if body.endswith("\n"):
        body = body[:-1]
    if not _regular(body.split("\n"), n):
        return None
    return _columns_of([body], n)


def _split_all_quoted(line: str, n: int) -> list[str] | None:
    """Fields of a line like ``"a","b","c"`` whose values hold no quote (else ``None``).

    With its two end quotes cut, such a line holds exactly the ``2 * (n - 1)`` quotes of its
    separators, so splitting on ``","`` is exact; SIS exports often quote every field.
    """
    if (
        len(line) > 1
        and line[0] == '"' == line[-1]
        and line.count('"', 1, -1) == 2 * (n - 1)
        and "\0" not in line
    ):
        fields = line[1:-1].split('","')
        if len(fields) == n:
            return fields
    return None


# --------------------------------------------------------------------------- public API


def read_csv(
    path: str | os.PathLike[str], *, encoding: str = "utf-8", max_problems: int = 100
) -> tuple[CsvTable | None, list[Problem], dict[str, int]]:
    """Parse ``path``; return the table (``None`` if any error), the problems and their counts.

    ``problems`` holds at most ``max_problems`` items, in file order; ``counts`` counts all.
    Raises ``UsageError`` only when the file cannot be read (missing, a directory).
    """
    parsed, out = _read(path, encoding, max_problems)
    table = None if out.has_error else _table(path, parsed)
    return table, out.items, out.counts


def validate_csv(
    path: str | os.PathLike[str],
    *,
    encoding: str = "utf-8",
    id_column: str | None = None,
    require_id: bool = True,
    max_problems: int = 100,
) -> CsvReport:
    """Check an app CSV: RFC 4180 structure, header, and a unique, non-blank identifier.

    ``id_column`` names the identifier column (exactly or after header folding); without
    it a known id header is used.  Raises ``UsageError`` when ``id_column`` names no header
    or the file cannot be read; every data problem is in the report.
    """
    parsed, out = _read(path, encoding, max_problems)
    structure_ok = not out.has_error
    header = parsed.header or []
    id_col: str | None = None
    if parsed.header is not None:
        id_col = find_id_column(header, id_column)
        if id_col is None:
            if require_id:
                accepted = ", ".join(ID_HEADERS)
                out.add(
                    "no-id-column",
                    "no internal identifier column: name one with --id-column, or use one of "
                    f"these headers: {accepted}",
                    parsed.header_line,
                )
        else:
            _check_ids(parsed, header.index(id_col), id_col, out)
    table = _table(path, parsed) if structure_ok else None
    return CsvReport(
        path=str(path),
        valid=not out.has_error,
        records=parsed.records,
        header=list(header),
        id_column=id_col,
        problems=out.items,
        problem_counts=out.counts,
        table=table,
    )


# Python's whitespace (``str.strip``, ``str.isspace``) as a regex class for polars.
_PY_SPACE = r"[\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}]"


def _check_ids(parsed: _Parsed, j: int, name: str, out: _Problems) -> None:
    column = parsed.columns[j]
    blank = column.str.contains(f"^{_PY_SPACE}*$")
    if column.n_unique() == column.len() and not blank.any():
        return  # the usual case, checked by polars
    values = column.to_list()
    lines = parsed.lines
    numbers = parsed.record_numbers
    first_seen: dict[str, int] = {}
    for i, value in enumerate(values):
        if not value.strip():
            out.add(
                "blank-id",
                f"the identifier ({name}) on line {lines[i]} is empty; every record needs "
                "a unique identifier",
                lines[i],
                numbers[i],
                j + 1,
                name,
            )
            continue
        first = first_seen.setdefault(value, i)
        if first != i:
            out.add(
                "duplicate-id",
                f"the identifier {value!r} ({name}) on line {lines[i]} was already used on "
                f"line {lines[first]}; every record needs a unique identifier",
                lines[i],
                numbers[i],
                j + 1,
                name,
            )


def read_table(path: str | os.PathLike[str], encoding: str = "utf-8") -> CsvTable:
    """Read a file expected to be sound (e.g. a Matchmaker output).

    Raises ``InvalidDataError`` carrying the first error when it is not.
    """
    table, problems, counts = read_csv(path, encoding=encoding, max_problems=1_000)
    if table is None:
        errors = [p for p in problems if p.is_error]
        total = sum(counts.values())
        if errors:
            more = f" (and {total - 1} more problem(s))" if total > 1 else ""
            raise InvalidDataError(errors[0].render() + more)
        raise InvalidDataError(f"{path}: invalid CSV ({total} problems: {counts})")
    return table


# --------------------------------------------------------------------------- writing

_NEEDS_QUOTES = re.compile(r'[,"\r\n]|^[ \t\ufeff]|[ \t]$')


def _quote(value: str) -> str:
    """Quote ``value`` only when it must be (or when spaces at its ends could be lost)."""
    if _NEEDS_QUOTES.search(value):
        return '"' + value.replace('"', '""') + '"'
    return value


def _format_row(row: Sequence[str]) -> str:
    line = ",".join(row)
    # The usual row needs no quotes: check the joined line with a few scans in C.
    if (
        line.count(",") == len(row) - 1
        and '"' not in line
        and "\n" not in line
        and "\r" not in line
        and "\ufeff" not in line
        and " ," not in line
        and ", " not in line
        and "\t," not in line
        and ",\t" not in line
        and line[:1] not in (" ", "\t")
        and line[-1:] not in (" ", "\t")
    ):
        return line
    return ",".join(map(_quote, row))


def write_table(path: str | Path, header: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    """Write an RFC 4180 file atomically: UTF-8 without BOM, CRLF, minimal quoting.

    The file appears under ``path`` only when complete (temporary name in the same
    directory, then rename); its permissions follow the umask.  Every row must have as
    many values as the header (``ValueError`` otherwise).
    """
    path = Path(path)
    n = len(header)
    with atomic_text(path) as fh:
        fh.write(",".join(map(_quote, header)) + "\r\n")
        chunk: list[str] = []
        for number, row in enumerate(rows, start=1):
            if len(row) != n:
                raise ValueError(
                    f"{path}: row {number} has {len(row)} values but the header has {n}"
                )
            chunk.append(_format_row(row))
            if len(chunk) >= 10_000:
                chunk.append("")
                fh.write("\r\n".join(chunk))
                chunk = []
        if chunk:
            chunk.append("")
            fh.write("\r\n".join(chunk))


# The same test as ``_NEEDS_QUOTES``, in the regex dialect of polars.
_NEEDS_QUOTES_PL = r'[,"\r\n]|^[ \t\x{FEFF}]|[ \t]$'


def _quoted_expr(name: str) -> pl.Expr:
    """The column's values as RFC 4180 fields, quoted exactly when ``_quote`` would."""
    value = pl.col(name).fill_null("")
    needs = value.str.contains(_NEEDS_QUOTES_PL)
    quoted = pl.lit('"') + value.str.replace_all('"', '""', literal=True) + pl.lit('"')
    return pl.when(needs).then(quoted).otherwise(value)


def write_frame(path: str | Path, frame: pl.DataFrame) -> None:
    """``write_table`` for a polars frame of String columns (nulls written as empty).

    The same bytes as ``write_table`` (header from the column names, CRLF, the same
    quoting), with no Python string per value: the few columns holding a value that needs
    quotes are quoted by vectorised string operations, and polars writes the fields as
    they are.
    """
    renamed = frame.rename({c: f"c{i}" for i, c in enumerate(frame.columns)})
    # A null never needs quotes (``any`` skips it), and polars writes it as empty.
    quoting = (
        renamed.select(
            [pl.col(c).str.contains(_NEEDS_QUOTES_PL).any().alias(c) for c in renamed.columns]
        ).row(0)
        if frame.width
        else ()
    )
    fields = renamed.with_columns(
        [
            _quoted_expr(c).alias(c)
            for c, needs in zip(renamed.columns, quoting, strict=True)
            if needs
        ]
    )
    with atomic_text(path) as fh:
        fh.write(",".join(map(_quote, frame.columns)) + "\r\n")
        if fields.height:
            # Bytes straight to the file under the text layer (UTF-8 both): half the time
            # of writing through it.
            fh.flush()
            binary = cast(IO[bytes], cast(io.TextIOWrapper, fh).buffer)
            fields.write_csv(
                binary, include_header=False, quote_style="never", line_terminator="\r\n"
            )
