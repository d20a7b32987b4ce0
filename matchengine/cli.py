"""The ``matchengine`` console script: parse options, call one library function, render, exit.

Exit codes: 0 success, 1 invalid input data, 2 usage error, 3 rules/configuration error,
4 runtime failure.  Errors are one sentence on stderr; tracebacks only with ``--debug``.
"""

from __future__ import annotations

import json
import logging
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from matchengine.errors import EXIT_INVALID_DATA, EXIT_RUNTIME, MatchengineError, RulesError

app = typer.Typer(
    add_completion=False,
    pretty_exceptions_enable=False,
    no_args_is_help=True,
    help="Match an app's users to a district's Clever roster; write Clever Matchmaker-format CSV.",
)

_state = {"debug": False}
T = TypeVar("T")

RoleOpt = Annotated[
    str,
    typer.Option(
        "--role",
        "-r",
        help="student, teacher, staff (alias admin), school, section, district or user "
        "(multi-role teachers/staff/district admins).",
    ),
]
JsonOpt = Annotated[
    bool, typer.Option("--json", help="Print one JSON object to stdout and nothing else.")
]
IdColOpt = Annotated[
    str | None,
    typer.Option(
        "--id-column", help="The app's internal id column (default: id, app_id, user_id, ...)."
    ),
]
MapOpt = Annotated[
    list[str] | None,
    typer.Option("--map", help="FIELD=HEADER: read FIELD from column HEADER (repeatable)."),
]
ReviewBandOpt = Annotated[
    str | None,
    typer.Option(
        "--review-band",
        metavar="LOW,HIGH",
        help="Probabilities LOW,HIGH (e.g. 0.5,0.99): rows whose probability is in the band "
        "need a person (match.review = yes).",
    ),
]
EncodingOpt = Annotated[
    str, typer.Option("--encoding", help="Encoding of the app CSV (e.g. cp1252 for Excel exports).")
]


def _err(message: str) -> None:
    typer.echo(message, err=True)


def _run(fn: Callable[[], T]) -> T:
    """The one catch point: our errors become a sentence on stderr and their exit code."""
    try:
        return fn()
    except MatchengineError as exc:
        if _state["debug"]:
            traceback.print_exc(file=sys.stderr)
        report = getattr(exc, "report", None)
        if report is not None:
            _render_problems(report.all_problems)
        elif isinstance(exc, RulesError):
            _err(f"error: rules file {exc.path} is invalid:")
            for p in exc.problems:
                _err(f"  {p}")
        else:
            _err(f"error: {exc}")
        raise typer.Exit(exc.exit_code) from None
    except typer.Exit:
        raise
    except Exception as exc:  # the last resort: a runtime failure, exit 4, no traceback
        if _state["debug"]:
            traceback.print_exc(file=sys.stderr)
        _err(f"error: {type(exc).__name__}: {exc} (run again with --debug for the traceback)")
        raise typer.Exit(EXIT_RUNTIME) from None


def _render_problems(problems: list[Any], limit: int = 25) -> None:
    for p in problems[:limit]:
        _err(p.render())
    if len(problems) > limit:
        _err(f"... and {len(problems) - limit} more problem(s); use --json for the full list")


class _Progress:
    """Stage names on stderr, only when stderr is a terminal; during scoring a bar with
    the share done and an estimate of the time left."""

    WIDTH = 60  # characters a line may take (cleared by the next one)

    def __init__(self) -> None:
        self.enabled = sys.stderr.isatty()
        self.start = time.perf_counter()
        self.stage = ""
        self.stage_start = self.start

    def __call__(self, stage: str, done: float | None = None) -> None:
        if not self.enabled:
            return
        sys.stderr.write("\r" + self.line(stage, done, time.perf_counter()).ljust(self.WIDTH))
        sys.stderr.flush()

    def line(self, stage: str, done: float | None, now: float) -> str:
        """What to show at ``now``: elapsed time and stage, and for a fraction ``done``,
        a bar and the time left at the pace so far."""
        if stage != self.stage:
            self.stage, self.stage_start = stage, now
        text = f"[{now - self.start:6.1f}s] {stage:<12}"
        if done is None:
            return text
        done = min(max(done, 0.0), 1.0)
        bar = "#" * int(done * 20)
        text += f" [{bar:<20}] {done * 100:3.0f}%"
        if done >= 0.02:
            left = (now - self.stage_start) * (1 - done) / done
            text += f"  about {left:.0f} s left"
        return text

    def done(self) -> None:
        if self.enabled:
            sys.stderr.write("\r" + " " * self.WIDTH + "\r")
            sys.stderr.flush()


def _print_json(obj: Any) -> None:
    typer.echo(json.dumps(obj, indent=2, sort_keys=False, ensure_ascii=False))


@app.callback()
def _main(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks and debug logs.")] = False,
) -> None:
    _state["debug"] = debug
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING, stream=sys.stderr)
    logging.getLogger("splink").setLevel(logging.DEBUG if debug else logging.WARNING)


@app.command()
def validate(
    app_csv: Annotated[Path, typer.Argument(help="The app CSV to check.")],
    role: Annotated[
        str | None, typer.Option("--role", "-r", help="Also check the role's fields.")
    ] = None,
    id_column: IdColOpt = None,
    map_: MapOpt = None,
    encoding: EncodingOpt = "utf-8",
    as_json: JsonOpt = False,
) -> None:
    """Check an app CSV: RFC 4180, Matchmaker input guidelines, ids and field mapping."""
    from matchengine.fields import parse_map_options
    from matchengine.validation import validate_app

    report = _run(
        lambda: validate_app(
            app_csv,
            role,
            id_column=id_column,
            overrides=parse_map_options(map_ or []),
            encoding=encoding,
        )
    )
    if as_json:
        _print_json(report.to_dict())
    else:
        if report.mapping is not None:
            typer.echo(f"mapping: {report.mapping.describe()}")
        _render_problems(report.all_problems)
        state = "valid" if report.valid else "INVALID"
        typer.echo(
            f"{app_csv}: {state}: {report.csv.records} record(s), id column "
            f"{report.csv.id_column!r}, {len(report.errors())} error(s)"
        )
    if not report.valid:
        raise typer.Exit(EXIT_INVALID_DATA)


@app.command()
def match(
    app_csv: Annotated[Path, typer.Argument(help="The app CSV to match.")],
    clever: Annotated[
        Path, typer.Option("--clever", help="Clever snapshot: a folder or a users file.")
    ],
    role: RoleOpt,
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the Matchmaker CSV.")],
    id_column: IdColOpt = None,
    map_: MapOpt = None,
    rules: Annotated[
        Path | None, typer.Option("--rules", help="A rules TOML file (default: bundled).")
    ] = None,
    threshold: Annotated[
        float | None,
        typer.Option("--threshold", help="Match probability needed (default: the rules')."),
    ] = None,
    extras: Annotated[
        bool, typer.Option("--extras/--no-extras", help="Add match.* evidence columns.")
    ] = True,
    encoding: EncodingOpt = "utf-8",
    threads: Annotated[
        int | None, typer.Option("--threads", help="DuckDB threads (default: all cores).")
    ] = None,
    memory_limit: Annotated[
        str | None,
        typer.Option(
            "--memory-limit", help="DuckDB memory limit, e.g. 1GB (default 4GB; it spills past it)."
        ),
    ] = None,
    review_band: ReviewBandOpt = None,
    decisions: Annotated[
        Path | None,
        typer.Option(
            "--decisions",
            help="Reviewed decisions (an edited output, or app_id,clever_id rows with a "
            "Clever id or 'no match'); applied first, they always win.",
        ),
    ] = None,
    enrollments: Annotated[
        Path | None,
        typer.Option(
            "--enrollments",
            help="Sections: a CSV of app section id, app student id (enrolled students).",
        ),
    ] = None,
    students: Annotated[
        Path | None,
        typer.Option(
            "--students",
            help="Sections: an earlier student output, to turn app student ids into Clever ids.",
        ),
    ] = None,
    teachers: Annotated[
        Path | None,
        typer.Option(
            "--teachers",
            help="Sections: an earlier teacher output, to turn app teacher ids into Clever ids.",
        ),
    ] = None,
    consolidate: Annotated[
        bool,
        typer.Option(
            "--consolidate",
            help="Teacher/staff runs: match against every role of every user (teacher, staff, "
            "district admin), one Clever id per person (same as --role user).",
        ),
    ] = False,
    backend: Annotated[
        str,
        typer.Option(
            "--backend",
            help="Where Splink blocks and scores: duckdb (this machine) or spark "
            "(needs pip install 'matchengine[spark]' and Java).",
        ),
    ] = "duckdb",
    spark_master: Annotated[
        str | None,
        typer.Option(
            "--spark-master",
            help="With --backend spark: the Spark master URL (default local[*]).",
        ),
    ] = None,
    out_format: Annotated[
        str,
        typer.Option(
            "--out-format",
            help="csv (default), or parquet: --out becomes a folder of Parquet files with "
            "the same rows, for very large runs.",
        ),
    ] = "csv",
    as_json: JsonOpt = False,
) -> None:
    """Match app records to the Clever roster and write the Matchmaker-format CSV."""
    from matchengine.engine import BackendOptions
    from matchengine.fields import parse_map_options
    from matchengine.pipeline import match as run_match
    from matchengine.review import parse_review_band

    progress = _Progress()
    try:
        result = _run(
            lambda: run_match(
                app_csv,
                clever,
                role,
                out,
                id_column=id_column,
                overrides=parse_map_options(map_ or []),
                rules_path=rules,
                threshold=threshold,
                extras=extras,
                encoding=encoding,
                threads=threads,
                memory_limit=memory_limit,
                progress=progress,
                review_band=parse_review_band(review_band) if review_band else None,
                decisions=decisions,
                enrollments=enrollments,
                students_out=students,
                teachers_out=teachers,
                consolidate=consolidate,
                backend=BackendOptions(backend, spark_master),
                out_format=out_format,
            )
        )
    finally:
        progress.done()
    if as_json:
        _print_json(result.to_dict())
        return
    for w in result.warnings:
        _err(w)
    typer.echo(f"mapping: {', '.join(f'{f} <- {h!r}' for f, h in result.mapping.items())}")
    typer.echo(
        f"{result.app_records} app record(s), {result.clever_records} Clever {result.role} record(s), "
        f"{result.pairs_scored} pair(s) scored"
    )
    for status, n in result.counts.items():
        typer.echo(f"  {status:<24} {n}")
    if decisions is not None:
        typer.echo(f"applied {result.decisions_applied} decision(s) from {decisions}")
    typer.echo(f"wrote {result.out} ({result.rows_written} rows)")


@app.command()
def evaluate(
    predicted: Annotated[Path, typer.Argument(help="A Matchmaker-format CSV to score.")],
    expected: Annotated[Path, typer.Argument(help="The Matchmaker-format CSV holding the truth.")],
    id_column: IdColOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Accuracy of one Matchmaker-format file against another (pairs and statuses)."""
    from matchengine.evaluate import evaluate as run_evaluate

    report = _run(lambda: run_evaluate(predicted, expected, id_column=id_column))
    if as_json:
        _print_json(report.to_dict())
    else:
        typer.echo(report.render())


@app.command()
def generate(
    role: RoleOpt,
    records: Annotated[
        int,
        typer.Option(
            "--records",
            "-n",
            help="Records of the role: people, or schools, sections or districts.",
        ),
    ],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder to write app.csv, clever/, expected.csv.")
    ],
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same files).")] = 1,
    ids: Annotated[
        bool, typer.Option("--ids/--no-ids", help="Include district ids in the app export.")
    ] = True,
    noise: Annotated[
        float, typer.Option("--noise", help="Scale of the data-quality noise (1 = default).")
    ] = 1.0,
    as_json: JsonOpt = False,
) -> None:
    """Write a synthetic district with known truth (app.csv, clever/, expected.csv)."""
    from matchengine.fields import canonical_role
    from matchengine.synth import generate as run_generate

    def go() -> Any:
        r = canonical_role(role)
        out.mkdir(parents=True, exist_ok=True)
        return run_generate(r, records, seed, out, with_ids=ids, noise=noise)

    summary = _run(go)
    if as_json:
        _print_json(summary.to_dict())
    else:
        d = summary.to_dict()
        typer.echo(
            f"wrote {out}: {d.get('app_records')} app record(s), {d.get('clever_records')} Clever record(s)"
        )


@app.command()
def pull(
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for the snapshot (created if missing).")
    ],
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            envvar="CLEVER_TOKEN",
            show_default=False,
            help="The district-app bearer token (or set CLEVER_TOKEN). Never printed.",
        ),
    ] = None,
    client_id: Annotated[
        str | None,
        typer.Option(
            "--client-id",
            envvar="CLEVER_CLIENT_ID",
            show_default=False,
            help="The app's Clever client id, to look the district's token up (or CLEVER_CLIENT_ID).",
        ),
    ] = None,
    client_secret: Annotated[
        str | None,
        typer.Option(
            "--client-secret",
            envvar="CLEVER_CLIENT_SECRET",
            show_default=False,
            help="The app's Clever client secret (or CLEVER_CLIENT_SECRET). Never printed.",
        ),
    ] = None,
    district: Annotated[
        str | None,
        typer.Option("--district", help="The district's Clever id (needed with --client-id)."),
    ] = None,
    role: Annotated[
        str | None,
        typer.Option(
            "--role",
            help="Only users holding this Clever role (student, teacher, staff, district_admin, contact).",
        ),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="Records per page, 1 to 10000.")] = 1000,
    resume: Annotated[
        bool,
        typer.Option("--resume", help="Continue an interrupted pull in --out from its last page."),
    ] = False,
    api_base: Annotated[
        str, typer.Option("--api-base", help="Clever API base URL.")
    ] = "https://api.clever.com",
    auth_base: Annotated[
        str, typer.Option("--auth-base", help="Clever OAuth base URL (token lookup).")
    ] = "https://clever.com",
    retries: Annotated[
        int, typer.Option("--retries", help="Retries per request on 429, 5xx and network errors.")
    ] = 5,
    as_json: JsonOpt = False,
) -> None:
    """Fetch a district snapshot (districts, schools, users, sections) from the Clever API.

    Exit 2 when the credentials are missing, rejected or do not reach the district's data;
    exit 4 when the API stays unreachable or failing after the retries (then use --resume).
    """
    from matchengine.pull import pull as run_pull

    live = sys.stderr.isatty()

    def show(resource: str, records: int) -> None:
        if live:
            sys.stderr.write(f"\rpulling {resource:<9} {records:>12,} record(s)")
            sys.stderr.flush()

    try:
        result = _run(
            lambda: run_pull(
                out,
                token=token,
                client_id=client_id,
                client_secret=client_secret,
                district=district,
                api_base=api_base,
                auth_base=auth_base,
                limit=limit,
                role=role,
                resume=resume,
                progress=show,
                max_retries=retries,
            )
        )
    finally:
        if live:
            sys.stderr.write("\r" + " " * 48 + "\r")
            sys.stderr.flush()
    for w in result.warnings:
        _err(f"warning: {w}")
    if as_json:
        _print_json(result.to_dict())
        return
    name = f" ({result.district_name})" if result.district_name else ""
    counts = ", ".join(f"{resource}: {n}" for resource, n in result.counts.items())
    typer.echo(f"district {result.district}{name}: {counts}")
    typer.echo(
        f"wrote {result.out_dir} ({result.requests} request(s), {result.retries} retry(ies), "
        f"{result.seconds:.1f}s{', resumed' if result.resumed else ''})"
    )


ReviewRulesOpt = Annotated[
    Path | None,
    typer.Option("--rules", help="The rules file the output was made with (default: bundled)."),
]
ReviewRoleOpt = Annotated[
    str | None,
    typer.Option("--role", "-r", help="The output's role (default: told by its clever.* columns)."),
]
ReviewOutputArg = Annotated[
    Path, typer.Argument(help="A matchengine output CSV (with match.* columns).")
]
ReviewThresholdOpt = Annotated[
    float | None,
    typer.Option("--threshold", help="The threshold the run used (default: the rules')."),
]


@app.command()
def report(
    output: ReviewOutputArg,
    html: Annotated[Path, typer.Option("--html", help="Where to write the review page.")],
    role: ReviewRoleOpt = None,
    rules: ReviewRulesOpt = None,
    threshold: ReviewThresholdOpt = None,
    review_band: ReviewBandOpt = None,
    id_column: IdColOpt = None,
    map_: MapOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Write one self-contained HTML review page (charts, filterable evidence; no network)."""
    from matchengine.fields import parse_map_options
    from matchengine.report import write_report
    from matchengine.review import parse_review_band

    summary = _run(
        lambda: write_report(
            output,
            html,
            role=role,
            rules_path=rules,
            id_column=id_column,
            overrides=parse_map_options(map_ or []),
            threshold=threshold,
            review_band=parse_review_band(review_band) if review_band else None,
        )
    )
    if as_json:
        _print_json(summary.to_dict())
        return
    cats = ", ".join(f"{n} {c}" for c, n in summary.categories.items())
    typer.echo(f"{summary.review_rows} row(s) to review ({cats})")
    typer.echo(f"wrote {summary.html} ({summary.bytes:,} bytes)")


@app.command()
def explain(
    output: ReviewOutputArg,
    app_id: Annotated[
        str | None, typer.Option("--app-id", help="Explain the row of this app id.")
    ] = None,
    clever_id: Annotated[
        str | None, typer.Option("--clever-id", help="Explain the row holding this Clever id.")
    ] = None,
    role: ReviewRoleOpt = None,
    rules: ReviewRulesOpt = None,
    threshold: ReviewThresholdOpt = None,
    id_column: IdColOpt = None,
    map_: MapOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show one record's field-by-field evidence: values, levels and weights, summed."""
    from matchengine.fields import parse_map_options
    from matchengine.review import explain as run_explain

    result = _run(
        lambda: run_explain(
            output,
            app_id=app_id,
            clever_id=clever_id,
            role=role,
            rules_path=rules,
            id_column=id_column,
            overrides=parse_map_options(map_ or []),
            threshold=threshold,
        )
    )
    if as_json:
        _print_json(result.to_dict())
    else:
        typer.echo(result.render(), nl=False)


def main() -> None:
    app(prog_name="matchengine")


if __name__ == "__main__":
    main()
