"""Apache Spark plumbing for ``--backend spark``: the session, our SQL functions, data in and out.

Splink runs blocking, scoring and EM on Spark (``matchengine.link``); everything else
(validation, normalisation, the bounded u sample, resolution, writing) stays on the driver,
so both backends share one copy of that logic.  pyspark is an optional extra; nothing here
is imported unless a run asks for Spark.
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pyarrow as pa

from matchengine.errors import UsageError

log = logging.getLogger(__name__)

INSTALL_HINT = "pip install 'matchengine[spark]'"
# The Jaro-Winkler function our rules' SQL calls on Spark (see ``register_functions``).
JARO_WINKLER = "me_jaro_winkler"
DEFAULT_MASTER = "local[*]"
# A local session's one JVM is driver and executors at once; Spark spills past this.
LOCAL_DRIVER_MEMORY = "8g"


def require_pyspark() -> None:
    """Raise a ``UsageError`` naming the extra when pyspark is not installed."""
    try:
        import pyspark  # noqa: F401
    except ImportError as exc:
        raise UsageError(
            f"--backend spark needs pyspark, which is not installed: {INSTALL_HINT}"
        ) from exc


_scratch: str | None = None
_owned: list[Any] = []  # the session this process started, stopped before its folder goes


def _cleanup() -> None:
    for session in _owned:
        try:
            session.stop()
        except Exception:  # the JVM may be gone already; the folder must still go
            log.debug("stopping Spark failed", exc_info=True)
    if _scratch is not None:
        shutil.rmtree(_scratch, ignore_errors=True)


def _scratch_dir() -> str:
    """A private folder for Spark's shuffle and spill files, removed when the process ends."""
    global _scratch
    if _scratch is None:
        _scratch = tempfile.mkdtemp(prefix="matchengine-spark-")
        atexit.register(_cleanup)
    return _scratch


def _quiet_logging() -> str:
    """A log4j2 configuration that lets only Spark's errors through to stderr."""
    path = Path(_scratch_dir()) / "log4j2.properties"
    if not path.exists():
        path.write_text(
            "rootLogger.level = error\n"
            "rootLogger.appenderRef.stderr.ref = console\n"
            "appender.console.type = Console\n"
            "appender.console.name = console\n"
            "appender.console.target = SYSTEM_ERR\n"
            "appender.console.layout.type = PatternLayout\n"
            "appender.console.layout.pattern = spark: %p %c{1}: %m%n%ex\n",
            encoding="utf-8",
        )
    return f"-Dlog4j.configurationFile=file:{path}"


def start_session(master: str, jars: list[str], threads: int | None = None) -> Any:
    """A Spark session for this process (an active one is reused as it is).

    A new local session keeps its files in a private temporary folder and uses few shuffle
    partitions: the data of one district fits a handful of tasks per core.
    """
    require_pyspark()
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    local = master.startswith("local")
    if threads and local:
        master = f"local[{int(threads)}]"
    if local:
        # Spark binds to the machine's outward address and warns; a local run needs none.
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    builder = (
        SparkSession.builder.master(master)
        .appName("matchengine")
        .config("spark.jars", ",".join(jars))
        .config("spark.driver.extraJavaOptions", _quiet_logging())
        .config("spark.sql.execution.pythonUDF.arrow.enabled", "true")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
    )
    if local:
        builder = (
            builder.config("spark.local.dir", _scratch_dir())
            .config("spark.sql.shuffle.partitions", "8")
            .config("spark.default.parallelism", "8")
            .config("spark.driver.memory", LOCAL_DRIVER_MEMORY)
            .config("spark.sql.warehouse.dir", f"{_scratch_dir()}/warehouse")
        )
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # pyspark raises its own types when the JVM cannot start
        text = str(exc)
        hint = (
            "Java was not found or could not start; install a Java runtime "
            "(Debian: apt-get install default-jre-headless) and try again"
            if "JAVA" in text.upper()
            else "see the error above"
        )
        raise UsageError(f"could not start Spark ({master}): {hint}") from exc
    session.sparkContext.setLogLevel("ERROR")
    _owned.append(session)
    return session


def owned(session: Any) -> bool:
    """Whether this process started ``session`` (and may clear its whole cache)."""
    return any(session is s for s in _owned)


def release(session: Any, views: list[str]) -> None:
    """Free one run's tables in ``session``.

    Splink persists its intermediate tables and dropping a view only hides them; dropping
    a view that cached tables depend on makes Spark re-plan each of them (minutes, and
    the heap, at 100k records).  So in a session matchengine started, the cache is
    cleared first and the views dropped after.  A session passed in by the caller is
    left alone (its cache may hold the caller's own tables): the views have names unique
    to the run, and ``session.catalog.clearCache()`` between runs frees them.
    """
    if not owned(session):
        return
    session.catalog.clearCache()
    for view in views:
        session.catalog.dropTempView(view)


def register_functions(session: Any) -> None:
    """Register the SQL functions our rules need that Spark lacks.

    Jaro-Winkler: the Scala function shipped with Splink disagrees with DuckDB's on about
    2% of name pairs (repeated letters); jellyfish matches DuckDB's values to the last
    bit, and with the levels' 1e-9 margin (``link.JW_MARGIN``) both backends put every
    pair at the same level.
    """
    import jellyfish
    from pyspark.sql.types import DoubleType

    def jaro_winkler(a: str | None, b: str | None) -> float | None:
        if a is None or b is None:
            return None
        return float(jellyfish.jaro_winkler_similarity(a, b))

    session.udf.register(JARO_WINKLER, jaro_winkler, DoubleType())


def to_spark(session: Any, table: pa.Table) -> Any:
    """An Arrow table (from the driver's DuckDB) as a Spark DataFrame."""
    return session.createDataFrame(table)


def to_arrow(frame: Any) -> pa.Table:
    """A Spark DataFrame collected to the driver as Arrow."""
    table: pa.Table = frame.toArrow()
    return table
