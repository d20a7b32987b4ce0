"""Field-by-field evidence for the rows of a Matchmaker-format output (with extras).

The output keeps each row's comparison levels (``match.evidence``), its weight and
probability, the best candidate of unmatched rows, and the values of both sides.  From
these and the rules, ``ReviewFile`` rebuilds each row's waterfall: the prior, then every
field's contribution ``log2(m/u)`` of its level, summing to ``match.weight``.  ``explain``
renders one record's waterfall for the terminal; ``matchengine.report`` builds the HTML
review page from the same evidence.

The run's prior is ``1 / max(app records, Clever records)`` (or the rules' fixed prior);
both counts are in the file, because every record has exactly one row.  Whatever the
level weights and the prior do not explain (term-frequency adjustments, or a file written
with other rules) is shown as its own line, never hidden.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from matchengine import matchmaker as mm
from matchengine.csvfile import CsvTable, read_table
from matchengine.errors import InvalidDataError, UsageError
from matchengine.fields import SYNONYMS, canonical_role, find_id_column, map_headers
from matchengine.link import level_labels, level_weights
from matchengine.output import REVIEW_COLUMN, ReviewBand
from matchengine.rules import Comparison, Rules, load_rules

# The matching field a comparison's normalised column comes from (when not its name).
_FIELD_OF_COLUMN = {
    "first_names": "first_name",
    "first_aliases": "first_name",
    "first_key": "first_name",
    "last_key": "last_name",
    "last_tokens": "last_name",
    "middle_initial": "middle_name",
    "email_local": "email",
    "dob_swap": "dob",
    "dob_year": "dob",
    "dob_month_day": "dob",
    "full_name": "last_name",
    "full_name_if_no_dob": "last_name",
    "grade_rank": "grade",
    "school_keys": "school",
    "any_ids": "sis_id",
}
# Clever columns shown for a field, most readable first.
_CLEVER_SHOWN = {"school": ("school_name", "school"), "staff_id": ("staff_id",)}
# Weights in the file have two decimals; a gap below this is rounding.
_ROUNDING = 0.02
NULL_LEVEL = "null"


def parse_review_band(text: str) -> ReviewBand:
    """``"0.5,0.99"`` -> ``(0.5, 0.99)``; raises ``UsageError`` with the fix otherwise."""
    parts = [p.strip() for p in text.split(",")]
    try:
        if len(parts) != 2:
            raise ValueError
        low, high = float(parts[0]), float(parts[1])
    except ValueError:
        raise UsageError(
            f"--review-band {text!r} must be two probabilities LOW,HIGH, e.g. 0.5,0.99"
        ) from None
    if not 0 <= low <= high <= 1:
        raise UsageError(f"--review-band {text!r} must have 0 <= LOW <= HIGH <= 1, e.g. 0.5,0.99")
    return (low, high)


def logit2(p: float) -> float:
    """log2 odds of a probability (the weight scale of ``match.weight``)."""
    p = min(max(p, 1e-15), 1 - 1e-15)
    return math.log2(p / (1.0 - p))


def field_of(comp: Comparison) -> str:
    """The matching field (app mapping / ``clever.<field>``) a comparison looks at."""
    if comp.name in SYNONYMS:
        return comp.name
    if comp.column in SYNONYMS:
        return comp.column
    return _FIELD_OF_COLUMN.get(comp.column, comp.name)


@dataclass(frozen=True)
class FieldEvidence:
    """One comparison of one pair: both values, the level and its weight in bits."""

    name: str
    app_value: str
    clever_value: str
    level: str  # the level label; "null" when a side is empty (no evidence either way)
    weight: float
    known: bool = True  # False: the rules have no such level (the file used other rules)
    tf: bool = False  # the level is term-frequency adjusted (its weight varies by value)

    def to_dict(self) -> dict[str, Any]:
        return {
            "field": self.name,
            "app_value": self.app_value,
            "clever_value": self.clever_value,
            "level": self.level,
            "weight": round(self.weight, 4),
            "known": self.known,
            "tf": self.tf,
        }


@dataclass
class RowEvidence:
    """The evidence of one output row (a match, or an unmatched record and its candidate)."""

    line: int  # physical line of the row in the output file
    status: str
    app_id: str  # the row's app id, or the candidate app id of a Clever-only row
    clever_id: str  # the row's Clever id, or the candidate Clever id of an app row
    side: str  # "app" or "clever": whose row it is
    probability: float | None
    weight: float | None
    prior: float  # log2 prior odds of the run
    fields: list[FieldEvidence]
    adjustment: float  # weight - prior - sum(fields): not explained by the level weights
    adjustment_reason: str
    notes: list[str]
    duplicate_of: list[str]
    review: bool
    app_name: str = ""
    clever_name: str = ""

    @property
    def is_candidate(self) -> bool:
        """True when the row is unmatched and the other side is its best candidate."""
        return self.status != mm.MATCH

    @property
    def key(self) -> str:
        own = self.app_id if self.side == "app" else self.clever_id
        return f"{self.side}:{own}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "side": self.side,
            "status": self.status,
            "app_id": self.app_id,
            "clever_id": self.clever_id,
            "candidate": self.is_candidate,
            "probability": self.probability,
            "weight": self.weight,
            "prior": round(self.prior, 4),
            "fields": [f.to_dict() for f in self.fields],
            "adjustment": round(self.adjustment, 4),
            "adjustment_reason": self.adjustment_reason,
            "notes": self.notes,
            "duplicate_of": self.duplicate_of,
            "review": self.review,
            "app_name": self.app_name,
            "clever_name": self.clever_name,
        }


def _float(text: str) -> float | None:
    try:
        return float(text) if text.strip() else None
    except ValueError:
        return None


def infer_role(header: Sequence[str]) -> str:
    """The role whose ``clever.*`` columns the header has (exactly, else the closest)."""
    have = tuple(h[len("clever.") :] for h in header if h.startswith("clever."))
    for role, fields in mm.CLEVER_FIELDS.items():
        if have == fields:
            return role
    best = max(mm.CLEVER_FIELDS, key=lambda r: len(set(have) & set(mm.CLEVER_FIELDS[r])))
    if not set(have) & set(mm.CLEVER_FIELDS[best]):
        raise UsageError("the file has no clever.* columns of a known role; pass --role")
    return best


class ReviewFile:
    """A Matchmaker-format output with extras, read whole, with its rules and counts."""

    def __init__(
        self,
        path: str | Path,
        *,
        role: str | None = None,
        rules_path: str | Path | None = None,
        id_column: str | None = None,
        overrides: Mapping[str, str] | None = None,
        threshold: float | None = None,
        review_band: ReviewBand | None = None,
    ) -> None:
        self.path = str(path)
        table = read_table(path)
        self.table: CsvTable = table
        header = table.header
        missing = [c for c in ("clever.id", mm.RESULT_COLUMN, *mm.EXTRA_COLUMNS) if c not in header]
        if missing:
            hint = (
                " (it was written with --no-extras; re-run match without it)"
                if mm.RESULT_COLUMN in header and "clever.id" in header
                else ""
            )
            raise InvalidDataError(
                f"{self.path}:1: not a matchengine output with evidence columns: no "
                f"{', '.join(missing)}{hint}"
            )
        self.role = canonical_role(role) if role else infer_role(header)
        self.rules: Rules = load_rules(self.role, rules_path)
        if threshold is not None and not 0 < threshold < 1:
            raise UsageError(f"--threshold must be a probability between 0 and 1 (got {threshold})")
        self.threshold = self.rules.threshold if threshold is None else threshold
        self.app_headers = [h[4:] for h in header if h.startswith("app.")]
        explicit = id_column[4:] if id_column and id_column.startswith("app.") else id_column
        found = find_id_column(self.app_headers, explicit)
        if found is None:
            raise InvalidDataError(
                f"{self.path}:1: no app identifier column among the app.* columns "
                f"({', '.join(self.app_headers) or 'none'}); name it with --id-column"
            )
        self.id_column = found
        self.mapping = map_headers(self.app_headers, self.role, overrides, found).fields
        col = table.column
        self.app_ids = col(f"app.{found}")
        self.clever_ids = col("clever.id")
        self.statuses = col(mm.RESULT_COLUMN)
        self.evidence = col("match.evidence")
        self.weights = [_float(v) for v in col("match.weight")]
        self.probabilities = [_float(v) for v in col("match.probability")]
        self.candidates = col("match.candidate")
        self.duplicates = col("match.duplicate_of")
        self.review_column = col(REVIEW_COLUMN) if REVIEW_COLUMN in header else None
        self.review_band = review_band
        self.row_of_app = {v: i for i, v in enumerate(self.app_ids) if v}
        self.row_of_clever = {v: i for i, v in enumerate(self.clever_ids) if v}
        self.n_app = len(self.row_of_app)
        self.n_clever = len(self.row_of_clever)
        p = self.rules.prior
        self.prior_probability = p if p is not None else 1.0 / max(self.n_app, self.n_clever, 2)
        self.prior = logit2(self.prior_probability)
        self._weights = level_weights(self.rules)
        self._labels = level_labels(self.rules)
        self._tf = {
            (c.name, lv.label)
            for c in self.rules.comparisons
            for lv in c.levels
            if getattr(lv, "tf", False)
        }

    # ------------------------------------------------------------------ values

    @property
    def n_rows(self) -> int:
        return self.table.n_records

    def app_value(self, row: int | None, fld: str) -> str:
        header = self.mapping.get(fld)
        if row is None or header is None:
            return ""
        return self.table.column(f"app.{header}")[row]

    def clever_value(self, row: int | None, fld: str) -> str:
        if row is None:
            return ""
        for name in _CLEVER_SHOWN.get(fld, (fld,)):
            key = f"clever.{name}"
            if key in self.table.header:
                value = self.table.column(key)[row]
                if value:
                    return value
        return ""

    def app_name(self, row: int | None) -> str:
        parts = [self.app_value(row, f) for f in ("first_name", "last_name")]
        return " ".join(p for p in parts if p) or self.app_value(row, "name")

    def clever_name(self, row: int | None) -> str:
        parts = [self.clever_value(row, f) for f in ("first_name", "last_name")]
        return " ".join(p for p in parts if p) or self.clever_value(row, "name")

    def needs_review(self, row: int) -> bool:
        """The row's ``match.review`` mark, or (with a band) whether its probability is in it."""
        if self.review_band is not None:
            p = self.probabilities[row]
            decided = "decision:" in self.evidence[row]
            return not decided and p is not None and self.review_band[0] <= p <= self.review_band[1]
        if self.review_column is not None:
            return self.review_column[row].strip().lower() == "yes"
        return False

    # ---------------------------------------------------------------- evidence

    def parse_evidence(self, text: str) -> tuple[dict[str, str], list[str]]:
        """``match.evidence`` -> (comparison -> level label, notes)."""
        levels: dict[str, str] = {}
        notes: list[str] = []
        names = set(self._labels)
        for token in (t.strip() for t in text.split(";")):
            if not token:
                continue
            name, eq, label = token.partition("=")
            if eq and name.strip() in names and name.strip() not in levels:
                levels[name.strip()] = label.strip()
            else:
                notes.append(token)
        return levels, notes

    def row_evidence(self, row: int) -> RowEvidence:
        """The waterfall of one output row (0-based data row)."""
        status = self.statuses[row]
        app_id = self.app_ids[row]
        side = "app" if app_id else "clever"
        clever_id = self.clever_ids[row]
        app_row: int | None = row
        clever_row: int | None = row
        if status != mm.MATCH:
            cand = self.candidates[row]
            if side == "app":
                clever_id = cand
                clever_row = self.row_of_clever.get(cand) if cand else None
            else:
                app_id = cand
                app_row = self.row_of_app.get(cand) if cand else None
        levels, notes = self.parse_evidence(self.evidence[row])
        other_row = clever_row if side == "app" else app_row
        if status != mm.MATCH and other_row is not None and other_row != row:
            other_status = self.statuses[other_row]
            if other_status in (mm.APP_DUPLICATE, mm.CLEVER_DUPLICATE):
                whose = "app" if other_status == mm.APP_DUPLICATE else "Clever"
                notes.append(
                    f"the candidate is one of a group of duplicate {whose} records, "
                    "and duplicates are not matched"
                )
        fields: list[FieldEvidence] = []
        if levels:
            for comp in self.rules.comparisons:
                fld = field_of(comp)
                a, c = self.app_value(app_row, fld), self.clever_value(clever_row, fld)
                label = levels.get(comp.name)
                if label is None:
                    fields.append(FieldEvidence(comp.name, a, c, NULL_LEVEL, 0.0))
                    continue
                labels = self._labels[comp.name]
                if label in labels:
                    w = self._weights[comp.name][labels.index(label)]
                    tf = (comp.name, label) in self._tf
                    fields.append(FieldEvidence(comp.name, a, c, label, w, tf=tf))
                else:
                    fields.append(FieldEvidence(comp.name, a, c, label, 0.0, known=False))
        weight = self.weights[row]
        adjustment, reason = 0.0, ""
        if weight is not None and fields:
            gap = weight - self.prior - sum(f.weight for f in fields)
            if abs(gap) > _ROUNDING:
                adjustment = gap
                if any(not f.known for f in fields):
                    reason = "levels unknown to these rules (pass the --rules used for the run)"
                elif any(f.tf for f in fields):
                    tf_fields = ", ".join(f.name for f in fields if f.tf)
                    reason = (
                        f"the term-frequency adjustment of {tf_fields} (levels marked tf): "
                        "a rare value counts more than its level's weight, a common one less"
                    )
                else:
                    reason = "not explained by these rules (pass the --rules used for the run)"
        dups = [d for d in self.duplicates[row].split(";") if d]
        return RowEvidence(
            line=self.table.lines[row],
            status=status,
            app_id=app_id,
            clever_id=clever_id,
            side=side,
            probability=self.probabilities[row],
            weight=weight,
            prior=self.prior,
            fields=fields,
            adjustment=adjustment,
            adjustment_reason=reason,
            notes=notes,
            duplicate_of=dups,
            review=self.needs_review(row),
            app_name=self.app_name(app_row),
            clever_name=self.clever_name(clever_row),
        )

    def find(self, *, app_id: str | None = None, clever_id: str | None = None) -> int:
        """The row of an app id, or the row holding a Clever id (matched or Clever-only)."""
        if (app_id is None) == (clever_id is None):
            raise UsageError("name exactly one record: --app-id ID or --clever-id ID")
        if app_id is not None:
            row = self.row_of_app.get(app_id)
            what = f"app id {app_id!r} (column app.{self.id_column})"
        else:
            assert clever_id is not None
            row = self.row_of_clever.get(clever_id)
            what = f"Clever id {clever_id!r}"
        if row is None:
            raise UsageError(f"{self.path}: no row has {what}; check the id")
        return row


# ---------------------------------------------------------------------- explain


@dataclass
class Explanation:
    path: str
    role: str
    rules: str
    threshold: float
    evidence: RowEvidence
    duplicate_names: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "role": self.role,
            "rules": self.rules,
            "threshold": self.threshold,
            "threshold_weight": round(logit2(self.threshold), 4),
            **self.evidence.to_dict(),
        }

    def render(self, width: int = 28) -> str:
        return render_explanation(self, width)


def _cut(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _signed(w: float) -> str:
    return f"{w:+.2f}"


def render_explanation(ex: Explanation, width: int = 28) -> str:
    """The terminal form: a header, then one line per field with a running total."""
    ev = ex.evidence
    lines: list[str] = []
    app = f"app {ev.app_id}" + (f" ({ev.app_name})" if ev.app_name else "") if ev.app_id else ""
    clever = (
        f"Clever {ev.clever_id}" + (f" ({ev.clever_name})" if ev.clever_name else "")
        if ev.clever_id
        else ""
    )
    own, other = (app, clever) if ev.side == "app" else (clever, app)
    lines.append(f"{own}: {ev.status}")
    if other:
        relation = "matched to" if ev.status == mm.MATCH else "best candidate"
        lines.append(f"{relation}: {other}")
    else:
        lines.append("best candidate: none (no pair was scored for this record)")
    if ev.duplicate_of:
        lines.append(f"duplicate of: {', '.join(ev.duplicate_of)}")
    if ev.probability is not None and ev.weight is not None:
        lines.append(
            f"probability {ev.probability:.4f}, weight {ev.weight:.2f} bits; the threshold "
            f"{ex.threshold:g} is {logit2(ex.threshold):.2f} bits"
        )
    lines.append(f"rules: {ex.rules} ({ex.role}); line {ev.line} of {Path(ex.path).name}")
    if not ev.fields:
        for note in ev.notes:
            lines.append(f"note: {note}")
        return "\n".join(lines) + "\n"
    lines.append("")
    head = ("field", "app value", "Clever value", "level", "weight", "total")
    rows: list[tuple[str, ...]] = [head]
    running = ev.prior
    prior_text = f"1 in {round(1 / _prior_p(ev.prior)):,}"
    rows.append(("prior", "", "", prior_text, _signed(ev.prior), f"{running:.2f}"))
    for f in ev.fields:
        if f.level == NULL_LEVEL and not f.app_value and not f.clever_value:
            continue  # empty on both sides: nothing to show
        running += f.weight
        level = f.level if f.known else f"{f.level} (unknown level)"
        level += " (tf)" if f.tf else ""
        rows.append(
            (
                f.name,
                _cut(f.app_value, width),
                _cut(f.clever_value, width),
                level,
                _signed(f.weight) if f.level != NULL_LEVEL else "0",
                f"{running:.2f}",
            )
        )
    if ev.adjustment:
        running += ev.adjustment
        rows.append(("other", "", "", "see note", _signed(ev.adjustment), f"{running:.2f}"))
    if ev.weight is not None:
        rows.append(("match.weight", "", "", "", "", f"{ev.weight:.2f}"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    for r in rows:
        cells = [r[i].ljust(widths[i]) if i < 4 else r[i].rjust(widths[i]) for i in range(len(r))]
        lines.append("  ".join(cells).rstrip())
    lines.append("")
    lines.append("null: the field is empty on one side, so it counts neither way")
    if ev.adjustment:
        lines.append(f"note: other = {ev.adjustment_reason}")
    for note in ev.notes:
        lines.append(f"note: {note}")
    return "\n".join(lines) + "\n"


def _prior_p(prior_weight: float) -> float:
    odds = 2.0**prior_weight
    return odds / (1.0 + odds)


def explain(
    path: str | Path,
    *,
    app_id: str | None = None,
    clever_id: str | None = None,
    role: str | None = None,
    rules_path: str | Path | None = None,
    id_column: str | None = None,
    overrides: Mapping[str, str] | None = None,
    threshold: float | None = None,
) -> Explanation:
    """The field-by-field evidence of one record of a matchengine output."""
    if (app_id is None) == (clever_id is None):
        raise UsageError("name exactly one record: --app-id ID or --clever-id ID")
    rf = ReviewFile(
        path,
        role=role,
        rules_path=rules_path,
        id_column=id_column,
        overrides=overrides,
        threshold=threshold,
    )
    row = rf.find(app_id=app_id, clever_id=clever_id)
    return Explanation(rf.path, rf.role, rf.rules.path, rf.threshold, rf.row_evidence(row))


__all__ = [
    "Explanation",
    "FieldEvidence",
    "ReviewFile",
    "RowEvidence",
    "explain",
    "field_of",
    "infer_role",
    "parse_review_band",
]
