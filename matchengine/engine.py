"""Where a run's linkage happens: a private DuckDB connection, and optionally Spark.

The DuckDB connection always exists: it holds the normalised tables, the bounded random
sample u is estimated from, and the scored pairs resolution reads.  With
``backend="spark"`` Splink's blocking, scoring and EM run on a Spark session instead
(see ``matchengine.spark``); the pairs come back to the driver.
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from matchengine.errors import UsageError

BACKENDS = ("duckdb", "spark")
# DuckDB's share of memory unless --memory-limit says otherwise; past it, DuckDB spills to
# the run's private temporary folder.  At a million students the whole process peaked at
# 5.2 to 5.4 GB with it (DuckDB's default, 80% of RAM, let it reach 7.7 GB); at 3 GB scoring
# spilled and took 3 s longer, with the same output.
DEFAULT_MEMORY_LIMIT = "4GB"


@dataclass
class Engine:
    con: duckdb.DuckDBPyConnection
    spark: Any | None = None  # a pyspark SparkSession when Splink runs on Spark

    @property
    def dialect(self) -> str:
        return "duckdb" if self.spark is None else "spark"


@dataclass(frozen=True)
class BackendOptions:
    """How to run linkage: ``backend`` is ``duckdb`` or ``spark``.

    ``spark_master`` is used when matchengine starts the Spark session itself;
    ``spark_session`` is an existing session (library use), which is used as it is and
    must have Splink's similarity jar on its class path (``matchengine.link.spark_jars()``).
    """

    backend: str = "duckdb"
    spark_master: str | None = None
    spark_session: Any | None = None

    def check(self) -> None:
        if self.backend not in BACKENDS:
            raise UsageError(
                f"--backend must be one of: {', '.join(BACKENDS)} (got {self.backend!r})"
            )
        if self.backend != "spark" and (self.spark_master or self.spark_session is not None):
            raise UsageError("--spark-master only applies with --backend spark")
        if self.backend == "spark" and self.spark_session is None:
            from matchengine.spark import require_pyspark

            require_pyspark()


@contextmanager
def open_engine(
    threads: int | None, memory_limit: str | None, options: BackendOptions | None = None
) -> Iterator[Engine]:
    """A DuckDB connection spilling to a private temporary folder (removed afterwards),
    with a Spark session attached when ``options`` ask for Spark."""
    options = options or BackendOptions()
    options.check()
    session = None
    if options.backend == "spark":
        from matchengine import link, spark

        session = options.spark_session
        if session is None:
            session = spark.start_session(
                options.spark_master or spark.DEFAULT_MASTER, link.spark_jars(), threads
            )
        spark.register_functions(session)
    with tempfile.TemporaryDirectory(prefix="matchengine-") as tmp:
        con = duckdb.connect(":memory:", config={"temp_directory": str(Path(tmp) / "spill")})
        try:
            con.execute("SET enable_progress_bar = false")  # stdout may carry --json
            if threads:
                con.execute(f"SET threads = {int(threads)}")
            con.execute("SET memory_limit = ?", [memory_limit or DEFAULT_MEMORY_LIMIT])
            yield Engine(con, session)
        finally:
            con.close()


@contextmanager
def watch_progress(
    con: duckdb.DuckDBPyConnection,
    report: Callable[[float], None] | None,
    every: float = 0.5,
) -> Iterator[None]:
    """While the block runs, pass ``report`` the fraction done (0 to 1) of the query
    running on ``con``, as DuckDB estimates it, every ``every`` seconds (from a thread of
    its own; nothing when ``report`` is None)."""
    if report is None:
        yield
        return
    # DuckDB tracks progress only with its progress bar on; it must not print it.
    con.execute("SET enable_progress_bar = true")
    con.execute("SET enable_progress_bar_print = false")
    stop = threading.Event()

    def poll() -> None:
        while not stop.wait(every):
            done = con.query_progress()
            if done >= 0:
                report(min(done, 100.0) / 100.0)

    watcher = threading.Thread(target=poll, name="progress", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        stop.set()
        watcher.join()
        con.execute("SET enable_progress_bar = false")
