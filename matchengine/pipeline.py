"""``match()``: the stages in order — validate, load, normalise, link, resolve, write."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import duckdb
import polars as pl

from matchengine import clever as clever_io
from matchengine.decisions import load_decisions
from matchengine.engine import BackendOptions, open_engine
from matchengine.errors import InvalidDataError, UsageError
from matchengine.fields import canonical_role
from matchengine.link import (
    block_pairs,
    estimate_m,
    estimate_u,
    register_table,
    score_pairs,
    wants_m_estimate,
    wants_u_estimate,
)
from matchengine.normalize import normalize_people
from matchengine.orgs import ORG_ROLES, match_org
from matchengine.output import OUT_FORMATS, ReviewBand, write_results
from matchengine.perf import gc_paused
from matchengine.resolve import Resolution, logit, resolve, strong_ids
from matchengine.rules import Rules, load_rules
from matchengine.validation import ValidationReport, validate_app

log = logging.getLogger(__name__)

USER_ROLES = ("student", "teacher", "staff")
# Pairs whose app-to-Clever probability would be below this are not kept at all.
_KEEP_PROBABILITY = 1e-3


class Progress(Protocol):
    """Told each stage as it starts, and during scoring the fraction done (0 to 1)."""

    def __call__(self, stage: str, done: float | None = None, /) -> None: ...


def check_out_format(out_format: str) -> None:
    if out_format not in OUT_FORMATS:
        raise UsageError(
            f"--out-format must be one of: {', '.join(OUT_FORMATS)} (got {out_format!r})"
        )


class ValidationFailed(InvalidDataError):
    """The app CSV did not pass validation; ``report`` holds every problem."""

    def __init__(self, report: ValidationReport) -> None:
        self.report = report
        errors = report.errors()
        first = errors[0].render() if errors else "invalid input"
        more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
        super().__init__(first + more)


@dataclass
class MatchResult:
    out: str
    role: str
    rules: str
    threshold: float
    prior: float
    app_records: int
    clever_records: int
    pairs_scored: int
    rows_written: int
    counts: dict[str, int]
    mapping: dict[str, str]
    warnings: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    u_sample_pairs: int = 0  # random pairs u was re-estimated from (0: the rules' u)
    decisions_applied: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "out": self.out,
            "role": self.role,
            "rules": self.rules,
            "threshold": self.threshold,
            "prior": self.prior,
            "app_records": self.app_records,
            "clever_records": self.clever_records,
            "pairs_scored": self.pairs_scored,
            "rows_written": self.rows_written,
            "counts": self.counts,
            "mapping": self.mapping,
            "warnings": self.warnings,
            "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
            "u_sample_pairs": self.u_sample_pairs,
            "decisions_applied": self.decisions_applied,
        }


def _app_columns(report: ValidationReport) -> list[pl.Series]:
    """The app CSV's columns as polars String series, in file order."""
    table = report.table
    assert table is not None
    return [c.alias(f"c{i}") for i, c in enumerate(table.data)]


def _app_frame(report: ValidationReport, columns: list[pl.Series]) -> pl.DataFrame:
    """The mapped fields of the app CSV, one String column per field."""
    table = report.table
    assert table is not None and report.mapping is not None
    data = {f: columns[table.header.index(h)].alias(f) for f, h in report.mapping.fields.items()}
    if not data:
        return pl.DataFrame({"_empty": [None] * table.n_records})
    return pl.DataFrame(list(data.values()))


def _clever_frame(df: pl.DataFrame) -> pl.DataFrame:
    renames = {"_preferred_first_name": "preferred_first_name"}
    return df.rename({k: v for k, v in renames.items() if k in df.columns})


def match(
    app_csv: str | Path,
    clever_path: str | Path,
    role: str,
    out: str | Path,
    *,
    id_column: str | None = None,
    overrides: Mapping[str, str] | None = None,
    rules_path: str | Path | None = None,
    threshold: float | None = None,
    extras: bool = True,
    encoding: str = "utf-8",
    threads: int | None = None,
    memory_limit: str | None = None,
    progress: Progress | None = None,
    review_band: ReviewBand | None = None,
    decisions: str | Path | None = None,
    enrollments: str | Path | None = None,
    students_out: str | Path | None = None,
    teachers_out: str | Path | None = None,
    consolidate: bool = False,
    backend: BackendOptions | None = None,
    out_format: str = "csv",
) -> MatchResult:
    """Match an app CSV to a Clever snapshot and write the Matchmaker-format CSV ``out``.

    Raises ``ValidationFailed`` (nothing written) when the app CSV is invalid, ``RulesError``
    for a bad rules file, ``InvalidDataError`` for an unreadable Clever snapshot.

    ``backend`` picks where Splink runs (DuckDB by default, or Spark; see
    ``matchengine.engine``); the output is the same either way.

    ``out_format="parquet"`` writes ``out`` as a folder of Parquet files with the same
    rows (see ``output.write_results``).

    ``review_band=(low, high)`` adds a ``match.review`` column marking rows whose
    probability lies in the band.  ``decisions`` is a reviewed decisions file (see
    ``matchengine.decisions``); its decisions are applied before resolution and always win.
    """
    role = canonical_role(role)
    section_options = (enrollments, students_out, teachers_out)
    if role in ORG_ROLES or consolidate or any(x is not None for x in section_options):
        # Schools, sections, districts and multi-role users: see matchengine.orgs (it also
        # refuses the section options for other roles).
        return match_org(
            app_csv,
            clever_path,
            role,
            out,
            id_column=id_column,
            overrides=overrides,
            rules_path=rules_path,
            threshold=threshold,
            extras=extras,
            encoding=encoding,
            threads=threads,
            memory_limit=memory_limit,
            progress=progress,
            review_band=review_band,
            decisions=decisions,
            enrollments=enrollments,
            students_out=students_out,
            teachers_out=teachers_out,
            consolidate=consolidate,
            backend=backend,
            out_format=out_format,
        )
    if role not in USER_ROLES:
        raise UsageError(f"--role {role} is not supported yet; use one of: {', '.join(USER_ROLES)}")
    if threshold is not None and not 0 < threshold < 1:
        raise UsageError(f"--threshold must be a probability between 0 and 1 (got {threshold})")
    if review_band is not None and not 0 <= review_band[0] <= review_band[1] <= 1:
        raise UsageError(
            f"--review-band must be two probabilities LOW,HIGH with 0 <= LOW <= HIGH <= 1 "
            f"(got {review_band[0]},{review_band[1]})"
        )
    if backend is not None:
        backend.check()
    check_out_format(out_format)
    out = Path(out)
    if not out.parent.exists():
        raise UsageError(f"the folder of --out {out} does not exist; create it first")
    say: Progress = progress or (lambda _stage, _done=None: None)
    seconds: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        seconds[stage] = seconds.get(stage, 0.0) + now - clock
        clock = now

    rules = load_rules(role, rules_path)
    # Each side is read, normalised and loaded into DuckDB on a thread of its own: the
    # Clever snapshot on a second thread from the start, the app CSV on this one.  The
    # validator is Python, the snapshot reader and the normalisers mostly DuckDB and
    # polars, which run without the GIL; the app side is normalised while the snapshot
    # is still being read.  "normalise" includes waiting for the snapshot.
    with contextlib.ExitStack() as stack:
        pool = stack.enter_context(ThreadPoolExecutor(1, thread_name_prefix="clever"))
        clever_read = pool.submit(clever_io.load_role, clever_path, role)
        # The parser builds many small acyclic objects: the collector stays paused
        # until they are let go.
        with gc_paused():
            say("validate")
            report = validate_app(
                app_csv,
                role,
                id_column=id_column,
                overrides=overrides,
                encoding=encoding,
                rules=rules,
            )
            if not report.valid:
                clever_read.cancel()
                raise ValidationFailed(report)
            table = report.table
            assert table is not None and report.mapping is not None
            assert report.csv.id_column is not None
            lap("validate")

            say("load")
            app_columns = _app_columns(report)
            app_raw = _app_frame(report, app_columns)
            app_header, n_app = table.header, table.n_records
            report.csv.table = None
            del table
            app_ids = app_columns[app_header.index(report.csv.id_column)]
            lap("load")

        if backend is not None and backend.backend == "spark":
            say("start spark")
        engine = stack.enter_context(open_engine(threads, memory_limit, backend))
        if engine.spark is not None:
            lap("start spark")
        say("normalise")

        def prepare(raw: pl.DataFrame, table: str) -> dict[str, pl.Series]:
            """One side normalised and loaded into DuckDB (through a cursor of its own);
            the frame itself is let go, but for the strong ids resolution needs."""
            frame = normalize_people(raw)
            with contextlib.closing(engine.con.cursor()) as cursor:
                register_table(cursor, table, frame)
            return strong_ids(frame, rules)

        def prepare_clever() -> tuple[pl.DataFrame, dict[str, pl.Series]]:
            clever_df = clever_read.result()
            return clever_df, prepare(_clever_frame(clever_df), "me_clever")

        clever_prepared = pool.submit(prepare_clever)
        # Should this thread fail, the connection stays open until the other is done.
        stack.callback(wait, [clever_prepared])
        app_strong = prepare(app_raw, "me_app")
        del app_raw
        clever_df, clever_strong = clever_prepared.result()
        forced: dict[int, int | None] = {}
        if decisions is not None:
            forced = load_decisions(decisions, id_column=report.csv.id_column).bind(
                app_ids.to_list(), clever_df["id"].to_list()
            )
        n_clever = clever_df.height
        prior = rules.prior if rules.prior is not None else 1.0 / max(n_app, n_clever, 2)
        lap("normalise")

        def estimate(con: duckdb.DuckDBPyConnection, given: Rules) -> tuple[Rules, int]:
            """``given`` with u and m re-estimated on this run's data (when it is large
            enough), and the number of random pairs u came from."""
            estimated, pairs = given, 0
            if wants_u_estimate(given, n_app, n_clever):
                result = estimate_u(con, "me_app", "me_clever", given)
                estimated, pairs = result.rules, result.pairs
            if wants_m_estimate(given, n_app, n_clever):
                estimated = estimate_m(con, "me_app", "me_clever", estimated, prior).rules
            return estimated, pairs

        blocked = None
        if engine.spark is None:
            # The candidate pairs depend on neither u nor m: they are found while u and m
            # are estimated on a thread of their own (through a second cursor; EM runs in
            # a database of its own), which leaves part of the two cores idle.  At a
            # million students this saved 1.6 s.  "block" is the time to find the pairs;
            # "estimate" only what estimating adds after it.
            with (
                ThreadPoolExecutor(1, thread_name_prefix="estimate") as pool,
                contextlib.closing(engine.con.cursor()) as cursor,
            ):
                estimated = pool.submit(estimate, cursor, rules)
                say("block")
                blocked = block_pairs(engine, "me_app", "me_clever", rules)
                lap("block")
                say("estimate")
                rules, u_pairs = estimated.result()
        else:
            say("estimate")
            rules, u_pairs = estimate(engine.con, rules)
        lap("estimate")
        say("score")
        min_weight = logit(_KEEP_PROBABILITY) - logit(prior)
        pairs = score_pairs(
            engine,
            "me_app",
            "me_clever",
            rules,
            min_weight=min_weight,
            blocked=blocked,
            progress=lambda done: say("score", done),
        )
        pairs = pairs.detached()
    lap("score")

    say("resolve")
    resolution: Resolution = resolve(
        pairs,
        rules,
        n_app,
        n_clever,
        app_strong,
        clever_strong,
        threshold=threshold,
        forced=forced,
    )
    pairs_scored = pairs.count
    del pairs
    lap("resolve")

    say("write")
    rows = write_results(
        out,
        role,
        app_header,
        app_columns,
        app_ids,
        clever_df,
        resolution,
        extras=extras,
        review_band=review_band,
        out_format=out_format,
    )
    lap("write")
    counts = resolution.counts()
    return MatchResult(
        out=str(out),
        role=role,
        rules=rules.path,
        threshold=threshold if threshold is not None else rules.threshold,
        prior=prior,
        app_records=n_app,
        clever_records=n_clever,
        pairs_scored=pairs_scored,
        rows_written=rows,
        counts=counts,
        mapping=dict(report.mapping.fields),
        warnings=[p.render() for p in report.all_problems if p.severity == "warning"],
        seconds=seconds,
        u_sample_pairs=u_pairs,
        decisions_applied=len(forced),
    )
