"""Stages shared by the org roles: read the app CSV, link, resolve, write.

The same stages as ``pipeline.match`` (validation, ``link.score_pairs`` with the role's
rules, ``resolve.resolve``, ``output.write_results``); what differs per role is how the two
sides are loaded and normalised, which the role modules do.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from matchengine import matchmaker as mm
from matchengine.csvfile import CsvTable, read_table
from matchengine.engine import BackendOptions, open_engine
from matchengine.errors import InvalidDataError, UsageError
from matchengine.fields import find_id_column
from matchengine.link import ScoredPairs, register_table, score_pairs
from matchengine.output import write_results
from matchengine.pipeline import MatchResult, Progress, ValidationFailed, check_out_format
from matchengine.resolve import Resolution, StrongIds, logit, resolve, strong_ids
from matchengine.rules import Rules, load_rules
from matchengine.validation import ValidationReport, validate_app

# Pairs whose app-to-Clever probability would be below this are not kept at all.
_KEEP_PROBABILITY = 1e-3

# Rewrites the scored pairs before resolution (e.g. role rows -> users): gets the
# connection and the pairs, returns the pairs to resolve.
PairsHook = Callable[[duckdb.DuckDBPyConnection, ScoredPairs], ScoredPairs]


@dataclass
class Options:
    """The options of one ``match`` run that every role shares."""

    id_column: str | None = None
    overrides: Mapping[str, str] | None = None
    rules_path: str | Path | None = None
    threshold: float | None = None
    extras: bool = True
    encoding: str = "utf-8"
    threads: int | None = None
    memory_limit: str | None = None
    progress: Progress | None = None
    review_band: tuple[float, float] | None = None
    decisions: str | Path | None = None
    backend: BackendOptions | None = None
    out_format: str = "csv"


@dataclass
class AppInput:
    """The validated app CSV and the field mapping used."""

    report: ValidationReport
    table: CsvTable
    id_column: str
    mapping: dict[str, str]

    @property
    def n(self) -> int:
        return self.table.n_records

    @property
    def ids(self) -> list[str]:
        return self.table.column(self.id_column)

    def values(self, field_name: str) -> list[str | None]:
        """The raw values of a matching field (``None`` for every row when unmapped)."""
        header = self.mapping.get(field_name)
        if header is None:
            return [None] * self.n
        return list(self.table.column(header))


class Clock:
    """Wall seconds per stage, and the progress callback."""

    def __init__(self, progress: Progress | None) -> None:
        self.say = progress or (lambda _stage: None)
        self.seconds: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.seconds[stage] = self.seconds.get(stage, 0.0) + now - self._last
        self._last = now


def check_options(opts: Options, out: Path) -> None:
    if opts.threshold is not None and not 0 < opts.threshold < 1:
        raise UsageError(
            f"--threshold must be a probability between 0 and 1 (got {opts.threshold})"
        )
    band = opts.review_band
    if band is not None and not 0 <= band[0] <= band[1] <= 1:
        raise UsageError(
            "--review-band must be two probabilities LOW,HIGH with 0 <= LOW <= HIGH <= 1 "
            f"(got {band[0]},{band[1]})"
        )
    if not out.parent.exists():
        raise UsageError(f"the folder of --out {out} does not exist; create it first")
    check_out_format(opts.out_format)
    if opts.backend is not None:
        opts.backend.check()


def read_app(app_csv: str | Path, role: str, opts: Options) -> AppInput:
    """Validate the app CSV for ``role``; raise ``ValidationFailed`` when it is invalid."""
    report = validate_app(
        app_csv, role, id_column=opts.id_column, overrides=opts.overrides, encoding=opts.encoding
    )
    if not report.valid:
        raise ValidationFailed(report)
    table = report.table
    assert table is not None and report.mapping is not None and report.csv.id_column is not None
    return AppInput(report, table, report.csv.id_column, dict(report.mapping.fields))


def start(
    app_csv: str | Path, out: Path, opts: Options, role: str
) -> tuple[Clock, Rules, AppInput]:
    """The common opening of every role's run: options checked, rules loaded (a bad rules
    file fails before any data is read), the app CSV validated; the clock is at "load"."""
    check_options(opts, out)
    clock = Clock(opts.progress)
    rules = load_rules(role, opts.rules_path)
    clock.say("validate")
    app = read_app(app_csv, role, opts)
    clock.lap("validate")
    clock.say("load")
    return clock, rules, app


@dataclass
class Linked:
    resolution: Resolution
    pairs_scored: int
    prior: float
    extra: pl.DataFrame | None = None  # the result of ``fetch``, if asked


def link(
    app_n: pl.DataFrame,
    clever_n: pl.DataFrame,
    rules: Rules,
    opts: Options,
    *,
    n_clever: int | None = None,
    clever_strong: StrongIds | None = None,
    hook: PairsHook | None = None,
    fetch: str | None = None,
    forced: Mapping[int, int | None] | None = None,
) -> Linked:
    """Score ``app_n`` against ``clever_n`` (same schema) and resolve every record.

    ``n_clever`` and ``clever_strong`` describe the Clever records resolution sees when
    ``hook`` maps scored rows to other records (e.g. role rows to users).  ``fetch`` is an
    SQL query over ``{pairs}`` (the table resolved) run before the connection closes.
    """
    n_app = app_n.height
    n_c = clever_n.height if n_clever is None else n_clever
    prior = rules.prior if rules.prior is not None else 1.0 / max(n_app, n_c, 2)
    extra: pl.DataFrame | None = None
    with open_engine(opts.threads, opts.memory_limit, opts.backend) as engine:
        con = engine.con
        register_table(con, "me_app", app_n)
        register_table(con, "me_clever", clever_n)
        min_weight = logit(_KEEP_PROBABILITY) - logit(prior)
        pairs = score_pairs(engine, "me_app", "me_clever", rules, min_weight=min_weight)
        scored = pairs.count
        if hook is not None:
            pairs = hook(con, pairs)
        kwargs: dict[str, Any] = {"threshold": opts.threshold}
        if forced:
            kwargs["forced"] = forced
        resolution = resolve(
            pairs,
            rules,
            n_app=n_app,
            n_clever=n_c,
            app_strong=strong_ids(app_n, rules),
            clever_strong=clever_strong
            if clever_strong is not None
            else strong_ids(clever_n, rules),
            **kwargs,
        )
        if fetch is not None:
            got = pl.from_arrow(con.sql(fetch.format(pairs=pairs.table)).to_arrow_table())
            assert isinstance(got, pl.DataFrame)
            extra = got
    return Linked(resolution, scored, prior, extra)


def decisions_for(app: AppInput, clever_ids: Sequence[str], opts: Options) -> dict[int, int | None]:
    """Reviewed decisions bound to this run's rows (empty without ``--decisions``)."""
    if opts.decisions is None:
        return {}
    from matchengine.decisions import load_decisions

    return load_decisions(opts.decisions, id_column=app.id_column).bind(app.ids, clever_ids)


def write(
    out: Path,
    role: str,
    app: AppInput,
    clever: pl.DataFrame,
    resolution: Resolution,
    opts: Options,
) -> int:
    kwargs: dict[str, Any] = {"extras": opts.extras, "out_format": opts.out_format}
    if opts.review_band is not None:
        kwargs["review_band"] = opts.review_band
    return write_results(
        out, role, app.table.header, app.table.data, app.ids, clever, resolution, **kwargs
    )


def result(
    out: Path,
    role: str,
    rules: Rules,
    opts: Options,
    app: AppInput,
    clever_records: int,
    linked: Linked,
    rows: int,
    clock: Clock,
    warnings: Sequence[str] = (),
    forced: int = 0,
) -> MatchResult:
    res = MatchResult(
        out=str(out),
        role=role,
        rules=rules.path,
        threshold=opts.threshold if opts.threshold is not None else rules.threshold,
        prior=linked.prior,
        app_records=app.n,
        clever_records=clever_records,
        pairs_scored=linked.pairs_scored,
        rows_written=rows,
        counts=linked.resolution.counts(),
        mapping=dict(app.mapping),
        warnings=[
            *(p.render() for p in app.report.all_problems if p.severity == "warning"),
            *warnings,
        ],
        seconds=clock.seconds,
    )
    if forced and hasattr(res, "decisions_applied"):
        res.decisions_applied = forced
    return res


# --------------------------------------------------------------------------- earlier outputs


@dataclass
class EarlierOutput:
    """App id -> Clever id of the ``match`` rows of an earlier Matchmaker-format output."""

    path: str
    matched: dict[str, str] = field(default_factory=dict)


def read_output(path: str | Path, what: str) -> EarlierOutput:
    """Read a Matchmaker-format output (``--students`` / ``--teachers``).

    The app id column is the app columns' id header (``app.id``, ``app.user_id``, ...), else
    the first ``app.`` column.
    """
    p = Path(path)
    if not p.is_file():
        raise UsageError(f"{what} {p}: no such file; pass the output of an earlier match run")
    table = read_table(p)
    app_headers = [h[4:] for h in table.header if h.startswith("app.")]
    for needed in ("clever.id", mm.RESULT_COLUMN):
        if needed not in table.header or not app_headers:
            raise InvalidDataError(
                f"{p}:1: {what} must be a Matchmaker-format output (app.* columns, clever.id, "
                f"{mm.RESULT_COLUMN}); line 1 has: {', '.join(table.header)}"
            )
    id_header = find_id_column(app_headers) or app_headers[0]
    app_ids = table.column(f"app.{id_header}")
    clever_ids = table.column("clever.id")
    statuses = table.column(mm.RESULT_COLUMN)
    matched: dict[str, str] = {}
    for a, c, s in zip(app_ids, clever_ids, statuses, strict=True):
        if s.strip() == mm.MATCH and a and c:
            matched[a] = c
    return EarlierOutput(str(p), matched)
