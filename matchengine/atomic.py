"""Files that appear only when complete: write to a temporary name, then rename."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import IO


@contextlib.contextmanager
def atomic_text(path: str | Path, *, newline: str = "", mode: int = 0o666) -> Iterator[IO[str]]:
    """A UTF-8 text file that appears under ``path`` only when the block completes.

    The temporary file lives next to ``path`` (so the rename is atomic) and is created
    with ``mode`` minus the umask; on any error it is removed and ``path`` is untouched.
    """
    path = Path(path)
    while True:
        tmp = str(path.parent / f".{path.name}.{secrets.token_hex(6)}.part")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
            break
        except FileExistsError:
            continue
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline=newline) as fh:
            yield fh
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_dir(path: str | Path) -> Iterator[Path]:
    """A folder that appears under ``path`` only when the block completes.

    The block fills a temporary folder next to ``path``; an existing ``path`` folder is
    replaced whole.  On any error the temporary folder is removed and ``path`` is untouched.
    """
    path = Path(path)
    tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.part"
    tmp.mkdir()
    old: Path | None = None
    try:
        yield tmp
        if path.exists():
            old = path.parent / f".{path.name}.{secrets.token_hex(6)}.old"
            os.replace(path, old)
        os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None and not path.exists():
            os.replace(old, path)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
