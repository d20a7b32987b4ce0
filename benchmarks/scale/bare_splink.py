"""The bare-Splink reference: ``linker.inference.predict()`` alone, on matchengine's inputs.

Two steps, each its own process so that the second one's peak RSS is Splink's and DuckDB's
alone:

``prepare DISTRICT WORK``
    Reads the app CSV and the Clever snapshot exactly as matchengine does (``read_csv``,
    ``map_headers``, ``load_role``, ``normalize_people``) and writes the two normalised
    tables as Parquet to ``WORK`` (with the ``unique_id`` row index matchengine gives them).
``predict WORK``
    Loads the Parquet into DuckDB tables, adds the ``source_dataset`` column through views
    (as ``matchengine.link`` does, so the app-Clever-only blocking rules work), builds a
    ``splink.Linker`` with ``matchengine.link.splink_settings`` (the same comparisons and
    blocking rules, the rules' own m and u, no training) and times only
    ``linker.inference.predict()`` with matchengine's keep threshold.
``count WORK``
    Counts the candidate pairs the blocking rules produce (before any threshold), per rule
    (marginal: not produced by an earlier rule), with Splink's blocking analysis.

Each step prints one JSON object to stdout.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROLE = "student"


def prepare(district: Path, work: Path) -> dict[str, Any]:
    import polars as pl

    from matchengine.clever import load_role
    from matchengine.csvfile import read_csv
    from matchengine.fields import find_id_column, map_headers
    from matchengine.normalize import normalize_people

    t0 = time.perf_counter()
    table, problems, _ = read_csv(district / "app.csv")
    if table is None:
        raise SystemExit(f"{district / 'app.csv'}: not a valid CSV ({problems[:1]})")
    id_column = find_id_column(table.header)
    mapping = map_headers(table.header, ROLE, id_column=id_column).fields
    app_raw = pl.DataFrame(
        {f: table.column(h) for f, h in mapping.items()}, schema=dict.fromkeys(mapping, pl.String)
    )
    clever_raw = load_role(district / "clever", ROLE)
    if "_preferred_first_name" in clever_raw.columns:
        clever_raw = clever_raw.rename({"_preferred_first_name": "preferred_first_name"})
    work.mkdir(parents=True, exist_ok=True)
    sizes = {}
    for name, raw in (("app", app_raw), ("clever", clever_raw)):
        frame = normalize_people(raw).with_row_index("unique_id")
        frame = frame.with_columns(pl.col("unique_id").cast(pl.Int64))
        frame.write_parquet(work / f"{name}.parquet")
        sizes[name] = frame.height
    return {
        "app_records": sizes["app"],
        "clever_records": sizes["clever"],
        "prepare_s": time.perf_counter() - t0,
    }


def predict(work: Path, threads: int | None) -> dict[str, Any]:
    import duckdb
    from splink import DuckDBAPI, Linker

    from matchengine.link import splink_settings
    from matchengine.pipeline import _KEEP_PROBABILITY
    from matchengine.resolve import logit
    from matchengine.rules import load_rules

    rules = load_rules(ROLE)
    with tempfile.TemporaryDirectory(prefix="scale-splink-") as tmp:
        con = duckdb.connect(":memory:", config={"temp_directory": str(Path(tmp) / "spill")})
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        t0 = time.perf_counter()
        counts = _load(con, work)
        n_app, n_clever = counts["app"], counts["clever"]
        # matchengine's prior and keep threshold: it scores with a neutral prior and keeps
        # pairs whose weight sum is >= logit(keep) - logit(prior); with the real prior in
        # the settings, that is a match weight >= logit(keep).
        prior = rules.prior if rules.prior is not None else 1.0 / max(n_app, n_clever, 2)
        threshold = logit(_KEEP_PROBABILITY)
        db = DuckDBAPI(connection=con)
        a = db.register("ref_app_src", dataset_display_name="app")
        b = db.register("ref_clever_src", dataset_display_name="clever")
        linker = Linker([a, b], splink_settings(rules, prior), log_level=None)
        setup_s = time.perf_counter() - t0
        rss_before_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t1 = time.perf_counter()
        predictions = linker.inference.predict(threshold_match_weight=threshold)
        predict_s = time.perf_counter() - t1
        rss_after_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        pairs = int(
            con.execute(f"SELECT count(*) FROM {predictions.physical_name}").fetchall()[0][0]
        )
        con.close()
    return {
        "app_records": n_app,
        "clever_records": n_clever,
        "prior": prior,
        "threshold_match_weight": threshold,
        "setup_s": setup_s,
        "predict_s": predict_s,
        "pairs": pairs,
        "peak_rss_before_predict_kb": rss_before_kb,
        "peak_rss_after_predict_kb": rss_after_kb,
    }


def _load(con: Any, work: Path) -> dict[str, int]:
    """The Parquet tables as DuckDB tables ``ref_<side>``, with ``source_dataset`` views."""
    counts = {}
    for name in ("app", "clever"):
        path = str(work / f"{name}.parquet")
        con.execute(f"CREATE TABLE ref_{name} AS SELECT * FROM read_parquet('{path}')")
        con.execute(
            f"CREATE VIEW ref_{name}_src AS SELECT *, '{name}' AS source_dataset FROM ref_{name}"
        )
        counts[name] = int(con.execute(f"SELECT count(*) FROM ref_{name}").fetchall()[0][0])
    return counts


def count(work: Path) -> dict[str, Any]:
    import duckdb
    from splink import DuckDBAPI
    from splink.blocking_analysis import count_comparisons_from_blocking_rules

    from matchengine.link import blocking_sql
    from matchengine.rules import load_rules

    rules = load_rules(ROLE)
    con = duckdb.connect(":memory:")
    _load(con, work)
    db = DuckDBAPI(connection=con)
    a = db.register("ref_app_src", dataset_display_name="app")
    b = db.register("ref_clever_src", dataset_display_name="clever")
    t0 = time.perf_counter()
    sqls = blocking_sql(rules)
    records = count_comparisons_from_blocking_rules(
        [a, b],
        blocking_rules=sqls,
        link_type="link_and_dedupe",
        source_dataset_column_name="source_dataset",
        record_sample_proportion=1.0,
    )
    by_rule = [
        {"rule": sql, "marginal": int(r["marginal_comparison_count"])}
        for sql, r in zip(sqls, records, strict=True)
    ]
    con.close()
    return {
        "candidates": sum(x["marginal"] for x in by_rule),
        "by_rule": by_rule,
        "count_s": time.perf_counter() - t0,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="step", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("district", type=Path)
    p.add_argument("work", type=Path)
    q = sub.add_parser("predict")
    q.add_argument("work", type=Path)
    q.add_argument("--threads", type=int)
    c = sub.add_parser("count")
    c.add_argument("work", type=Path)
    args = parser.parse_args(argv)
    if args.step == "prepare":
        result = prepare(args.district, args.work)
    elif args.step == "predict":
        result = predict(args.work, args.threads)
    else:
        result = count(args.work)
    json.dump(result, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
