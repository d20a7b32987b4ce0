"""Spark benchmark (issue 8): the same generated district matched on DuckDB and on Spark.

Usage (from the repository root, after ``pip install -e '.[spark]'``; Java from the OS):

    python -m benchmarks.spark [--sizes 20000] [--seed 3] [--master local[*]]
        [--cache benchmarks/data/scale]

For each size it takes the cached student district of ``benchmarks.scale`` (generating
it if needed), runs ``matchengine match --json`` once per backend as a subprocess under GNU
``/usr/bin/time -v`` (wall time, peak RSS; per-stage seconds from the JSON; the Spark run's
time includes starting the JVM), scores each output's F1 against the generated truth and
checks the two outputs are byte-identical.  Prints a Markdown table; writes
``benchmarks/results/spark.json``.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import platform
import sys
from pathlib import Path
from typing import Any

from benchmarks.scale.run import ROOT, district, engine, f1_of, run_json, say

RESULTS = ROOT / "benchmarks" / "results" / "spark.json"


def run_backend(d: Path, backend: str, master: str) -> tuple[Path, dict[str, Any]]:
    out = d / f"out-{backend}.csv"
    cmd = engine("match", str(d / "app.csv"), "--clever", str(d / "clever"), "--role", "student")
    extra = ["--backend", backend] + (["--spark-master", master] if backend == "spark" else [])
    say(f"  {backend} ...")
    proc, result = run_json(
        [*cmd, "--out", str(out), "--json", *extra], d / f"spark-bench-{backend}.log", "match"
    )
    row = {
        "backend": backend,
        "wall_s": round(proc.wall_s, 1),
        "peak_rss_mb": round((proc.peak_rss_kb or 0) / 1024),
        "seconds": result["seconds"],
        "pairs_scored": result["pairs_scored"],
        "f1": f1_of(out, d / "expected.csv", d / f"spark-bench-eval-{backend}.log"),
    }
    say(f"  {backend}: {row['wall_s']} s, F1 {row['f1']:.4f}")
    return out, row


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[20000])
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--master", default="local[*]")
    ap.add_argument("--cache", type=Path, default=ROOT / "benchmarks" / "data" / "scale")
    args = ap.parse_args(argv)
    runs: list[dict[str, Any]] = []
    all_same = True
    for size in args.sizes:
        steps: dict[str, float] = {}
        d = district(args.cache, size, args.seed, steps)
        say(f"[{size}] matching on both backends")
        duck_out, duck = run_backend(d, "duckdb", args.master)
        spark_out, spark = run_backend(d, "spark", args.master)
        same = filecmp.cmp(duck_out, spark_out, shallow=False)
        all_same &= same
        runs.append(
            {
                "size": size,
                "identical_output": same,
                "spark_over_duckdb": round(spark["wall_s"] / duck["wall_s"], 1),
                "backends": [duck, spark],
            }
        )
    print("| students | backend | wall s | peak RSS MB | score s | F1 | same output |")
    print("|---|---|---|---|---|---|---|")
    for r in runs:
        for b in r["backends"]:
            print(
                f"| {r['size']} | {b['backend']} | {b['wall_s']} | {b['peak_rss_mb']} | "
                f"{b['seconds'].get('score', 0):.1f} | {b['f1']:.4f} | {r['identical_output']} |"
            )
    doc = {
        "command": "python -m benchmarks.spark " + " ".join(sys.argv[1:] if argv is None else argv),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "master": args.master,
        "seed": args.seed,
        "runs": runs,
    }
    RESULTS.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    say(f"wrote {RESULTS}")
    return 0 if all_same else 1
