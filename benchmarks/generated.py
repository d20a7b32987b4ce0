"""Accuracy on generated districts: generate -> match -> evaluate, one row per run.

Usage:
    python benchmarks/generated.py [--records 20000] [--seed 1] [--out benchmarks/data]

Runs student, teacher and staff districts with ids, and a student district whose app
export has no district ids.  Prints a Markdown table (pair precision/recall/F1, duplicate
status precision/recall per side, records in/out, wall seconds) to stdout.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from matchengine.csvfile import read_table
from matchengine.evaluate import evaluate
from matchengine.pipeline import match
from matchengine.synth import generate

RUNS = (
    ("student", True),
    ("student", False),
    ("teacher", True),
    ("staff", True),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/data"))
    parser.add_argument("--roles", default="student,teacher,staff")
    args = parser.parse_args()
    roles = set(args.roles.split(","))
    print(
        "| role | app ids | records | pair P | pair R | pair F1 | dup P/R app | dup P/R Clever "
        "| every record once | match s |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for role, ids in RUNS:
        if role not in roles:
            continue
        d = args.out / f"{role}-{args.records}-{args.seed}-{'ids' if ids else 'noids'}"
        d.mkdir(parents=True, exist_ok=True)
        generate(role, args.records, args.seed, d, with_ids=ids)
        t0 = time.perf_counter()
        result = match(d / "app.csv", d / "clever", role, d / "out.csv")
        seconds = time.perf_counter() - t0
        rep = evaluate(d / "out.csv", d / "expected.csv").to_dict()
        table = read_table(d / "out.csv")
        app_col = table.column("app." + _id_header(table.header))
        app_vals = [v for v in app_col if v]
        clever_vals = [v for v in table.column("clever.id") if v]
        once = (
            len(app_vals) == len(set(app_vals)) == result.app_records
            and len(clever_vals) == len(set(clever_vals)) == result.clever_records
        )
        dup = rep["duplicate_scores"]
        print(
            f"| {role} | {'yes' if ids else 'no'} | {result.app_records} app / {result.clever_records} Clever "
            f"| {rep['pairs']['precision']:.4f} | {rep['pairs']['recall']:.4f} | {rep['pairs']['f1']:.4f} "
            f"| {_pr(dup.get('app'))} | {_pr(dup.get('clever'))} | {once} | {seconds:.1f} |"
        )


def _id_header(header: list[str]) -> str:
    from matchengine.fields import find_id_column

    app_headers = [h[4:] for h in header if h.startswith("app.")]
    found = find_id_column(app_headers)
    assert found is not None
    return found


def _pr(scores: dict | None) -> str:
    if not scores:
        return "-"
    return f"{scores.get('precision', 0):.3f} / {scores.get('recall', 0):.3f}"


if __name__ == "__main__":
    main()
