"""The review workflow: explain (golden), the waterfall arithmetic, and the offline HTML page.

Regenerate the explain goldens after a rules change with ``MATCHENGINE_UPDATE_GOLDEN=1``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from matchengine import matchmaker as mm
from matchengine.cli import app
from matchengine.errors import InvalidDataError, UsageError
from matchengine.pipeline import match
from matchengine.report import build_report, write_report
from matchengine.review import ReviewFile, explain, infer_role, parse_review_band

ROOT = Path(__file__).parents[1]
FIXTURE = ROOT / "fixtures" / "district"
GOLDEN = Path(__file__).parent / "golden"
runner = CliRunner()


@pytest.fixture(scope="module")
def output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("review") / "out.csv"
    match(FIXTURE / "app.csv", FIXTURE / "clever", "student", out)
    return out


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("MATCHENGINE_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == text, (
        f"{name} differs; if the rules changed on purpose, re-run with MATCHENGINE_UPDATE_GOLDEN=1"
    )


# ------------------------------------------------------------------------ explain


@pytest.mark.parametrize(
    ("app_id", "golden"),
    [("001", "explain_001.txt"), ("011", "explain_011_no_match.txt")],
)
def test_explain_matches_golden(output: Path, app_id: str, golden: str) -> None:
    result = runner.invoke(app, ["explain", str(output), "--app-id", app_id])
    assert result.exit_code == 0, result.stderr
    check_golden(golden, result.stdout)


def test_explain_by_clever_id_uses_the_candidate_row_values(output: Path) -> None:
    ex = explain(output, clever_id="6a0000000000000000000006")  # Jaylen, Clever-only
    ev = ex.evidence
    assert (ev.side, ev.status, ev.app_id) == ("clever", mm.CLEVER_NO_MATCH, "005")
    first = next(f for f in ev.fields if f.name == "first_name")
    assert (first.app_value, first.clever_value) == ("Jayden", "Jaylen")
    assert "best candidate: app 005 (Jayden Brown)" in ex.render()


def test_explain_a_record_with_no_scored_pair(output: Path) -> None:
    text = explain(output, app_id="009").render()
    assert "best candidate: none (no pair was scored for this record)" in text


def test_explain_json_is_one_object(output: Path) -> None:
    result = runner.invoke(app, ["explain", str(output), "--app-id", "006", "--json"])
    assert result.exit_code == 0
    obj = json.loads(result.stdout)
    assert obj["status"] == mm.APP_NO_MATCH and obj["clever_id"] == "6a0000000000000000000007"
    assert {f["field"] for f in obj["fields"]} >= {"sis_id", "dob", "first_name"}


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--app-id", "999"], "no row has app id '999'"),
        ([], "name exactly one record"),
        (["--app-id", "001", "--clever-id", "x"], "name exactly one record"),
    ],
)
def test_explain_usage_errors_exit_2(output: Path, args: list[str], fragment: str) -> None:
    result = runner.invoke(app, ["explain", str(output), *args])
    assert result.exit_code == 2
    assert fragment in result.stderr


def test_waterfall_sums_to_the_weight(output: Path) -> None:
    """prior + field weights (+ the tf adjustment, shown as its own line) = match.weight;
    without a term-frequency level in play, nothing is left over."""
    rf = ReviewFile(output)
    seen = 0
    for row in range(rf.n_rows):
        ev = rf.row_evidence(row)
        if ev.weight is None:
            assert not ev.fields
            continue
        seen += 1
        total = ev.prior + sum(f.weight for f in ev.fields) + ev.adjustment
        assert abs(total - ev.weight) < 0.02
        assert all(f.known for f in ev.fields)
        if not any(f.tf for f in ev.fields):
            assert ev.adjustment == 0
    assert seen >= 12


def test_rules_that_do_not_fit_the_file_are_flagged(output: Path, tmp_path: Path) -> None:
    text = (ROOT / "rules" / "student.toml").read_text(encoding="utf-8")
    other = tmp_path / "other.toml"
    other.write_text(text.replace('label = "nickname"', 'label = "alias"'), encoding="utf-8")
    ev = explain(output, app_id="001", rules_path=other).evidence
    first = next(f for f in ev.fields if f.name == "first_name")
    assert not first.known
    assert "levels unknown to these rules" in ev.adjustment_reason


def test_role_is_told_by_the_clever_columns() -> None:
    for role in ("student", "teacher", "staff"):
        header = ["app.id", *(f"clever.{f}" for f in mm.CLEVER_FIELDS[role]), mm.RESULT_COLUMN]
        assert infer_role(header) == role


def test_an_output_without_extras_is_refused_with_the_fix(tmp_path: Path) -> None:
    out = tmp_path / "plain.csv"
    match(FIXTURE / "app.csv", FIXTURE / "clever", "student", out, extras=False)
    with pytest.raises(InvalidDataError, match="--no-extras"):
        explain(out, app_id="001")


def test_parse_review_band() -> None:
    assert parse_review_band("0.5, 0.99") == (0.5, 0.99)
    for bad in ("0.5", "0.9,0.5", "x,y", "-1,0.5"):
        with pytest.raises(UsageError):
            parse_review_band(bad)


# ------------------------------------------------------------------------- report


def test_report_is_self_contained_and_reproducible(output: Path, tmp_path: Path) -> None:
    a, b = tmp_path / "a.html", tmp_path / "b.html"
    summary = write_report(output, a)
    write_report(output, b)
    assert a.read_bytes() == b.read_bytes()  # same inputs, same bytes
    page = a.read_text(encoding="utf-8")
    assert not re.search(r"https?://", page)
    assert not re.search(r"\b(src|href)\s*=|<link\b|@import|url\(", page)
    assert "default-src 'none'" in page  # the page itself refuses any network request
    assert page.count("<svg") == 3
    assert summary.categories == {"near threshold": 0, "duplicate": 4, "no match": 4}
    data = _page_data(page)
    keys = {r["key"] for r in data["rows"]}
    assert {"app:007", "app:008", "app:006", "app:011", "clever:6a0000000000000000000006"} <= keys
    assert "app:009" not in keys  # no candidate, nothing to review


def _page_data(page: str) -> dict[str, object]:
    m = re.search(r'<script type="application/json" id="review-data">(.*?)</script>', page, re.S)
    assert m
    return json.loads(m.group(1))  # type: ignore[no-any-return]


def test_report_review_band_picks_matches_near_the_threshold(output: Path) -> None:
    _, summary = build_report(output, review_band=(0.0, 1.0))
    assert summary.categories["near threshold"] == summary.counts[mm.MATCH]


def test_hostile_values_cannot_break_out_of_the_page(tmp_path: Path) -> None:
    app_csv = tmp_path / "app.csv"
    text = (FIXTURE / "app.csv").read_text(encoding="utf-8")
    text = text.replace("002,Ann,", '002,"</script><script>alert(1)</script>{{JS}}&amp;",')
    app_csv.write_text(text, encoding="utf-8")
    out = tmp_path / "out.csv"
    match(app_csv, FIXTURE / "clever", "student", out, review_band=(0.0, 1.0))
    page, _ = build_report(out)
    assert "<script>alert(1)" not in page
    assert page.count("<script") == 2
    row = next(r for r in _page_data(page)["rows"] if r["key"] == "app:002")  # type: ignore[attr-defined]
    assert row["appName"].startswith("</script><script>alert(1)</script>{{JS}}&amp;")


def test_cli_report_writes_the_page(output: Path, tmp_path: Path) -> None:
    html = tmp_path / "r.html"
    result = runner.invoke(app, ["report", str(output), "--html", str(html), "--json"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["review_rows"] == 8
    assert html.stat().st_size > 10_000
    result = runner.invoke(app, ["report", str(output), "--html", str(tmp_path / "no" / "r.html")])
    assert result.exit_code == 2


# ------------------------------------------------------------ in a real browser

CHROMIUM = next(
    (
        p
        for p in (shutil.which("chromium"), shutil.which("chromium-browser"), "/usr/bin/chromium")
        if p and Path(p).exists()
    ),
    None,
)
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
]


def _chromium(tmp: Path, name: str, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    cmd = [CHROMIUM, *FLAGS, f"--user-data-dir={tmp / ('profile-' + name)}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)


def _page_requests(netlog: Path) -> list[str]:
    """URLs the page asked for.  The browser's own background requests (update checks,
    account lookups) carry no initiator ('not an origin') and are not the page's."""
    log = json.loads(netlog.read_text(encoding="utf-8"))
    start = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    urls = []
    for e in log["events"]:
        p = e.get("params") or {}
        if e["type"] == start and "url" in p and p.get("initiator") != "not an origin":
            urls.append(str(p.get("url")))
    return urls


@pytest.mark.skipif(
    CHROMIUM is None,
    reason="Chromium is not installed (looked for chromium, chromium-browser, /usr/bin/chromium); "
    ".ci/run installs it with apt-get; run `apt-get install -y chromium` to run this test",
)
def test_report_in_headless_chromium(output: Path, tmp_path: Path) -> None:
    html = tmp_path / "report.html"
    write_report(output, html)
    url = html.as_uri() + "#open=app:011"
    netlog = tmp_path / "net.json"
    dom = _chromium(tmp_path, "dom", f"--log-net-log={netlog}", "--dump-dom", url)
    assert dom.returncode == 0, dom.stderr[-2000:]
    # The script ran to the end, raised nothing, and rendered the table and one waterfall.
    body = re.search(r"<body[^>]*>", dom.stdout)
    assert body, dom.stdout[:2000]
    assert 'data-ready="yes"' in body.group(0)
    assert "data-errors" not in body.group(0)
    assert 'data-rows="8"' in body.group(0)
    assert 'class="waterfall"' in dom.stdout and "match.weight" in dom.stdout
    console = [line for line in dom.stderr.splitlines() if ":CONSOLE" in line]
    assert console == []  # no console message at all: no error, no CSP violation
    assert _page_requests(netlog) == []

    shot = tmp_path / "report.png"
    ran = _chromium(tmp_path, "shot", "--window-size=1280,2300", f"--screenshot={shot}", url)
    assert ran.returncode == 0, ran.stderr[-2000:]
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert (width, height) == (1280, 2300)
    assert len(png) > 50_000  # a blank page compresses to a few kilobytes
    keep = os.environ.get("MATCHENGINE_SCREENSHOT")
    if keep:
        shutil.copy(shot, keep)
