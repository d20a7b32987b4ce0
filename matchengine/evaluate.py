"""Accuracy of one Matchmaker-format file against another (``matchengine evaluate``).

Both files have ``app.<header>`` columns, ``clever.id`` and ``matchmaker_results`` (extra
columns such as ``match.*`` are ignored).  App records are keyed on the app's identifier
column, Clever records on ``clever.id``; values are compared exactly as written.

* Pair precision / recall / F1 over the set of ``(app id, clever id)`` pairs of ``match`` rows.
  With nothing predicted, precision is 1.0; with nothing expected, recall is 1.0; F1 is 0.0
  when both precision and recall are 0.
* Status confusion per side: for every app id (and every Clever id) of either file, its
  expected status against its predicted status.  A record absent from a file counts under
  ``missing`` on that file's axis.
* Duplicate scores per side: precision and recall of the ``duplicate`` status.

Works on any Matchmaker-format output, e.g. the file Clever's Matchmaker returned, so two
tools can be compared on one expected answer.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from matchengine.errors import InvalidDataError, UsageError
from matchengine.fields import find_id_column
from matchengine.matchmaker import (
    APP_DUPLICATE,
    APP_STATUSES,
    CLEVER_DUPLICATE,
    CLEVER_STATUSES,
    MATCH,
    RESULT_COLUMN,
    STATUSES,
)

MISSING = "missing"
CLEVER_ID_COLUMN = "clever.id"
_STATUS_BY_FOLDED = {s.casefold(): s for s in STATUSES}
_EXAMPLES = 5


@dataclass
class EvaluationReport:
    """Pair scores, per-side status confusion, duplicate scores and data problems."""

    predicted_path: str
    expected_path: str
    id_column: str
    pair_tp: int
    pair_fp: int
    pair_fn: int
    precision: float
    recall: float
    f1: float
    app_confusion: dict[str, dict[str, int]]
    clever_confusion: dict[str, dict[str, int]]
    counts: dict[str, Any]
    duplicate_scores: dict[str, dict[str, float | int]]
    problems: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "predicted": self.predicted_path,
            "expected": self.expected_path,
            "id_column": self.id_column,
            "pairs": {
                "tp": self.pair_tp,
                "fp": self.pair_fp,
                "fn": self.pair_fn,
                "precision": self.precision,
                "recall": self.recall,
                "f1": self.f1,
            },
            "app_confusion": {k: dict(v) for k, v in self.app_confusion.items()},
            "clever_confusion": {k: dict(v) for k, v in self.clever_confusion.items()},
            "duplicate_scores": {k: dict(v) for k, v in self.duplicate_scores.items()},
            "counts": self.counts,
            "problems": list(self.problems),
        }

    def render(self) -> str:
        """A readable multi-line summary: pair scores, confusion tables, counts, problems."""
        lines = [
            f"predicted: {self.predicted_path}",
            f"expected:  {self.expected_path}",
            f"app id column: {self.id_column}",
            "",
            "Matched pairs (app id, clever.id)",
            _table(
                ["", "precision", "recall", "F1", "TP", "FP", "FN"],
                [
                    [
                        "match pairs",
                        f"{self.precision:.4f}",
                        f"{self.recall:.4f}",
                        f"{self.f1:.4f}",
                        str(self.pair_tp),
                        str(self.pair_fp),
                        str(self.pair_fn),
                    ]
                ],
            ),
        ]
        for title, conf in (
            ("App records", self.app_confusion),
            ("Clever records", self.clever_confusion),
        ):
            lines += ["", f"{title}: expected status (rows) x predicted status (columns)"]
            lines.append(_confusion_table(conf))
        lines += ["", "Duplicate status"]
        rows = []
        for side, sc in self.duplicate_scores.items():
            rows.append(
                [
                    side,
                    f"{sc['precision']:.4f}",
                    f"{sc['recall']:.4f}",
                    f"{sc['f1']:.4f}",
                    str(sc["tp"]),
                    str(sc["predicted"]),
                    str(sc["expected"]),
                ]
            )
        lines.append(
            _table(["side", "precision", "recall", "F1", "TP", "predicted", "expected"], rows)
        )
        lines += ["", "Counts"]
        crow = []
        for name in ("predicted", "expected"):
            c = self.counts[name]
            crow.append(
                [
                    name,
                    str(c["rows"]),
                    str(c["app_records"]),
                    str(c["clever_records"]),
                    str(c["match_pairs"]),
                ]
            )
        lines.append(_table(["file", "rows", "app records", "Clever records", "pairs"], crow))
        if self.problems:
            lines += ["", f"Problems ({len(self.problems)})"]
            lines += [f"- {p}" for p in self.problems]
        return "\n".join(lines)


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [len(h) for h in header]
    for row in rows:
        widths = [max(w, len(v)) for w, v in zip(widths, row, strict=True)]

    def fmt(row: list[str]) -> str:
        cells = [row[0].ljust(widths[0])]
        cells += [v.rjust(w) for v, w in zip(row[1:], widths[1:], strict=True)]
        return "  ".join(cells).rstrip()

    out = [fmt(header), "  ".join("-" * w for w in widths)]
    out += [fmt(r) for r in rows]
    return "\n".join(out)


def _confusion_table(conf: dict[str, dict[str, int]]) -> str:
    cols: list[str] = []
    for row in conf.values():
        for k in row:
            if k not in cols:
                cols.append(k)
    cols = _ordered(cols)
    rows = []
    for exp, row in conf.items():
        rows.append([exp, *(str(row.get(c, 0)) for c in cols), str(sum(row.values()))])
    totals = [sum(conf[e].get(c, 0) for e in conf) for c in cols]
    rows.append(["total", *(str(t) for t in totals), str(sum(totals))])
    return _table(["expected \\ predicted", *cols, "total"], rows)


def _ordered(statuses: list[str] | set[str]) -> list[str]:
    """Known statuses in vocabulary order, then unknown ones sorted, then ``missing``."""
    known = [s for s in STATUSES if s in statuses]
    other = sorted(s for s in statuses if s not in STATUSES and s != MISSING)
    return known + other + ([MISSING] if MISSING in statuses else [])


def _ratio(num: int, den: int) -> float:
    return num / den if den else 1.0


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


# --------------------------------------------------------------------------- reading


@dataclass
class _File:
    path: str
    name: str  # short label for messages: the file name
    id_column: str
    frame: pl.DataFrame  # app_id, clever_id, status, record (data row, 1 = after the header)


def _read_header(path: Path) -> list[str]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            header = next(csv.reader(fh), None)
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"{path}: is a directory, not a Matchmaker CSV file") from None
    except UnicodeDecodeError as exc:
        raise InvalidDataError(
            f"{path}: line 1 is not UTF-8 (byte {exc.start}); re-save the file as UTF-8"
        ) from None
    except csv.Error as exc:
        raise InvalidDataError(f"{path}: line 1: cannot read the header row ({exc})") from None
    if not header:
        raise InvalidDataError(f"{path}: the file is empty; expected a Matchmaker-format CSV")
    return header


def _find_columns(path: Path, header: list[str], id_column: str | None) -> tuple[int, int, int]:
    missing = [c for c in (CLEVER_ID_COLUMN, RESULT_COLUMN) if c not in header]
    if missing:
        raise InvalidDataError(
            f"{path}: not a Matchmaker-format file: no {' or '.join(repr(m) for m in missing)}"
            f" column (line 1 has: {', '.join(header[:12])}{', ...' if len(header) > 12 else ''})"
        )
    app_headers = [h[4:] for h in header if h.startswith("app.")]
    explicit = id_column
    if explicit is not None and explicit.startswith("app.") and explicit[4:] in app_headers:
        explicit = explicit[4:]
    try:
        found = find_id_column(app_headers, explicit)
    except UsageError as exc:
        raise UsageError(f"{path}: {exc}") from None
    if found is None:
        raise InvalidDataError(
            f"{path}: no app identifier column among the app.* columns "
            f"({', '.join(app_headers) or 'none'}); name it with --id-column"
        )
    return header.index(f"app.{found}"), header.index(CLEVER_ID_COLUMN), header.index(RESULT_COLUMN)


def _read_columns(path: Path, idx: tuple[int, int, int]) -> pl.DataFrame:
    """The three key columns as strings (``app_id``, ``clever_id``, ``status``)."""
    names = ("app_id", "clever_id", "status")
    order = sorted(range(3), key=lambda k: idx[k])
    try:
        df = pl.read_csv(
            path,
            has_header=False,
            skip_rows=1,
            columns=sorted(idx),
            infer_schema=False,
            empty_string_is_null=False,
            encoding="utf8",
        )
        df = df.rename({df.columns[pos]: names[k] for pos, k in enumerate(order)})
    except (pl.exceptions.PolarsError, ValueError):  # malformed for polars: careful reader
        df = _read_columns_csv(path, idx)
    return df.select(pl.col(n).fill_null("").cast(pl.String) for n in names).with_row_index(
        "record", offset=1
    )


def _read_columns_csv(path: Path, idx: tuple[int, int, int]) -> pl.DataFrame:
    a, c, s = idx
    need = max(idx)
    cols: tuple[list[str], list[str], list[str]] = ([], [], [])
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh)
            next(reader, None)
            for row in reader:
                if not row:
                    continue
                if len(row) <= need:
                    raise InvalidDataError(
                        f"{path}: line {reader.line_num}: {len(row)} fields, but the header "
                        f"has more; the file is not a well-formed Matchmaker CSV"
                    )
                cols[0].append(row[a])
                cols[1].append(row[c])
                cols[2].append(row[s])
    except UnicodeDecodeError as exc:
        raise InvalidDataError(
            f"{path}: not UTF-8 (byte offset {exc.start} of a read block); re-save as UTF-8"
        ) from None
    except csv.Error as exc:
        raise InvalidDataError(f"{path}: cannot parse the CSV ({exc})") from None
    return pl.DataFrame(
        {"app_id": cols[0], "clever_id": cols[1], "status": cols[2]},
        schema=dict.fromkeys(("app_id", "clever_id", "status"), pl.String),
    )


def _load(path: Path, id_column: str | None) -> _File:
    header = _read_header(path)
    idx = _find_columns(path, header, id_column)
    df = _read_columns(path, idx)
    folded = pl.col("status").str.strip_chars().str.to_lowercase()
    df = df.with_columns(
        folded.replace(_STATUS_BY_FOLDED).alias("status"),
    )
    return _File(str(path), path.name, header[idx[0]][4:], df)


# --------------------------------------------------------------------------- scoring


def _examples(values: list[str]) -> str:
    shown = ", ".join(repr(v) for v in values[:_EXAMPLES])
    return shown + (", ..." if len(values) > _EXAMPLES else "")


def _side(f: _File, key: str, problems: list[str], what: str) -> pl.DataFrame:
    """One row per record of a side (``key`` = ``app_id`` or ``clever_id``): first status."""
    rows = f.frame.filter(pl.col(key) != "").select(key, "status", "record")
    dup = (
        rows.group_by(key, maintain_order=True)
        .agg(pl.len().alias("n"), pl.col("record"))
        .filter(pl.col("n") > 1)
    )
    if dup.height:
        ex = [
            f"{k} (data rows {', '.join(str(r) for r in recs[:3])})"
            for k, recs in dup.head(_EXAMPLES).select(key, "record").iter_rows()
        ]
        problems.append(
            f"{f.name}: {dup.height} {what} id(s) appear in more than one row, e.g. "
            f"{'; '.join(ex)}; the first row of each is used"
        )
    return rows.unique(subset=key, keep="first", maintain_order=True).select(key, "status")


def _confusion(
    exp: pl.DataFrame, pred: pl.DataFrame, key: str
) -> tuple[dict[str, dict[str, int]], pl.DataFrame]:
    joined = exp.join(
        pred, on=key, how="full", coalesce=True, suffix="_pred", maintain_order="left_right"
    ).with_columns(
        pl.col("status").fill_null(MISSING).alias("expected"),
        pl.col("status_pred").fill_null(MISSING).alias("predicted"),
    )
    counts = joined.group_by("expected", "predicted").len()
    table: dict[tuple[str, str], int] = {
        (e, p): n for e, p, n in counts.select("expected", "predicted", "len").iter_rows()
    }
    exp_keys = _ordered({e for e, _ in table})
    pred_keys = _ordered({p for _, p in table})
    conf = {e: {p: table[(e, p)] for p in pred_keys if (e, p) in table} for e in exp_keys}
    return conf, joined.select(key, "expected", "predicted")


def _dup_scores(joined: pl.DataFrame, dup: str) -> dict[str, float | int]:
    e = pl.col("expected") == dup
    p = pl.col("predicted") == dup
    tp, n_pred, n_exp = joined.select(
        (e & p).sum().alias("tp"), p.sum().alias("pred"), e.sum().alias("exp")
    ).row(0)
    precision = _ratio(tp, n_pred)
    recall = _ratio(tp, n_exp)
    return {
        "precision": precision,
        "recall": recall,
        "f1": _f1(precision, recall),
        "tp": int(tp),
        "predicted": int(n_pred),
        "expected": int(n_exp),
    }


def _pairs(f: _File, problems: list[str]) -> pl.DataFrame:
    rows = f.frame.filter(pl.col("status") == MATCH)
    incomplete = rows.filter((pl.col("app_id") == "") | (pl.col("clever_id") == ""))
    if incomplete.height:
        recs = incomplete["record"].to_list()
        problems.append(
            f"{f.name}: {incomplete.height} 'match' row(s) lack an app id or a clever.id "
            f"(data rows {', '.join(str(r) for r in recs[:_EXAMPLES])}); not counted as pairs"
        )
    return (
        rows.filter((pl.col("app_id") != "") & (pl.col("clever_id") != ""))
        .select("app_id", "clever_id")
        .unique()
    )


def _file_problems(f: _File, problems: list[str]) -> None:
    df = f.frame
    # Also catches rows cut short: polars reads their missing fields as empty.
    blank = df.filter(pl.col("status") == "")["record"].to_list()
    if blank:
        problems.append(
            f"{f.name}: {len(blank)} row(s) have no {RESULT_COLUMN} value (short or blank rows?),"
            f" data rows {', '.join(str(r) for r in blank[:_EXAMPLES])}"
            f"{', ...' if len(blank) > _EXAMPLES else ''}"
        )
    unknown = (
        df.filter(~pl.col("status").is_in(list(STATUSES)) & (pl.col("status") != ""))
        .group_by("status", maintain_order=True)
        .len()
    )
    if unknown.height:
        vals = [f"{s!r} x{n}" for s, n in unknown.iter_rows()]
        problems.append(f"{f.name}: unknown {RESULT_COLUMN} value(s): {', '.join(vals)}")
    empty = df.filter((pl.col("app_id") == "") & (pl.col("clever_id") == "")).height
    if empty:
        problems.append(f"{f.name}: {empty} row(s) have neither an app id nor a clever.id")
    wrong_app = df.filter(
        (pl.col("app_id") != "")
        & pl.col("status").is_in([s for s in STATUSES if s not in APP_STATUSES])
    ).height
    if wrong_app:
        problems.append(f"{f.name}: {wrong_app} row(s) have an app id but a 'from Clever' status")
    wrong_clever = df.filter(
        (pl.col("clever_id") != "")
        & pl.col("status").is_in([s for s in STATUSES if s not in CLEVER_STATUSES])
    ).height
    if wrong_clever:
        problems.append(f"{f.name}: {wrong_clever} row(s) have a clever.id but a 'from app' status")


def _presence_problems(
    joined: pl.DataFrame, key: str, what: str, pred: _File, exp: _File, problems: list[str]
) -> None:
    only_exp = joined.filter(pl.col("predicted") == MISSING)[key]
    if only_exp.len():
        problems.append(
            f"{only_exp.len()} {what} record(s) of {exp.name} are missing from {pred.name}, "
            f"e.g. {_examples(only_exp.head(_EXAMPLES + 1).to_list())}"
        )
    only_pred = joined.filter(pl.col("expected") == MISSING)[key]
    if only_pred.len():
        problems.append(
            f"{only_pred.len()} {what} record(s) of {pred.name} are not in {exp.name}, "
            f"e.g. {_examples(only_pred.head(_EXAMPLES + 1).to_list())}"
        )


def _file_counts(f: _File, pairs: pl.DataFrame) -> dict[str, Any]:
    df = f.frame
    by_status = dict(df.group_by("status").len().iter_rows())
    return {
        "rows": df.height,
        "app_records": df.filter(pl.col("app_id") != "")["app_id"].n_unique(),
        "clever_records": df.filter(pl.col("clever_id") != "")["clever_id"].n_unique(),
        "match_pairs": pairs.height,
        "by_status": {s: int(by_status[s]) for s in _ordered(set(by_status))},
    }


def evaluate(predicted: Path, expected: Path, *, id_column: str | None = None) -> EvaluationReport:
    """Score ``predicted`` against ``expected`` (both Matchmaker-format CSV files)."""
    pred = _load(Path(predicted), id_column)
    exp = _load(Path(expected), id_column)
    if pred.name == exp.name:  # same file name in two folders: use the paths in messages
        pred.name, exp.name = pred.path, exp.path
    problems: list[str] = []
    if pred.id_column != exp.id_column:
        problems.append(
            f"the app id column differs: {pred.id_column!r} in {pred.name}, "
            f"{exp.id_column!r} in {exp.name}"
        )
    for f in (pred, exp):
        _file_problems(f, problems)

    p_pairs = _pairs(pred, problems)
    e_pairs = _pairs(exp, problems)
    tp = p_pairs.join(e_pairs, on=["app_id", "clever_id"], how="inner").height
    fp = p_pairs.height - tp
    fn = e_pairs.height - tp
    precision = _ratio(tp, tp + fp)
    recall = _ratio(tp, tp + fn)

    sides: dict[str, tuple[dict[str, dict[str, int]], pl.DataFrame]] = {}
    for side, key in (("app", "app_id"), ("clever", "clever_id")):
        what = "app" if side == "app" else "Clever"
        e_side = _side(exp, key, problems, what)
        p_side = _side(pred, key, problems, what)
        sides[side] = _confusion(e_side, p_side, key)
        _presence_problems(sides[side][1], key, what, pred, exp, problems)

    dup_scores = {
        "app": _dup_scores(sides["app"][1], APP_DUPLICATE),
        "clever": _dup_scores(sides["clever"][1], CLEVER_DUPLICATE),
    }
    counts: dict[str, Any] = {
        "predicted": _file_counts(pred, p_pairs),
        "expected": _file_counts(exp, e_pairs),
    }
    for side in ("app", "clever"):
        joined = sides[side][1]
        agree = joined.filter(pl.col("expected") == pl.col("predicted")).height
        counts[f"{side}_records"] = joined.height
        counts[f"{side}_status_agreement"] = _ratio(agree, joined.height)

    return EvaluationReport(
        predicted_path=pred.path,
        expected_path=exp.path,
        id_column=exp.id_column,
        pair_tp=tp,
        pair_fp=fp,
        pair_fn=fn,
        precision=precision,
        recall=recall,
        f1=_f1(precision, recall),
        app_confusion=sides["app"][0],
        clever_confusion=sides["clever"][0],
        counts=counts,
        duplicate_scores=dup_scores,
        problems=problems,
    )
