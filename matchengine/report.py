"""The offline review page: one self-contained HTML file for a matchengine output.

Everything is inside the file: CSS and JavaScript inline, charts as inline SVG, the
review rows as JSON in a ``<script type="application/json">`` block.  A Content Security
Policy forbids every network request, so student data never leaves the file.  The same
inputs give the same bytes (no timestamps).

The page shows the counts per status, the distribution of match weights with the
threshold marked, per-field agreement among matches, and a filterable table of the rows a
person should look at: matches close to the threshold, duplicates with their groups, and
unmatched records with their best candidate.  Each row expands to its waterfall (see
``review``), and offers buttons that collect decisions into a ``app_id,clever_id`` CSV
download, ready for ``matchengine match --decisions``.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matchengine import matchmaker as mm
from matchengine.atomic import atomic_text
from matchengine.errors import UsageError
from matchengine.output import ReviewBand
from matchengine.review import NULL_LEVEL, ReviewFile, RowEvidence, logit2

NEAR = "near threshold"
DUPLICATE = "duplicate"
NO_MATCH = "no match"
CATEGORIES = (NEAR, DUPLICATE, NO_MATCH)
# Without --review-band or a match.review column: matches below this probability.
DEFAULT_REVIEW_HIGH = 0.999
MAX_ROWS = 20_000

_STATUS_COLOURS = {
    mm.MATCH: "#2f7d4f",
    mm.APP_NO_MATCH: "#b5651d",
    mm.APP_DUPLICATE: "#7b4fa0",
    mm.CLEVER_NO_MATCH: "#c98a3f",
    mm.CLEVER_DUPLICATE: "#a07bc0",
}
_CATEGORY_COLOURS = {"match": "#2f7d4f", DUPLICATE: "#7b4fa0", NO_MATCH: "#b5651d"}
_LEVEL_COLOURS = {
    "agree": "#2f7d4f",
    "partial": "#8cc08f",
    "disagree": "#c0504d",
    "missing": "#d5d5d5",
}


@dataclass
class ReportSummary:
    html: str
    source: str
    role: str
    rows: int
    counts: dict[str, int]
    review_rows: int
    review_rows_shown: int
    categories: dict[str, int]
    bytes: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "html": self.html,
            "source": self.source,
            "role": self.role,
            "rows": self.rows,
            "counts": self.counts,
            "review_rows": self.review_rows,
            "review_rows_shown": self.review_rows_shown,
            "categories": self.categories,
            "bytes": self.bytes,
        }


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _category(rf: ReviewFile, row: int, band: ReviewBand) -> str | None:
    status = rf.statuses[row]
    if status == mm.MATCH:
        if "decision:" in rf.evidence[row]:
            return None
        if rf.review_band is not None or rf.review_column is not None:
            return NEAR if rf.needs_review(row) else None
        p = rf.probabilities[row]
        return NEAR if p is not None and band[0] <= p <= band[1] else None
    if status in (mm.APP_DUPLICATE, mm.CLEVER_DUPLICATE):
        return DUPLICATE
    if rf.candidates[row] and "decision:" not in rf.evidence[row]:
        return NO_MATCH
    return None


def _sort_key(ev: RowEvidence, category: str) -> tuple[Any, ...]:
    p = ev.probability if ev.probability is not None else 0.0
    own = ev.app_id if ev.side == "app" else ev.clever_id
    if category == NEAR:
        return (0, p, own)
    if category == DUPLICATE:
        group = min([own, *ev.duplicate_of])
        return (1, ev.side, group, own)
    return (2, -p, own)


def _row_data(ev: RowEvidence, category: str) -> dict[str, Any]:
    fields = [
        [f.name, f.app_value, f.clever_value, f.level, round(f.weight, 2), int(f.tf), int(f.known)]
        for f in ev.fields
        if f.level != NULL_LEVEL or f.app_value or f.clever_value
    ]
    return {
        "key": ev.key,
        "cat": category,
        "side": ev.side,
        "status": ev.status,
        "app": ev.app_id,
        "clever": ev.clever_id,
        "appName": ev.app_name,
        "cleverName": ev.clever_name,
        "p": ev.probability,
        "w": ev.weight,
        "prior": round(ev.prior, 2),
        "adj": round(ev.adjustment, 2),
        "adjWhy": ev.adjustment_reason,
        "notes": ev.notes,
        "dups": ev.duplicate_of,
        "flag": ev.review,
        "line": ev.line,
        "fields": fields,
    }


# ------------------------------------------------------------------------- charts


def _svg_status_bars(counts: Mapping[str, int]) -> str:
    width, bar_h, gap, label_w = 620, 26, 10, 190
    total = max(counts.values(), default=0) or 1
    h = len(counts) * (bar_h + gap) + gap
    parts = [
        f'<svg class="chart" role="img" aria-label="records per status" viewBox="0 0 {width} {h}" '
        f'width="{width}" height="{h}">'
    ]
    for i, (status, n) in enumerate(counts.items()):
        y = gap + i * (bar_h + gap)
        w = (width - label_w - 70) * n / total
        parts.append(
            f'<text x="{label_w - 8}" y="{y + bar_h * 0.68:.1f}" text-anchor="end">{_esc(status)}</text>'
            f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" rx="3" '
            f'fill="{_STATUS_COLOURS.get(status, "#777")}"><title>{_esc(status)}: {n}</title></rect>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + bar_h * 0.68:.1f}">{n:,}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _svg_histogram(values: Sequence[tuple[float, str]], threshold_weight: float) -> str:
    """Stacked histogram of match weights by category, with the threshold as a line."""
    width, height, left, bottom, top, right = 760, 300, 56, 46, 16, 16
    if not values:
        return '<p class="muted">No row has a weight (no pair was scored).</p>'
    lo = math.floor(min(min(v for v, _ in values), threshold_weight) / 2) * 2
    hi = math.ceil(max(max(v for v, _ in values), threshold_weight) / 2) * 2
    if hi <= lo:
        hi = lo + 2
    step = 2 if hi - lo <= 80 else math.ceil((hi - lo) / 40 / 2) * 2
    nbins = max(1, math.ceil((hi - lo) / step))
    cats = ("match", DUPLICATE, NO_MATCH)
    bins = [dict.fromkeys(cats, 0) for _ in range(nbins)]
    for v, cat in values:
        bins[min(nbins - 1, int((v - lo) // step))][cat] += 1
    peak = max(sum(b.values()) for b in bins) or 1
    pw, ph = width - left - right, height - top - bottom

    def x(v: float) -> float:
        return left + pw * (v - lo) / (nbins * step)

    def y(n: float) -> float:  # square-root scale: a handful of rows stays visible
        return top + ph * (1 - math.sqrt(n / peak))

    out = [
        f'<svg class="chart" role="img" aria-label="match weight distribution" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}">'
    ]
    for k in range(5):  # horizontal grid and counts
        tick = peak * (k / 4) ** 2
        out.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" class="grid"/>'
            f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" class="tick">{round(tick):,}</text>'
        )
    bw = pw / nbins
    for i, b in enumerate(bins):
        base = 0
        for cat in cats:
            n = b[cat]
            if not n:
                continue
            x0 = left + i * bw
            out.append(
                f'<rect x="{x0 + 1:.1f}" y="{y(base + n):.1f}" width="{max(bw - 2, 1):.1f}" '
                f'height="{y(base) - y(base + n):.1f}" fill="{_CATEGORY_COLOURS[cat]}">'
                f"<title>{lo + i * step} to {lo + (i + 1) * step} bits: {n:,} {_esc(cat)}</title></rect>"
            )
            base += n
    label_every = max(1, nbins // 12)
    for i in range(0, nbins + 1, label_every):
        v = lo + i * step
        out.append(
            f'<text x="{x(v):.1f}" y="{height - bottom + 16}" text-anchor="middle" class="tick">{v}</text>'
        )
    tx = x(threshold_weight)
    out.append(
        f'<line x1="{tx:.1f}" x2="{tx:.1f}" y1="{top - 4}" y2="{height - bottom}" class="threshold"/>'
        f'<text x="{tx + 4:.1f}" y="{top + 10}" class="threshold-label">threshold '
        f"{threshold_weight:.2f} bits</text>"
        f'<text x="{left + pw / 2:.1f}" y="{height - 8}" text-anchor="middle" class="axis">'
        "match weight (bits, prior included); unmatched rows show their best candidate; "
        "counts on a square-root scale</text>"
        "</svg>"
    )
    return "".join(out)


def _svg_agreement(rates: Mapping[str, Mapping[str, int]], n_pairs: int) -> str:
    if not n_pairs:
        return '<p class="muted">No matches, so no agreement rates.</p>'
    width, bar_h, gap, label_w = 760, 22, 8, 130
    kinds = ("agree", "partial", "disagree", "missing")
    h = len(rates) * (bar_h + gap) + gap + 30
    pw = width - label_w - 20
    out = [
        f'<svg class="chart" role="img" aria-label="per-field agreement among matches" '
        f'viewBox="0 0 {width} {h}" width="{width}" height="{h}">'
    ]
    for i, (name, counts) in enumerate(rates.items()):
        y = gap + i * (bar_h + gap)
        out.append(
            f'<text x="{label_w - 8}" y="{y + bar_h * 0.7:.1f}" text-anchor="end">{_esc(name)}</text>'
        )
        x0 = float(label_w)
        for kind in kinds:
            n = counts.get(kind, 0)
            if not n:
                continue
            w = pw * n / n_pairs
            out.append(
                f'<rect x="{x0:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{_LEVEL_COLOURS[kind]}">'
                f"<title>{_esc(name)}: {kind} {n:,} of {n_pairs:,} ({100 * n / n_pairs:.1f}%)</title></rect>"
            )
            if w > 34:
                colour = "#fff" if kind in ("agree", "disagree") else "#222"
                out.append(
                    f'<text x="{x0 + w / 2:.1f}" y="{y + bar_h * 0.7:.1f}" text-anchor="middle" '
                    f'fill="{colour}" class="tick">{100 * n / n_pairs:.0f}%</text>'
                )
            x0 += w
    ly = len(rates) * (bar_h + gap) + gap + 14
    lx = float(label_w)
    for kind in kinds:
        out.append(
            f'<rect x="{lx:.1f}" y="{ly - 10}" width="12" height="12" fill="{_LEVEL_COLOURS[kind]}"/>'
            f'<text x="{lx + 16:.1f}" y="{ly}" class="tick">{kind}</text>'
        )
        lx += 110
    out.append("</svg>")
    return "".join(out)


def _agreement(rf: ReviewFile, match_rows: Sequence[int]) -> dict[str, dict[str, int]]:
    """Per comparison, how its level split among matches: agree / partial / disagree / missing."""
    top = {c.name: c.levels[0].label for c in rf.rules.comparisons}
    rates: dict[str, dict[str, int]] = {c.name: {} for c in rf.rules.comparisons}
    for row in match_rows:
        ev = rf.row_evidence(row)
        for f in ev.fields:
            if f.level == NULL_LEVEL:
                kind = "missing"
            elif f.level == top[f.name]:
                kind = "agree"
            elif f.weight > 0:
                kind = "partial"
            else:
                kind = "disagree"
            rates[f.name][kind] = rates[f.name].get(kind, 0) + 1
    return {k: v for k, v in rates.items() if sum(v.values()) > v.get("missing", 0)}


# -------------------------------------------------------------------------- page


def _json_for_script(data: Any) -> str:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def build_report(
    path: str | Path,
    *,
    role: str | None = None,
    rules_path: str | Path | None = None,
    id_column: str | None = None,
    overrides: Mapping[str, str] | None = None,
    threshold: float | None = None,
    review_band: ReviewBand | None = None,
    max_rows: int = MAX_ROWS,
) -> tuple[str, ReportSummary]:
    """The HTML text of the review page for ``path``, and a summary of it."""
    rf = ReviewFile(
        path,
        role=role,
        rules_path=rules_path,
        id_column=id_column,
        overrides=overrides,
        threshold=threshold,
        review_band=review_band,
    )
    band = review_band or (rf.threshold, DEFAULT_REVIEW_HIGH)
    counts = {s: 0 for s in mm.STATUSES}
    for s in rf.statuses:
        if s in counts:
            counts[s] += 1
    weights: list[tuple[float, str]] = []
    match_rows: list[int] = []
    picked: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    for row in range(rf.n_rows):
        status = rf.statuses[row]
        w = rf.weights[row]
        if status == mm.MATCH:
            match_rows.append(row)
        if w is not None:
            cat = (
                "match"
                if status == mm.MATCH
                else DUPLICATE
                if status in (mm.APP_DUPLICATE, mm.CLEVER_DUPLICATE)
                else NO_MATCH
            )
            weights.append((w, cat))
        category = _category(rf, row, band)
        if category is None:
            continue
        ev = rf.row_evidence(row)
        picked.append((_sort_key(ev, category), _row_data(ev, category)))
    picked.sort(key=lambda t: t[0])
    rows = [d for _, d in picked[:max_rows]]
    by_cat = {c: sum(1 for _, d in picked if d["cat"] == c) for c in CATEGORIES}
    threshold_weight = logit2(rf.threshold)
    if rf.review_band is not None:
        band_text = f"probability {band[0]:g} to {band[1]:g} (--review-band)"
    elif rf.review_column is not None:
        band_text = "rows marked in the file's match.review column"
    else:
        band_text = f"probability {band[0]:g} to {band[1]:g} (default; set it with --review-band)"
    meta = {
        "source": Path(rf.path).name,
        "role": rf.role,
        "rules": rf.rules.path,
        "threshold": rf.threshold,
        "thresholdWeight": round(threshold_weight, 2),
        "prior": f"1 in {round(1 / rf.prior_probability):,}",
        "nApp": rf.n_app,
        "nClever": rf.n_clever,
        "idColumn": rf.id_column,
        "band": band_text,
        "shown": len(rows),
        "total": len(picked),
    }
    agreement = _agreement(rf, match_rows)
    parts = {
        "TITLE": _esc(f"matchengine review: {meta['source']}"),
        "CSS": _CSS,
        "SUMMARY": _summary_html(meta, counts, by_cat),
        "STATUS_CHART": _svg_status_bars(counts),
        "HISTOGRAM": _svg_histogram(weights, threshold_weight),
        "AGREEMENT": _svg_agreement(agreement, len(match_rows)),
        "DATA": _json_for_script({"meta": meta, "rows": rows}),
        "JS": _JS,
    }
    # One pass, so that text from the data is never taken for a placeholder.
    page = _PLACEHOLDER.sub(lambda m: parts[m.group(1)], _TEMPLATE)
    summary = ReportSummary(
        html="",
        source=rf.path,
        role=rf.role,
        rows=rf.n_rows,
        counts=counts,
        review_rows=len(picked),
        review_rows_shown=len(rows),
        categories=by_cat,
        bytes=len(page.encode("utf-8")),
    )
    return page, summary


def _summary_html(
    meta: Mapping[str, Any], counts: Mapping[str, int], by_cat: Mapping[str, int]
) -> str:
    items = [
        ("file", meta["source"]),
        ("role", meta["role"]),
        ("rules", meta["rules"]),
        ("threshold", f"{meta['threshold']:g} ({meta['thresholdWeight']:.2f} bits)"),
        ("prior", meta["prior"]),
        ("records", f"{meta['nApp']:,} app, {meta['nClever']:,} Clever"),
        ("matches", f"{counts.get(mm.MATCH, 0):,}"),
        (
            "to review",
            f"{sum(by_cat.values()):,} ({', '.join(f'{n:,} {c}' for c, n in by_cat.items())})",
        ),
        ("near threshold means", meta["band"]),
    ]
    return "".join(f"<dt>{_esc(k)}</dt><dd>{_esc(v)}</dd>" for k, v in items)


def write_report(
    path: str | Path,
    html_path: str | Path,
    *,
    role: str | None = None,
    rules_path: str | Path | None = None,
    id_column: str | None = None,
    overrides: Mapping[str, str] | None = None,
    threshold: float | None = None,
    review_band: ReviewBand | None = None,
    max_rows: int = MAX_ROWS,
) -> ReportSummary:
    """Write the review page for the output CSV ``path`` to ``html_path``.

    The file appears only when complete, readable by its owner only (it holds student data).
    """
    html_path = Path(html_path)
    if not html_path.parent.exists():
        raise UsageError(f"the folder of --html {html_path} does not exist; create it first")
    page, summary = build_report(
        path,
        role=role,
        rules_path=rules_path,
        id_column=id_column,
        overrides=overrides,
        threshold=threshold,
        review_band=review_band,
        max_rows=max_rows,
    )
    # Student data: the page is readable by its owner only.
    with atomic_text(html_path, newline="\n", mode=0o600) as fh:
        fh.write(page)
    summary.html = str(html_path)
    return summary


_PLACEHOLDER = re.compile(r"\{\{([A-Z_]+)\}\}")

_CSS = """
:root { --fg:#1d1d1f; --muted:#666; --line:#ddd; --bg:#fff; --soft:#f5f6f8; --accent:#2456a6;
  --pos:#2f7d4f; --neg:#c0504d; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial,
  sans-serif; color: var(--fg); background: var(--bg); }
header { padding: 16px 28px; background: var(--soft); border-bottom: 1px solid var(--line); }
header h1 { margin: 0 0 8px; font-size: 20px; }
main { padding: 8px 28px 40px; }
h2 { font-size: 16px; margin: 26px 0 8px; }
dl.summary { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0; }
dl.summary dt { color: var(--muted); }
dl.summary dd { margin: 0; }
.charts { display: flex; flex-wrap: wrap; gap: 8px 40px; }
.chart { max-width: 100%; height: auto; font-size: 12px; }
.chart text { fill: var(--fg); }
.chart .tick { font-size: 11px; }
.chart .grid { stroke: #eee; }
.chart .axis { fill: var(--muted); font-size: 11px; }
.chart .threshold { stroke: #d62728; stroke-width: 2; stroke-dasharray: 5 3; }
.chart .threshold-label { fill: #d62728; font-size: 11px; }
.legend span { display: inline-block; margin-right: 14px; font-size: 12px; }
.legend i { display: inline-block; width: 11px; height: 11px; margin-right: 4px;
  vertical-align: -1px; }
.muted { color: var(--muted); }
.toolbar { display: flex; flex-wrap: wrap; gap: 10px; align-items: center; margin: 8px 0 10px;
  position: sticky; top: 0; background: var(--bg); padding: 8px 0; z-index: 2;
  border-bottom: 1px solid var(--line); }
.toolbar input[type=search] { width: 260px; }
.toolbar select, .toolbar input, .toolbar button { font: inherit; padding: 4px 8px; }
table.review { border-collapse: collapse; width: 100%; }
table.review th { text-align: left; font-weight: 600; border-bottom: 2px solid var(--line);
  padding: 6px 8px; background: var(--soft); }
table.review td { border-bottom: 1px solid var(--line); padding: 5px 8px; vertical-align: top; }
tr.item { cursor: pointer; }
tr.item:hover { background: #f0f5ff; }
tr.item.open { background: #e8f0fe; }
tr.item td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.item td.id { white-space: nowrap; font-variant-numeric: tabular-nums; }
.tag { display: inline-block; padding: 0 6px; border-radius: 9px; font-size: 12px;
  color: #fff; white-space: nowrap; }
.tag.cat-near { background: #2456a6; }
.tag.cat-duplicate { background: #7b4fa0; }
.tag.cat-nomatch { background: #b5651d; }
.tag.flag { background: #d62728; }
.tag.decided { background: #2f7d4f; }
td.detail { background: #fafbfc; padding: 10px 16px 16px; }
table.waterfall { border-collapse: collapse; width: 100%; font-size: 13px; }
table.waterfall th { text-align: left; color: var(--muted); font-weight: 600;
  border-bottom: 1px solid var(--line); padding: 3px 6px; }
table.waterfall td { padding: 3px 6px; border-bottom: 1px solid #eee; }
table.waterfall td.num { text-align: right; font-variant-numeric: tabular-nums;
  white-space: nowrap; }
table.waterfall tr.total td { font-weight: 600; border-top: 2px solid var(--line); }
td.bar { width: 34%; min-width: 220px; }
.track { position: relative; height: 16px; background: #f1f1f1; border-radius: 2px; }
.track .seg { position: absolute; top: 2px; height: 12px; border-radius: 2px; }
.track .seg.pos { background: var(--pos); }
.track .seg.neg { background: var(--neg); }
.track .seg.total { background: var(--accent); }
.track .zero { position: absolute; top: 0; bottom: 0; width: 1px; background: #888; }
.track .thr { position: absolute; top: -2px; bottom: -2px; width: 2px; background: #d62728; }
.notes { margin: 8px 0 0; color: var(--muted); }
.actions { margin-top: 10px; display: flex; gap: 8px; flex-wrap: wrap; align-items: center; }
.actions button { font: inherit; padding: 3px 10px; cursor: pointer; }
code { font-size: 12px; }
"""

_JS = r"""
(function () {
  "use strict";
  var errors = [];
  window.addEventListener("error", function (e) {
    errors.push(String(e.message));
    document.body.setAttribute("data-errors", errors.join(" | "));
  });
  var data = JSON.parse(document.getElementById("review-data").textContent);
  var meta = data.meta, rows = data.rows;
  var decisions = {};  // app id -> clever id or "no match"
  var tbody = document.getElementById("review-body");
  var qEl = document.getElementById("q"), catEl = document.getElementById("cat"),
      sideEl = document.getElementById("side"), flagEl = document.getElementById("flagged"),
      countEl = document.getElementById("count"), dlEl = document.getElementById("download");
  var catClass = {"near threshold": "cat-near", "duplicate": "cat-duplicate", "no match": "cat-nomatch"};

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) { for (var k in attrs) { e.setAttribute(k, attrs[k]); } }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }
  function fmt(x, d) { return (x === null || x === undefined) ? "" : Number(x).toFixed(d); }
  function signed(x) { return (x >= 0 ? "+" : "") + Number(x).toFixed(2); }

  function waterfall(r) {
    var wrap = el("div");
    if (!r.fields.length) {
      wrap.appendChild(el("p", {"class": "muted"}, "No pair was scored for this record."));
      return wrap;
    }
    var steps = [["prior", "", "", meta.prior, r.prior, 0, 1]];
    r.fields.forEach(function (f) { steps.push(f); });
    if (r.adj) { steps.push(["other", "", "", "see note", r.adj, 0, 1]); }
    var running = 0, lo = 0, hi = 0, ends = [];
    steps.forEach(function (s) {
      var a = running; running += s[4]; ends.push([a, running]);
      lo = Math.min(lo, a, running); hi = Math.max(hi, a, running);
    });
    lo = Math.min(lo, meta.thresholdWeight); hi = Math.max(hi, meta.thresholdWeight);
    var span = (hi - lo) || 1;
    function pct(v) { return (100 * (v - lo) / span).toFixed(2) + "%"; }
    var t = el("table", {"class": "waterfall"});
    var head = el("tr");
    ["field", "app value", "Clever value", "level", "weight", "total", ""].forEach(function (h) {
      head.appendChild(el("th", null, h));
    });
    t.appendChild(head);
    function track(a, b, cls) {
      var tr = el("div", {"class": "track"});
      tr.appendChild(el("div", {"class": "zero", "style": "left:" + pct(0)}));
      tr.appendChild(el("div", {"class": "thr", "style": "left:" + pct(meta.thresholdWeight),
                                "title": "threshold " + meta.thresholdWeight + " bits"}));
      var seg = el("div", {"class": "seg " + cls,
                           "style": "left:" + pct(Math.min(a, b)) + ";width:" +
                                    (100 * Math.abs(b - a) / span).toFixed(2) + "%"});
      tr.appendChild(seg);
      return tr;
    }
    steps.forEach(function (s, i) {
      var tr = el("tr");
      var level = s[3] + (s[5] ? " (tf)" : "") + (s[6] ? "" : " (unknown level)");
      tr.appendChild(el("td", null, s[0]));
      tr.appendChild(el("td", null, s[1]));
      tr.appendChild(el("td", null, s[2]));
      tr.appendChild(el("td", null, level));
      tr.appendChild(el("td", {"class": "num"}, s[3] === "null" ? "0" : signed(s[4])));
      tr.appendChild(el("td", {"class": "num"}, ends[i][1].toFixed(2)));
      var bar = el("td", {"class": "bar"});
      bar.appendChild(track(ends[i][0], ends[i][1], s[4] >= 0 ? "pos" : "neg"));
      tr.appendChild(bar);
      t.appendChild(tr);
    });
    var tot = el("tr", {"class": "total"});
    tot.appendChild(el("td", null, "match.weight"));
    tot.appendChild(el("td", {"colspan": "3"}, "probability " + fmt(r.p, 4)));
    tot.appendChild(el("td"));
    tot.appendChild(el("td", {"class": "num"}, fmt(r.w, 2)));
    var tb = el("td", {"class": "bar"});
    tb.appendChild(track(0, r.w === null ? running : r.w, "total"));
    tot.appendChild(tb);
    t.appendChild(tot);
    wrap.appendChild(t);
    var notes = [];
    if (r.adj) { notes.push("other = " + r.adjWhy); }
    if (r.dups.length) { notes.push("duplicate of: " + r.dups.join(", ")); }
    r.notes.forEach(function (n) { notes.push(n); });
    notes.push("null = the field is empty on one side; the red line is the threshold");
    notes.forEach(function (n) { wrap.appendChild(el("div", {"class": "notes"}, n)); });
    wrap.appendChild(actions(r));
    return wrap;
  }

  function actions(r) {
    var box = el("div", {"class": "actions"});
    if (!r.app) { return box; }
    var state = el("span", {"class": "muted"});
    function show() {
      var d = decisions[r.app];
      state.textContent = d === undefined ? "no decision yet" :
        "decision: app " + r.app + " \u2192 " + d;
    }
    function btn(label, value) {
      var b = el("button", {"type": "button"}, label);
      b.addEventListener("click", function (ev) {
        ev.stopPropagation();
        if (value === null) { delete decisions[r.app]; } else { decisions[r.app] = value; }
        show(); refreshDownload(); render();
      });
      box.appendChild(b);
    }
    if (r.clever) {
      btn(r.status === "match" ? "Confirm match" : "Match app " + r.app + " to " + r.clever, r.clever);
    }
    if (r.side === "app") { btn(r.status === "match" ? "Not a match" : "Confirm no match", "no match"); }
    btn("Clear", null);
    box.appendChild(state);
    show();
    return box;
  }

  function refreshDownload() {
    var n = Object.keys(decisions).length;
    dlEl.textContent = "Download decisions (" + n + ")";
    dlEl.disabled = n === 0;
  }

  function csvCell(v) { return /[",\r\n]/.test(v) ? '"' + v.replace(/"/g, '""') + '"' : v; }

  dlEl.addEventListener("click", function () {
    var lines = ["app_id,clever_id"];
    Object.keys(decisions).sort().forEach(function (a) {
      lines.push(csvCell(a) + "," + csvCell(decisions[a]));
    });
    var blob = new Blob([lines.join("\r\n") + "\r\n"], {type: "text/csv"});
    var a = el("a", {"href": URL.createObjectURL(blob), "download": "decisions.csv"});
    document.body.appendChild(a); a.click(); a.remove();
  });

  var open = {};
  function matches(r, q) {
    if (!q) { return true; }
    var hay = [r.app, r.clever, r.appName, r.cleverName, r.status].concat(r.dups).join(" ").toLowerCase();
    return hay.indexOf(q) >= 0;
  }

  function render() {
    var q = qEl.value.trim().toLowerCase(), cat = catEl.value, side = sideEl.value,
        flagged = flagEl.checked, shown = 0;
    while (tbody.firstChild) { tbody.removeChild(tbody.firstChild); }
    var frag = document.createDocumentFragment();
    rows.forEach(function (r) {
      if (cat && r.cat !== cat) { return; }
      if (side && r.side !== side) { return; }
      if (flagged && !r.flag) { return; }
      if (!matches(r, q)) { return; }
      shown += 1;
      var tr = el("tr", {"class": "item" + (open[r.key] ? " open" : ""), "data-key": r.key,
                         "tabindex": "0", "aria-expanded": open[r.key] ? "true" : "false"});
      var c = el("td");
      c.appendChild(el("span", {"class": "tag " + catClass[r.cat]}, r.cat));
      if (r.flag) { c.appendChild(document.createTextNode(" ")); c.appendChild(el("span", {"class": "tag flag"}, "review")); }
      if (r.app && decisions[r.app] !== undefined) {
        c.appendChild(document.createTextNode(" "));
        c.appendChild(el("span", {"class": "tag decided"}, "decided"));
      }
      tr.appendChild(c);
      tr.appendChild(el("td", null, r.status));
      // An arrow marks the other side's best candidate (not this row's own record).
      var appArrow = r.side !== "app" && r.app ? "\u2192 " : "";
      var cleverArrow = r.side === "app" && r.status !== "match" && r.clever ? "\u2192 " : "";
      tr.appendChild(el("td", {"class": "id"}, appArrow + r.app));
      tr.appendChild(el("td", null, r.appName));
      tr.appendChild(el("td", {"class": "id"}, cleverArrow + r.clever));
      tr.appendChild(el("td", null, r.cleverName));
      tr.appendChild(el("td", {"class": "num"}, fmt(r.p, 4)));
      tr.appendChild(el("td", {"class": "num"}, fmt(r.w, 2)));
      tr.appendChild(el("td", null, r.dups.join(", ")));
      function toggle() { open[r.key] = !open[r.key]; render(); }
      tr.addEventListener("click", toggle);
      tr.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); toggle(); } });
      frag.appendChild(tr);
      if (open[r.key]) {
        var d = el("tr", {"class": "detail-row"});
        var td = el("td", {"class": "detail", "colspan": "9"});
        td.appendChild(waterfall(r));
        d.appendChild(td);
        frag.appendChild(d);
      }
    });
    tbody.appendChild(frag);
    countEl.textContent = shown + " of " + rows.length + " rows" +
      (meta.total > meta.shown ? " (the file has " + meta.total + "; the first " + meta.shown + " are included)" : "");
  }

  [qEl, catEl, sideEl, flagEl].forEach(function (e) {
    e.addEventListener("input", render);
    e.addEventListener("change", render);
  });
  var m = /^#open=(.+)$/.exec(window.location.hash);
  if (m) { open[decodeURIComponent(m[1])] = true; }
  refreshDownload();
  render();
  if (m) {
    var target = tbody.querySelector("tr.open");
    if (target && target.getBoundingClientRect().bottom > window.innerHeight) {
      target.scrollIntoView({block: "center"});
    }
  }
  document.body.setAttribute("data-rows", String(tbody.querySelectorAll("tr.item").length));
  document.body.setAttribute("data-ready", "yes");
})();
"""

_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{TITLE}}</title>
<style>{{CSS}}</style>
</head>
<body>
<header>
<h1>{{TITLE}}</h1>
<dl class="summary">{{SUMMARY}}</dl>
</header>
<main>
<div class="charts">
<section><h2>Records per status</h2>{{STATUS_CHART}}</section>
<section><h2>Match weight distribution</h2>
<div class="legend"><span><i style="background:#2f7d4f"></i>match</span><span><i style="background:#7b4fa0"></i>duplicate</span><span><i style="background:#b5651d"></i>no match (best candidate)</span></div>
{{HISTOGRAM}}</section>
</div>
<section><h2>Per-field agreement among matches</h2>{{AGREEMENT}}</section>
<section>
<h2>Records that need a person</h2>
<p class="muted">Click a row for its field-by-field evidence. Decisions you pick are collected
into a CSV (<code>app_id,clever_id</code>) for <code>matchengine match --decisions</code>;
nothing leaves this page.</p>
<div class="toolbar">
<input id="q" type="search" placeholder="Search ids and names" aria-label="search">
<select id="cat" aria-label="category"><option value="">all categories</option><option>near threshold</option><option>duplicate</option><option>no match</option></select>
<select id="side" aria-label="side"><option value="">app and Clever rows</option><option value="app">app rows</option><option value="clever">Clever-only rows</option></select>
<label><input id="flagged" type="checkbox"> marked for review only</label>
<button id="download" type="button" disabled>Download decisions (0)</button>
<span id="count" class="muted"></span>
</div>
<table class="review">
<thead><tr><th>category</th><th>status</th><th>app id</th><th>app name</th><th>Clever id</th><th>Clever name</th><th>probability</th><th>weight</th><th>duplicate of</th></tr></thead>
<tbody id="review-body"></tbody>
</table>
</section>
</main>
<script type="application/json" id="review-data">{{DATA}}</script>
<script>{{JS}}</script>
</body>
</html>
"""
