"""The naive exact-join reference: ``benchmarks.accuracy.peers.run_exact`` on one district.

``python -m benchmarks.scale.exact_join DISTRICT OUT_CSV`` reads and cleans the district
with ``peers.prepare`` (timed apart), runs the exact join (timed), and writes its
Matchmaker-format prediction to ``OUT_CSV``.  Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from benchmarks.accuracy.datasets import Problem
from benchmarks.accuracy.peers import prepare, run_exact, write_prediction


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("district", type=Path)
    parser.add_argument("out", type=Path)
    args = parser.parse_args(argv)
    problem = Problem(
        name=args.district.name,
        kind="generated",
        role="student",
        directory=args.district,
        app_records=0,
        clever_records=0,
        true_pairs=0,
    )
    t0 = time.perf_counter()
    prep = prepare(problem)
    t1 = time.perf_counter()
    pairs = run_exact(prep)
    t2 = time.perf_counter()
    write_prediction(prep, pairs, args.out)
    t3 = time.perf_counter()
    json.dump(
        {"prepare_s": t1 - t0, "join_s": t2 - t1, "write_s": t3 - t2, "pairs": len(pairs)},
        sys.stdout,
    )
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
