"""The one catalogue of data problems: stable codes, positions and a one-line rendering.

Bad data is reported as ``Problem`` values, never raised.  Every code a module emits is
listed in ``CATALOGUE`` (code -> short description); the docs are generated from it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

ERROR = "error"
WARNING = "warning"
SEVERITIES = (ERROR, WARNING)

CATALOGUE: dict[str, str] = {
    # encoding
    "invalid-utf8": "the file is not valid UTF-8 (often an Excel export: try --encoding cp1252)",
    "invalid-encoding": "a byte cannot be decoded with the encoding given by --encoding",
    "nul-byte": "a NUL (0x00) character in a value, usually a sign of a UTF-16 or binary file",
    # structure (RFC 4180)
    "empty-file": "the file has no header row",
    "blank-header": "a header cell is empty",
    "duplicate-header": "two header cells are the same (also after folding case and punctuation)",
    "ragged-row": "a record does not have as many fields as the header",
    "unterminated-quote": "a quoted field is never closed",
    "stray-quote": "a double quote inside an unquoted field",
    "text-after-quote": "characters between a closing quote and the next comma or line end",
    "bare-cr": "a carriage return (CR) not followed by a line feed, outside quotes",
    "blank-row": "a blank line, skipped (in a one-column file it is a record with an empty value)",
    # identifiers
    "no-id-column": "no internal identifier column (pass --id-column)",
    "blank-id": "a record's internal identifier is empty",
    "duplicate-id": "two records share an internal identifier",
    # field mapping (reported by the field-mapping stage)
    "no-matching-fields": "no header maps to a matching field for the role",
    "field-mapped": "which header feeds a matching field",
    "few-matching-fields": "too few matching fields for reliable matching",
    "mixed-date-formats": "a date column uses more than one date format",
    "nested-column": "a Parquet column holds lists, structs or bytes instead of text or numbers",
}


@dataclass(frozen=True)
class Problem:
    """One problem found in a data file, with its position.

    ``line`` is the physical line (1-based); ``record`` the data record number (1 = first row
    after the header, ``None`` for header and whole-file problems); ``column`` the 1-based
    field index and ``header`` that column's header, when known.
    """

    code: str
    message: str
    path: str
    line: int | None
    record: int | None
    column: int | None
    header: str | None
    severity: str = ERROR

    def __post_init__(self) -> None:
        if self.code not in CATALOGUE:
            raise ValueError(f"problem code {self.code!r} is not in problems.CATALOGUE")
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}, not {self.severity!r}")

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def render(self) -> str:
        """One line, e.g. ``app.csv:7: column 3 (DOB): ragged-row: ...``."""
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        parts = [where]
        if self.column is not None:
            col = f"column {self.column}"
            if self.header is not None and self.header.strip():
                col += f" ({self.header})"
            parts.append(col)
        parts.append(self.code if self.is_error else f"{self.code} (warning)")
        parts.append(self.message)
        return _printable(": ".join(parts))


def _printable(text: str) -> str:
    """``text`` with control characters (line breaks, NUL, ...) escaped, so it stays one line."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
