"""Scale benchmark (issue 5): matchengine on 10k to 1M-student districts, with references.

Usage (from the repository root):

    python -m benchmarks.scale [--sizes 10000 20000 100000 1000000] [--seed 7]
        [--cache benchmarks/data/scale] [--skip-references] [--memory-check] [--repeat 2]

For each size it generates a student district once (``matchengine generate``, cached under
``CACHE/student-N-sS``), runs ``matchengine match ... --json`` as a subprocess under GNU
``/usr/bin/time -v`` (wall time, peak RSS; per-stage seconds and pairs scored from the
JSON) and scores the output's F1 against the generated truth.  Unless
``--skip-references``, it also runs on the same files, one process at a time:

* bare Splink ``predict()`` with matchengine's comparisons, blocking rules and keep
  threshold (``bare_splink.py``; the reading and normalising is done in an earlier process
  and not counted);
* the naive exact join of ``benchmarks/accuracy/peers.py`` (``exact_join.py``).

matchengine and bare Splink's ``predict()`` take turns ``--repeat`` times (default 2) and
each is credited with its fastest run: on a shared machine the noise only adds time, and
it moved bare Splink's 1M time from 21 to 36 s between two runs.  The peak RSS is the
highest of the runs, and the outputs of the runs must be byte-identical.

``--memory-check`` matches a 200k district twice, plainly and with
``--memory-limit 1GB --threads 2``, and checks the two outputs are byte-identical.

Prints a Markdown table and the issue's checks; writes ``benchmarks/results/scale.json``.
Progress and the time of every step go to stderr.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
GNU_TIME = "/usr/bin/time"
ROLE = "student"
DEFAULT_SIZES = (10000, 20000, 100000, 1000000)
F1_BASE = 20000  # F1 at the largest size must be no lower than at this size
BIG, MID = 1000000, 100000
MEMORY_CHECK_SIZE = 200000
MEMORY_LIMIT = "1GB"
RESULTS = ROOT / "benchmarks" / "results" / "scale.json"
SAMPLE_S = 0.25  # RSS sampling period
GB = 1e9  # peak RSS is reported in decimal gigabytes (10^9 bytes)

# The limits.
MAX_WALL_S = 60.0
MAX_RSS_GB = 6.0
MAX_RATIO = 2.0
MAX_GROWTH = 12.0


def say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


@dataclass
class Proc:
    wall_s: float
    peak_rss_kb: int | None
    returncode: int
    stdout: str
    rss_samples: list[tuple[float, int]]  # (seconds since start, RSS kB of the process tree)


def _tree_rss_kb(pid: int) -> int:
    """RSS of ``pid`` and its descendants, in kB (0 once they have exited)."""
    total = 0
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        m = re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)
        total += int(m.group(1)) if m else 0
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return total
    return total + sum(_tree_rss_kb(int(c)) for c in children)


def timed(cmd: list[str], log: Path) -> Proc:
    """Run ``cmd`` under GNU time; stderr goes to ``log``.

    Returns wall time, peak RSS (GNU time's "Maximum resident set size") and RSS samples
    taken every ``SAMPLE_S`` seconds (to tell in which stage the peak falls).
    """
    with tempfile.NamedTemporaryFile("r", suffix=".time", delete=False) as tf:
        time_file = Path(tf.name)
    samples: list[tuple[float, int]] = []
    try:
        with log.open("w") as err, tempfile.TemporaryFile("w+") as out:
            t0 = time.perf_counter()
            proc = subprocess.Popen(
                [GNU_TIME, "-v", "-o", str(time_file), *cmd],
                cwd=ROOT,
                stdout=out,
                stderr=err,
                text=True,
            )
            while proc.poll() is None:
                samples.append((time.perf_counter() - t0, _tree_rss_kb(proc.pid)))
                time.sleep(SAMPLE_S)
            wall = time.perf_counter() - t0
            out.seek(0)
            stdout = out.read()
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", time_file.read_text())
    finally:
        time_file.unlink(missing_ok=True)
    peak = int(m.group(1)) if m else None
    return Proc(wall, peak, proc.returncode, stdout, samples)


_STARTUP_S: list[float] = []


def startup_s() -> float:
    """Seconds for a Python process to start and import matchengine (measured once)."""
    if not _STARTUP_S:
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", "import matchengine.cli, matchengine.pipeline"],
            cwd=ROOT,
            check=True,
        )
        _STARTUP_S.append(time.perf_counter() - t0)
    return _STARTUP_S[0]


def stage_peaks(proc: Proc, seconds: dict[str, float]) -> dict[str, int]:
    """Highest sampled RSS (kB) in each stage, by the stages' cumulative seconds.

    The stage clock does not cover interpreter start and imports (measured apart by
    ``startup_s``) nor the exit; the boundaries are approximate (to a second or so).
    """
    start = min(startup_s(), max(0.0, proc.wall_s - sum(seconds.values())))
    bounds: list[tuple[str, float, float]] = [("startup", 0.0, start)]
    for name, s in seconds.items():
        bounds.append((name, start, start + s))
        start += s
    peaks: dict[str, int] = {}
    for t, rss in proc.rss_samples:
        name = next((n for n, a, b in bounds if a <= t < b), "exit")
        peaks[name] = max(peaks.get(name, 0), rss)
    return peaks


class StepFailed(RuntimeError):
    pass


def run_json(cmd: list[str], log: Path, what: str) -> tuple[Proc, dict[str, Any]]:
    proc = timed(cmd, log)
    if proc.returncode != 0:
        tail = log.read_text(errors="replace").strip().splitlines()[-5:]
        raise StepFailed(f"{what} failed (exit {proc.returncode}); see {log}: {' | '.join(tail)}")
    return proc, json.loads(proc.stdout)


def engine(*args: str) -> list[str]:
    return [sys.executable, "-m", "matchengine.cli", *args]


def module(name: str, *args: str) -> list[str]:
    return [sys.executable, "-m", f"benchmarks.scale.{name}", *args]


def district(cache: Path, size: int, seed: int, steps: dict[str, float]) -> Path:
    """The cached district of ``size`` students, generated if it is not complete."""
    d = cache / f"{ROLE}-{size}-s{seed}"
    if (d / "expected.csv").exists():
        say(f"[{size}] district cached in {d}")
        return d
    partial = d.with_name(d.name + ".partial")
    if partial.exists():
        shutil.rmtree(partial)
    if d.exists():
        shutil.rmtree(d)
    cache.mkdir(parents=True, exist_ok=True)
    say(f"[{size}] generating {d} ...")
    cmd = engine("generate", "--role", ROLE, "--records", str(size), "--seed", str(seed))
    proc, _ = run_json(
        [*cmd, "--out", str(partial), "--json"], cache / f"generate-{size}.log", "generate"
    )
    partial.rename(d)
    steps["generate"] = proc.wall_s
    say(f"[{size}] generated in {proc.wall_s:.1f} s")
    return d


def f1_of(predicted: Path, expected: Path, log: Path) -> float:
    _, rep = run_json(engine("evaluate", str(predicted), str(expected), "--json"), log, "evaluate")
    return float(rep["pairs"]["f1"])


def match_run(d: Path, out: Path, extra: list[str], tag: str) -> dict[str, Any]:
    cmd = engine("match", str(d / "app.csv"), "--clever", str(d / "clever"), "--role", ROLE)
    proc, result = run_json([*cmd, "--out", str(out), "--json", *extra], d / f"{tag}.log", "match")
    peaks = stage_peaks(proc, result["seconds"])
    return {
        "wall_s": proc.wall_s,
        "peak_rss_kb": proc.peak_rss_kb,
        "peak_stage": max(peaks, key=peaks.__getitem__) if peaks else None,
        "stage_peak_rss_kb": peaks,
        "app_records": result["app_records"],
        "clever_records": result["clever_records"],
        "pairs_scored": result["pairs_scored"],
        "seconds": result["seconds"],
        "counts": result.get("counts", {}),
        "u_sample_pairs": result.get("u_sample_pairs"),
    }


def run_size(size: int, args: argparse.Namespace) -> dict[str, Any]:
    steps: dict[str, float] = {}
    row: dict[str, Any] = {"size": size, "steps_s": steps}
    d = district(args.cache, size, args.seed, steps)
    row["district"] = str(d)

    work = d / "splink-ref"
    prep: dict[str, Any] = {}
    if not args.skip_references:
        say(f"[{size}] bare Splink: preparing normalised inputs ...")
        proc, prep = run_json(
            module("bare_splink", "prepare", str(d), str(work)),
            d / "splink-prepare.log",
            "splink prepare",
        )
        steps["splink_prepare"] = proc.wall_s
    # matchengine and bare Splink's predict() take turns, --repeat times each; each is
    # credited with its fastest run (the machine's noise only ever adds time).
    ours: list[dict[str, Any]] = []
    refs: list[tuple[Proc, dict[str, Any]]] = []
    outputs: list[Path] = []
    for i in range(args.repeat):
        out = d / ("out-scale.csv" if i == 0 else f"out-scale-{i}.csv")
        say(f"[{size}] matchengine match (run {i + 1} of {args.repeat}) ...")
        ours.append(match_run(d, out, [], "match" if i == 0 else f"match-{i}"))
        outputs.append(out)
        say(f"[{size}] match {ours[-1]['wall_s']:.1f} s, peak {_gb(ours[-1]['peak_rss_kb'])} GB")
        if not args.skip_references:
            say(f"[{size}] bare Splink: predict (run {i + 1} of {args.repeat}) ...")
            refs.append(
                run_json(
                    module("bare_splink", "predict", str(work)),
                    d / "splink-predict.log",
                    "splink predict",
                )
            )
            say(f"[{size}] bare Splink predict {refs[-1][1]['predict_s']:.1f} s")
    m = dict(min(ours, key=lambda r: r["wall_s"]))
    m["wall_s_runs"] = [r["wall_s"] for r in ours]
    peaks = [r["peak_rss_kb"] for r in ours if r["peak_rss_kb"] is not None]
    m["peak_rss_kb"] = max(peaks) if peaks else None
    m["repeats_identical"] = all(filecmp.cmp(outputs[0], o, shallow=False) for o in outputs)
    for extra in outputs[1:]:
        extra.unlink(missing_ok=True)
    row["matchengine"] = m
    steps["match"] = m["wall_s"]
    t0 = time.perf_counter()
    m["f1"] = f1_of(d / "out-scale.csv", d / "expected.csv", d / "evaluate.log")
    steps["evaluate"] = time.perf_counter() - t0
    say(
        f"[{size}] match {m['wall_s']:.1f} s (fastest of {args.repeat}), peak "
        f"{_gb(m['peak_rss_kb'])} GB, {m['pairs_scored']} pairs, F1 {m['f1']:.4f} "
        f"(evaluate {steps['evaluate']:.1f} s)"
    )
    if args.skip_references:
        return row

    predict_proc, ref = min(refs, key=lambda r: r[1]["predict_s"])
    ref["predict_s_runs"] = [r[1]["predict_s"] for r in refs]
    steps["splink_predict_process"] = predict_proc.wall_s
    say(f"[{size}] counting the candidate pairs of the blocking rules ...")
    proc, blocked = run_json(module("bare_splink", "count", str(work)), d / "count.log", "count")
    steps["count_candidates"] = proc.wall_s
    row["candidates"] = blocked
    shutil.rmtree(work, ignore_errors=True)
    # The predict process's own wall time and peak (not the counting process's).
    ref.update(
        prepare_s=prep["prepare_s"],
        process_wall_s=predict_proc.wall_s,
        peak_rss_kb=predict_proc.peak_rss_kb,
    )
    row["bare_splink"] = ref
    row["ratio"] = m["wall_s"] / ref["predict_s"] if ref["predict_s"] > 0 else None
    say(
        f"[{size}] {blocked['candidates']} candidate pairs; "
        f"bare Splink predict {ref['predict_s']:.1f} s, {ref['pairs']} pairs kept, "
        f"process peak {_gb(predict_proc.peak_rss_kb)} GB (prepare {steps['splink_prepare']:.1f} s, "
        f"predict process {predict_proc.wall_s:.1f} s)"
    )

    say(f"[{size}] exact join ...")
    out = d / "out-exact.csv"
    proc, ex = run_json(module("exact_join", str(d), str(out)), d / "exact.log", "exact join")
    steps["exact_join_process"] = proc.wall_s
    t0 = time.perf_counter()
    ex.update(process_wall_s=proc.wall_s, peak_rss_kb=proc.peak_rss_kb)
    ex["f1"] = f1_of(out, d / "expected.csv", d / "evaluate-exact.log")
    steps["exact_join_evaluate"] = time.perf_counter() - t0
    row["exact_join"] = ex
    say(
        f"[{size}] exact join {ex['join_s']:.1f} s (prepare {ex['prepare_s']:.1f} s, "
        f"process {proc.wall_s:.1f} s), F1 {ex['f1']:.4f}"
    )
    return row


def memory_check(args: argparse.Namespace) -> dict[str, Any]:
    steps: dict[str, float] = {}
    d = district(args.cache, MEMORY_CHECK_SIZE, args.seed, steps)
    runs = {}
    for tag, extra in (
        ("plain", []),
        ("limited", ["--memory-limit", MEMORY_LIMIT, "--threads", "2"]),
    ):
        say(f"[memory check] {MEMORY_CHECK_SIZE} {tag} {' '.join(extra)} ...")
        try:
            r = match_run(d, d / f"out-{tag}.csv", extra, f"match-{tag}")
        except StepFailed as exc:
            r = {"error": str(exc)}
        r["options"] = " ".join(extra) or "(none)"
        runs[tag] = r
        steps[f"match_{tag}"] = r.get("wall_s", 0.0)
        say(
            f"[memory check] {tag}: {r.get('wall_s', 0):.1f} s, peak {_gb(r.get('peak_rss_kb'))} GB"
        )
    ok = all("error" not in r for r in runs.values())
    identical = ok and filecmp.cmp(d / "out-plain.csv", d / "out-limited.csv", shallow=False)
    return {"size": MEMORY_CHECK_SIZE, "runs": runs, "identical": identical, "steps_s": steps}


# --------------------------------------------------------------------------- reporting


def _gb(kb: int | None) -> str:
    return "-" if kb is None else f"{kb * 1024 / GB:.2f}"


def _s(x: float | None, digits: int = 1) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def stage_names(rows: list[dict[str, Any]]) -> list[str]:
    names: list[str] = []
    for r in rows:
        for k in r.get("matchengine", {}).get("seconds", {}):
            if k not in names:
                names.append(k)
    return names


def _runs(best: float, runs: list[float] | None) -> str:
    """``best`` in bold with every run's time after it, when there was more than one."""
    if not runs or len(runs) < 2:
        return _s(best)
    return f"**{_s(best)}** ({', '.join(_s(x) for x in runs)})"


def table(rows: list[dict[str, Any]]) -> list[str]:
    stages = stage_names(rows)
    head = [
        "size", "app records", "Clever records", "matchengine wall s (each run)", "peak RSS GB",
        "peak in stage (approx.)", "pairs scored", "candidate pairs",
        *(f"{s} s" for s in stages), "F1", "bare-Splink predict s (each run)", "bare-Splink pairs",
        "bare-Splink peak GB", "ratio (fastest / fastest)", "exact-join s", "exact-join F1",
    ]  # fmt: skip
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['size']} | " + f"failed: {r['error']} |")
            continue
        m, ref, ex = r["matchengine"], r.get("bare_splink"), r.get("exact_join")
        cells = [
            str(r["size"]), str(m["app_records"]), str(m["clever_records"]),
            _runs(m["wall_s"], m.get("wall_s_runs")),
            _gb(m["peak_rss_kb"]), m.get("peak_stage") or "-", str(m["pairs_scored"]),
            str(r["candidates"]["candidates"]) if "candidates" in r else "-",
            *(_s(m["seconds"].get(s), 2) for s in stages), f"{m['f1']:.4f}",
            _runs(ref["predict_s"], ref.get("predict_s_runs")) if ref else "-",
            str(ref["pairs"]) if ref else "-",
            _gb(ref["peak_rss_kb"]) if ref else "-",
            _s(r.get("ratio"), 2) if ref else "-",
            _s(ex["join_s"]) if ex else "-", f"{ex['f1']:.4f}" if ex else "-",
        ]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def checks(rows: list[dict[str, Any]], mem: dict[str, Any] | None) -> list[dict[str, Any]]:
    by = {r["size"]: r for r in rows if "error" not in r}
    out: list[dict[str, Any]] = []

    def add(name: str, ok: bool | None, detail: str) -> None:
        out.append({"check": name, "pass": ok, "detail": detail})

    big = by.get(BIG, {}).get("matchengine")
    if big:
        add("1M end to end <= 60 s wall", big["wall_s"] <= MAX_WALL_S, f"{big['wall_s']:.1f} s")
        rss = big["peak_rss_kb"] * 1024 / GB if big["peak_rss_kb"] else None
        add(
            "1M peak RSS <= 6 GB",
            rss is not None and rss <= MAX_RSS_GB,
            f"{_gb(big['peak_rss_kb'])} GB",
        )
        base = by.get(F1_BASE, {}).get("matchengine")
        if base:
            add(
                "F1(1M) >= F1(20k)", big["f1"] >= base["f1"],
                f"{big['f1']:.4f} vs {base['f1']:.4f}",
            )  # fmt: skip
        else:
            add("F1(1M) >= F1(20k)", None, "20k not run")
        ratio = by[BIG].get("ratio")
        if ratio is not None:
            ref = by[BIG]["bare_splink"]["predict_s"]
            add(
                "1M end to end <= 2x bare Splink predict()", ratio <= MAX_RATIO,
                f"{big['wall_s']:.1f} s / {ref:.1f} s = {ratio:.2f}x",
            )  # fmt: skip
        else:
            add("1M end to end <= 2x bare Splink predict()", None, "references skipped")
        add(
            "1M output identical across the repeated runs", big.get("repeats_identical", True),
            f"{len(big.get('wall_s_runs', [1]))} run(s), byte comparison",
        )  # fmt: skip
        mid = by.get(MID, {}).get("matchengine")
        if mid:
            growth = big["wall_s"] / mid["wall_s"]
            add(
                "t(1M) <= 12x t(100k)", growth <= MAX_GROWTH,
                f"{big['wall_s']:.1f} s / {mid['wall_s']:.1f} s = {growth:.2f}x",
            )  # fmt: skip
        else:
            add("t(1M) <= 12x t(100k)", None, "100k not run")
    else:
        add("1M checks", None, "1M not run")
    if mem is not None:
        runs = mem["runs"]
        lim = runs["limited"]
        add(
            f"200k with --memory-limit {MEMORY_LIMIT} completes", "error" not in lim,
            lim.get("error") or f"{lim['wall_s']:.1f} s, peak {_gb(lim['peak_rss_kb'])} GB",
        )  # fmt: skip
        add("200k output identical with and without the limit", mem["identical"], "byte comparison")
    return out


def memory_table(mem: dict[str, Any]) -> list[str]:
    lines = [
        f"Memory check ({mem['size']} students):",
        "",
        "| run | options | wall s | peak RSS GB | peak in stage (approx.) | pairs scored |",
        "|---|---|---|---|---|---|",
    ]
    for tag, r in mem["runs"].items():
        if "error" in r:
            lines.append(f"| {tag} | {r['options']} | failed: {r['error']} | - | - | - |")
        else:
            lines.append(
                f"| {tag} | {r['options']} | {r['wall_s']:.1f} | {_gb(r['peak_rss_kb'])} "
                f"| {r['peak_stage']} | {r['pairs_scored']} |"
            )
    lines += ["", f"Outputs byte-identical: {mem['identical']}"]
    return lines


def _git(*args: str) -> str:
    proc = subprocess.run(
        ["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=False
    )
    return proc.stdout.strip()


def environment() -> dict[str, Any]:
    from importlib.metadata import version

    status = _git("status", "--short").splitlines()
    return {
        "commit": _git("log", "-1", "--format=%h"),
        "modified_engine_files": [s[3:] for s in status if s[3:].startswith("matchengine/")],
        "python": platform.python_version(),
        "splink": version("splink"),
        "duckdb": version("duckdb"),
        "cpus": os.cpu_count(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / GB, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--cache", type=Path, default=ROOT / "benchmarks" / "data" / "scale")
    parser.add_argument("--skip-references", action="store_true")
    parser.add_argument("--memory-check", action="store_true")
    parser.add_argument(
        "--repeat",
        type=int,
        default=2,
        help="runs of matchengine and of bare Splink's predict() per size, taking turns; "
        "each is credited with its fastest (default 2)",
    )
    args = parser.parse_args(argv)
    args.cache = args.cache.resolve()
    if not Path(GNU_TIME).exists():
        parser.error(f"GNU time is needed at {GNU_TIME}")
    started = time.perf_counter()
    env = environment()
    say(f"commit {env['commit']}; modified engine files: {env['modified_engine_files'] or 'none'}")
    rows: list[dict[str, Any]] = []
    for size in sorted(set(args.sizes)):
        try:
            rows.append(run_size(size, args))
        except StepFailed as exc:
            say(f"[{size}] {exc}")
            rows.append({"size": size, "error": str(exc)})
    mem = memory_check(args) if args.memory_check else None
    found = checks(rows, mem)
    lines = table(rows)
    if mem is not None:
        lines += ["", *memory_table(mem)]
    lines += ["", "Checks:", ""]
    for c in found:
        mark = "n/a" if c["pass"] is None else ("PASS" if c["pass"] else "FAIL")
        lines.append(f"- {mark}: {c['check']}: {c['detail']}")
    print("\n".join(lines))
    total = time.perf_counter() - started
    say(f"total {total:.1f} s")
    end = environment()
    if (end["commit"], end["modified_engine_files"]) != (
        env["commit"],
        env["modified_engine_files"],
    ):
        say(
            f"note: the engine changed during the run: now commit {end['commit']}, "
            f"modified engine files: {end['modified_engine_files'] or 'none'}"
        )
    env["at_end"] = {k: end[k] for k in ("commit", "modified_engine_files")}
    results = {
        "command": "python -m benchmarks.scale "
        + " ".join(argv if argv is not None else sys.argv[1:]),
        "seed": args.seed,
        "environment": env,
        "sizes": rows,
        "memory_check": mem,
        "checks": found,
        "total_s": total,
        "table": lines,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    tmp = RESULTS.with_name(RESULTS.name + ".tmp")
    tmp.write_text(json.dumps(results, indent=2) + "\n")
    tmp.replace(RESULTS)
    return 0 if all(c["pass"] is not False for c in found) else 1
