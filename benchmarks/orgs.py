"""Accuracy on generated schools, sections, districts and multi-role users.

Usage:
    python benchmarks/orgs.py [--records 2000] [--seed 1] [--out benchmarks/data] [--roles ...]

For each run: generate (``matchengine.synth.generate``), match, evaluate against the known
truth.  Prints a Markdown table (pair precision/recall/F1, duplicate-status precision/recall
per side, records, every-record-once check, wall seconds of ``match``) to stdout.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from matchengine.csvfile import read_table
from matchengine.evaluate import evaluate
from matchengine.pipeline import match
from matchengine.synth import generate

# (role, app ids, earlier student/teacher outputs for sections, label)
RUNS = (
    ("school", True, False, "ids"),
    ("school", False, False, "no district ids; half lack NCES/MDR"),
    ("section", True, True, "enrollments + student/teacher outputs"),
    ("section", True, False, "no enrollments, no earlier outputs"),
    ("district", True, False, "MDR/NCES columns"),
    ("district", False, False, "no MDR/NCES columns"),
    ("user", True, False, "employee ids"),
    ("user", False, False, "no employee ids"),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/data"))
    parser.add_argument("--roles", default="school,section,district,user")
    args = parser.parse_args()
    roles = set(args.roles.split(","))
    print(
        "| role | run | records | pair P | pair R | pair F1 | dup P/R app | dup P/R Clever "
        "| every record once | match s |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for role, ids, outputs, label in RUNS:
        if role not in roles:
            continue
        d = args.out / f"{role}-{args.records}-{args.seed}-{'ids' if ids else 'noids'}"
        if role == "section":
            d = d.with_name(d.name + ("-outputs" if outputs else "-bare"))
        d.mkdir(parents=True, exist_ok=True)
        generate(role, args.records, args.seed, d, with_ids=ids)
        extra: dict[str, Path] = {}
        if outputs:
            extra = {
                "enrollments": d / "enrollments.csv",
                "students_out": d / "students.csv",
                "teachers_out": d / "teachers.csv",
            }
        t0 = time.perf_counter()
        result = match(d / "app.csv", d / "clever", role, d / "out.csv", **extra)  # type: ignore[arg-type]
        seconds = time.perf_counter() - t0
        rep = evaluate(d / "out.csv", d / "expected.csv").to_dict()
        table = read_table(d / "out.csv")
        app_vals = [v for v in table.column("app.id") if v]
        clever_vals = [v for v in table.column("clever.id") if v]
        once = (
            len(app_vals) == len(set(app_vals)) == result.app_records
            and len(clever_vals) == len(set(clever_vals)) == result.clever_records
        )
        dup = rep["duplicate_scores"]
        print(
            f"| {role} | {label} | {result.app_records} app / {result.clever_records} Clever "
            f"| {rep['pairs']['precision']:.4f} | {rep['pairs']['recall']:.4f} "
            f"| {rep['pairs']['f1']:.4f} | {_pr(dup.get('app'))} | {_pr(dup.get('clever'))} "
            f"| {once} | {seconds:.1f} |",
            flush=True,
        )


def _pr(scores: dict | None) -> str:
    if not scores:
        return "-"
    p, r = scores.get("precision"), scores.get("recall")
    if p is None or r is None:
        return "-"
    return f"{p:.3f} / {r:.3f}"


if __name__ == "__main__":
    main()
