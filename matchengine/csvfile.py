"""RFC 4180 reading and writing (placeholder: the writer API is fixed, the reader comes next)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path


def _quote(value: str) -> str:
    if any(ch in value for ch in ',"\r\n') or value != value.strip(" \t"):
        return '"' + value.replace('"', '""') + '"'
    return value


def write_table(path: str | Path, header: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    """Write an RFC 4180 file atomically: UTF-8 without BOM, CRLF, minimal quoting.

    The file appears under ``path`` only when complete (temporary name, then rename).
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(",".join(_quote(h) for h in header) + "\r\n")
            for row in rows:
                fh.write(",".join(_quote(v) for v in row) + "\r\n")
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
