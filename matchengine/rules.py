"""Rules files (``rules/<role>.toml``) -> frozen dataclasses, checked whole.

A rules file says, for one role: which comparisons to make and the weight of each level
(m and u probabilities), which blocking rules produce candidate pairs, the prior and the
match threshold, which identifiers make two records of one side the same person, and the
vetoes that keep weak evidence from making a match.  Every problem in a file is reported
at once, with its key path (``comparisons[2].levels[1].m: must be between 0 and 1``).
The compilation to Splink settings lives in ``link`` (the only module that imports Splink).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import tomllib

from matchengine.errors import RulesError

LEVEL_KINDS = {
    # kind: parameters it needs (besides label/m/u)
    "exact": (),
    "overlap": (),
    "found_in": ("column",),
    "jaro_winkler": ("threshold",),
    "damerau_levenshtein": ("distance",),
    "transposition": (),  # two neighbouring letters swapped, nothing else
    "neighbour": (),  # one keystroke apart, in the last two characters
    "excel_truncated": (),
    "date_swap": (),
    "date_parts": (),
    "swap": ("with",),
    "initial": (),
    "within": ("distance",),
    "sql": ("sql",),
    "else": (),
}

# The normalised columns a comparison or blocking rule may name (see normalize.py).
COLUMNS = {
    "first_name": "text",
    "middle_name": "text",
    "last_name": "text",
    "middle_initial": "text",
    "first_key": "text",
    "last_key": "text",
    "last_tokens": "list",
    "first_names": "list",
    "first_aliases": "list",
    "sis_id": "text",
    "student_number": "text",
    "teacher_number": "text",
    "staff_id": "text",
    "state_id": "text",
    "any_ids": "list",
    "email": "text",
    "email_local": "text",
    "username": "text",
    "dob": "text",
    "dob_swap": "text",
    "dob_year": "text",
    "dob_month_day": "text",
    "full_name": "text",
    "full_name_if_no_dob": "text",
    "grade": "text",
    "grade_rank": "number",
    "title": "text",
    "department": "text",
    "school_keys": "list",  # of 64-bit hashes (normalize.hash_keys): overlap only
    # Schools, districts and sections (see orgs/normalize.py).
    "name": "text",
    "name_core": "text",
    "name_key": "text",
    "name_number": "text",
    "name_tokens": "list",
    "name_in_state": "text",
    "school_type": "text",
    "nces_id": "text",
    "mdr_number": "text",
    "school_number": "text",
    "address": "text",
    "address_key": "text",
    "city": "text",
    "state": "text",
    "zip": "text",
    "phone": "text",
    "grade_span": "text",
    "domains": "list",
    "domain": "text",
    "school_names": "list",
    "school_name_1": "text",
    "school_name_2": "text",
    "school_name_3": "text",
    "school_name_4": "text",
    "school_name_5": "text",
    "school_name_6": "text",
    "school_id": "text",
    "teacher_id": "text",
    "teacher_ids": "list",
    "section_number": "text",
    "period": "text",
    "course_name": "text",
    "course_number": "text",
    "term": "text",
    "subject": "text",
    "students": "list",
    "students_n": "number",
    "students_mh1": "text",
    "students_mh2": "text",
    "students_mh3": "text",
}


@dataclass(frozen=True)
class Level:
    label: str
    kind: str
    m: float
    u: float
    column: str | None = None
    threshold: float | None = None
    distance: float | None = None
    with_column: str | None = None
    sql: str | None = None
    tf: bool = False  # term-frequency adjustment: agreeing on a rare value counts more
    both: bool = False  # swap levels: both directions must hold (a full transposition)


@dataclass(frozen=True)
class Comparison:
    name: str
    column: str
    levels: tuple[Level, ...]
    description: str = ""


@dataclass(frozen=True)
class BlockingRule:
    name: str
    on: tuple[str, ...]
    swap: tuple[str, str] | None = None  # compare l.<a> with r.<b> (and the mirror)
    within: bool = True  # also pair records of one side (for duplicates); False: app-Clever only


@dataclass(frozen=True)
class Veto:
    when: tuple[tuple[str, str], ...]  # (comparison, level label) pairs; any of them triggers
    unless_any: tuple[tuple[str, str], ...]  # ... unless one of these holds
    reason: str
    and_any: tuple[tuple[str, str], ...] = ()  # when given, one of these must hold as well
    # for two records of a side in ``Rules.shared_match``: lifted when both records' best
    # candidate on the other side, a match but for the competition, is one and the same
    # record (pairs across the sides are not affected)
    unless_same_candidate: bool = False


@dataclass(frozen=True)
class UEstimation:
    """When and how to re-estimate u probabilities from random pairs of the run's data."""

    mode: str = "auto"  # "auto": when both sides have min_records; "always"; "never"
    min_records: int = 2000
    sample_pairs: int = 300_000
    prior_strength: float = 1000.0  # pseudo-pairs of the rules' u mixed into the estimate
    seed: int = 42


@dataclass(frozen=True)
class MEstimation:
    """When and how to re-estimate m probabilities by EM on the run's data."""

    mode: str = "never"  # "auto": when both sides have min_records; "always"; "never"
    min_records: int = 2000
    max_pairs: int = 300_000
    # Records per side handed to EM (a seeded sample when a side has more): EM keeps only
    # max_pairs pairs anyway, and scanning every record of a large side is what costs.
    max_records: int = 200_000
    rules_weight: float = 0.5  # share of the rules' m kept in the final m
    blocking: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True)
class Rules:
    role: str
    path: str
    comparisons: tuple[Comparison, ...]
    blocking: tuple[BlockingRule, ...]
    prior: float | None  # None = automatic: 1 / max(n_app, n_clever)
    threshold: float
    duplicate_threshold: float
    duplicate_rate: float
    tie_margin: float
    needs_one_of: tuple[str, ...]
    strong_ids: tuple[str, ...]
    vetoes: tuple[Veto, ...]
    duplicate_vetoes: tuple[Veto, ...] = ()
    duplicate_ignore_disagreement: tuple[str, ...] = ()
    clever_duplicate_ignore_disagreement: tuple[str, ...] = ()
    # App records sharing one of these, when a Clever record holds the same value (the
    # district issued it to one student), are one person whatever their names say.
    roster_ids: tuple[str, ...] = ()
    # Sides ("app", "clever") on which two records whose best pair is with one and the
    # same record of the other side, clearing the duplicate threshold, are one person;
    # and on which that shared best candidate lifts ``unless_same_candidate`` vetoes.
    shared_match: tuple[str, ...] = ()
    estimate_u: UEstimation = field(default_factory=lambda: UEstimation())
    estimate_m: MEstimation = field(default_factory=lambda: MEstimation())
    description: str = ""

    def comparison(self, name: str) -> Comparison:
        for c in self.comparisons:
            if c.name == name:
                return c
        raise KeyError(name)


def weights_distinct(pairs: Sequence[tuple[float, float]]) -> bool:
    """True when levels with these (m, u) have distinct, non-zero, finite weights log2(m/u).

    The engine recovers a pair's level from its weight, so two levels of one comparison
    must never share one (and 0 is the null level's).
    """
    if any(m <= 0 or u <= 0 for m, u in pairs):
        return False
    weights = [round(math.log2(m / u), 9) for m, u in pairs]
    return len(set(weights)) == len(weights) and 0.0 not in weights


class _Checker:
    """Collects every problem instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def error(self, key: str, message: str) -> None:
        self.problems.append(f"{key}: {message}")

    def prob(
        self, table: dict[str, Any], field: str, key: str, *, allow_zero: bool = False
    ) -> float:
        value = table.get(field)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.error(f"{key}.{field}", "must be a number between 0 and 1")
            return 0.5
        lo_ok = value >= 0 if allow_zero else value > 0
        if not (lo_ok and value <= 1):
            self.error(f"{key}.{field}", f"must be between 0 and 1 (got {value})")
            return 0.5
        return float(value)

    def text(self, table: dict[str, Any], field: str, key: str, default: str | None = None) -> str:
        value = table.get(field, default)
        if not isinstance(value, str) or not value:
            self.error(f"{key}.{field}", "must be a non-empty string")
            return ""
        return value

    def strings(self, table: dict[str, Any], field: str, key: str) -> tuple[str, ...]:
        value = table.get(field, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.error(f"{key}.{field}", "must be a list of strings")
            return ()
        return tuple(value)

    def column(self, name: str, key: str) -> str:
        if name not in COLUMNS:
            self.error(key, f"unknown column {name!r}; known columns: {', '.join(sorted(COLUMNS))}")
        return name


def _parse_level(ck: _Checker, raw: Any, key: str, column: str) -> Level:
    if not isinstance(raw, dict):
        ck.error(key, "must be a table")
        return Level("?", "else", 0.5, 0.5)
    label = ck.text(raw, "label", key)
    kind = raw.get("kind", "")
    if kind not in LEVEL_KINDS:
        ck.error(f"{key}.kind", f"must be one of {', '.join(LEVEL_KINDS)} (got {kind!r})")
        kind = "else"
    m = ck.prob(raw, "m", key)
    u = ck.prob(raw, "u", key)
    for param in LEVEL_KINDS[kind]:
        if param not in raw:
            ck.error(f"{key}.{param}", f"is required for kind {kind!r}")
    level_column = raw.get("column", column)
    if not isinstance(level_column, str):
        ck.error(f"{key}.column", "must be a string")
        level_column = column
    elif kind not in ("sql", "else"):
        ck.column(level_column, f"{key}.column")
    if kind == "found_in" and (
        COLUMNS.get(level_column) != "list" or COLUMNS.get(column) == "list"
    ):
        ck.error(
            f"{key}.column",
            f"kind 'found_in' looks the comparison's own value up in a list column: "
            f"'column' must be a list column and the comparison's column {column!r} a single "
            f"value (got {level_column!r})",
        )
    with_column = raw.get("with")
    if with_column is not None:
        ck.column(str(with_column), f"{key}.with")
    threshold = raw.get("threshold")
    if threshold is not None and not (isinstance(threshold, (int, float)) and 0 < threshold <= 1):
        ck.error(f"{key}.threshold", "must be a number in (0, 1]")
    distance = raw.get("distance")
    if distance is not None and not (isinstance(distance, (int, float)) and distance >= 0):
        ck.error(f"{key}.distance", "must be a number >= 0")
    sql = raw.get("sql")
    if kind == "sql" and (not isinstance(sql, str) or "l." not in sql or "r." not in sql):
        ck.error(f"{key}.sql", "must be an SQL condition naming l.<column> and r.<column>")
    tf = raw.get("tf", False)
    if not isinstance(tf, bool):
        ck.error(f"{key}.tf", "must be true or false")
        tf = False
    elif tf and kind != "exact":
        ck.error(f"{key}.tf", "term-frequency adjustment applies to 'exact' levels only")
    both = raw.get("both", False)
    if not isinstance(both, bool) or (both and kind != "swap"):
        ck.error(f"{key}.both", "must be true or false, and only on kind 'swap'")
        both = False
    known = {
        "label",
        "kind",
        "m",
        "u",
        "column",
        "threshold",
        "distance",
        "with",
        "sql",
        "tf",
        "both",
    }
    unknown = set(raw) - known
    if unknown:
        ck.error(key, f"unknown key(s): {', '.join(sorted(unknown))}")
    return Level(
        label=label,
        kind=kind,
        m=m,
        u=u,
        column=level_column if kind not in ("else",) else None,
        threshold=float(threshold) if isinstance(threshold, (int, float)) else None,
        distance=float(distance) if isinstance(distance, (int, float)) else None,
        with_column=str(with_column) if with_column is not None else None,
        sql=sql if isinstance(sql, str) else None,
        tf=bool(tf),
        both=bool(both),
    )


def _parse_ref(
    ck: _Checker, ref: str, key: str, comparisons: dict[str, Comparison]
) -> tuple[str, str]:
    name, _, label = ref.partition("=")
    comp = comparisons.get(name)
    if comp is None:
        ck.error(key, f"{ref!r} names no comparison")
        return (name, label)
    if label and label not in {lv.label for lv in comp.levels}:
        ck.error(key, f"{ref!r}: comparison {name!r} has no level labelled {label!r}")
    return (name, label)


_VETO_KEYS = {"when", "unless_any", "and_any", "reason", "unless_same_candidate"}


def _parse_vetoes(
    ck: _Checker,
    raw: Any,
    key: str,
    comparisons: dict[str, Comparison],
) -> tuple[Veto, ...]:
    if not isinstance(raw, list):
        ck.error(key, "must be an array of tables")
        return ()
    vetoes: list[Veto] = []
    for i, rv in enumerate(raw):
        k = f"{key}[{i}]"
        if not isinstance(rv, dict):
            ck.error(k, "must be a table")
            continue
        when = tuple(_parse_ref(ck, r, f"{k}.when", comparisons) for r in ck.strings(rv, "when", k))
        unless = tuple(
            _parse_ref(ck, r, f"{k}.unless_any", comparisons)
            for r in ck.strings(rv, "unless_any", k)
        )
        also = tuple(
            _parse_ref(ck, r, f"{k}.and_any", comparisons) for r in ck.strings(rv, "and_any", k)
        )
        if not when:
            ck.error(f"{k}.when", "must name at least one comparison=level")
        same = rv.get("unless_same_candidate", False)
        if not isinstance(same, bool):
            ck.error(f"{k}.unless_same_candidate", "must be true or false")
            same = False
        unknown = set(rv) - _VETO_KEYS
        if unknown:
            ck.error(k, f"unknown key(s): {', '.join(sorted(unknown))}")
        vetoes.append(Veto(when, unless, str(rv.get("reason", "vetoed")), also, same))
    return tuple(vetoes)


def parse_rules(data: dict[str, Any], path: str) -> Rules:
    """Check a parsed rules document whole; raise ``RulesError`` listing every problem."""
    ck = _Checker()
    role = data.get("role")
    if not isinstance(role, str):
        ck.error("role", "must name the role (student, teacher, staff, ...)")
        role = "?"

    comparisons: dict[str, Comparison] = {}
    raw_comps = data.get("comparisons")
    if not isinstance(raw_comps, list) or not raw_comps:
        ck.error("comparisons", "must be a non-empty array of tables ([[comparisons]])")
        raw_comps = []
    for i, rc in enumerate(raw_comps):
        key = f"comparisons[{i}]"
        if not isinstance(rc, dict):
            ck.error(key, "must be a table")
            continue
        name = ck.text(rc, "name", key)
        column = ck.column(ck.text(rc, "column", key, rc.get("name")), f"{key}.column")
        raw_levels = rc.get("levels")
        if not isinstance(raw_levels, list) or len(raw_levels) < 2:
            ck.error(f"{key}.levels", "needs at least two levels (an agreement level and 'else')")
            raw_levels = []
        levels = tuple(
            _parse_level(ck, rl, f"{key}.levels[{j}]", column) for j, rl in enumerate(raw_levels)
        )
        if levels and levels[-1].kind != "else":
            ck.error(f"{key}.levels", "the last level must be kind 'else'")
        if any(lv.kind == "else" for lv in levels[:-1]):
            ck.error(f"{key}.levels", "only the last level may be kind 'else'")
        positive = [(lv.m, lv.u) for lv in levels if lv.m > 0 and lv.u > 0]
        if not weights_distinct(positive):
            ck.error(
                f"{key}.levels",
                "each level needs its own non-zero weight log2(m/u) (equal m and u carry no"
                " evidence; two levels with one weight cannot be told apart in the evidence)",
            )
        labels = [lv.label for lv in levels]
        if len(set(labels)) != len(labels):
            ck.error(f"{key}.levels", "level labels must be unique within a comparison")
        if name in comparisons:
            ck.error(f"{key}.name", f"duplicate comparison name {name!r}")
        comparisons[name] = Comparison(name, column, levels, str(rc.get("description", "")))

    blocking: list[BlockingRule] = []
    raw_blocking = data.get("blocking")
    if not isinstance(raw_blocking, list) or not raw_blocking:
        ck.error("blocking", "must be a non-empty array of tables ([[blocking]])")
        raw_blocking = []
    for i, rb in enumerate(raw_blocking):
        key = f"blocking[{i}]"
        if not isinstance(rb, dict):
            ck.error(key, "must be a table")
            continue
        on = ck.strings(rb, "on", key)
        for c in on:
            ck.column(c, f"{key}.on")
            if COLUMNS.get(c) == "list":
                ck.error(f"{key}.on", f"list column {c!r} cannot be a blocking key")
        swap_raw = rb.get("swap")
        swap: tuple[str, str] | None = None
        if swap_raw is not None:
            if (
                not isinstance(swap_raw, list)
                or len(swap_raw) != 2
                or not all(isinstance(s, str) for s in swap_raw)
            ):
                ck.error(f"{key}.swap", "must be a list of two column names")
            else:
                swap = (
                    ck.column(swap_raw[0], f"{key}.swap"),
                    ck.column(swap_raw[1], f"{key}.swap"),
                )
        if not on and swap is None:
            ck.error(key, "needs 'on' (columns that must be equal) or 'swap'")
        within = rb.get("within", True)
        if not isinstance(within, bool):
            ck.error(f"{key}.within", "must be true or false")
            within = True
        blocking.append(BlockingRule(str(rb.get("name", f"rule{i}")), on, swap, within))

    model = data.get("model", {})
    if not isinstance(model, dict):
        ck.error("model", "must be a table")
        model = {}
    prior_raw = model.get("prior", "auto")
    prior: float | None = None
    if prior_raw != "auto":
        prior = ck.prob(model, "prior", "model")
    threshold = ck.prob(model, "threshold", "model")
    duplicate_threshold = ck.prob(model, "duplicate_threshold", "model")
    duplicate_rate = ck.prob(model, "duplicate_rate", "model")
    tie_margin = model.get("tie_margin", 0.0)
    if isinstance(tie_margin, bool) or not isinstance(tie_margin, (int, float)) or tie_margin < 0:
        ck.error("model.tie_margin", "must be a number of bits >= 0")
        tie_margin = 0.0

    est = model.get("estimate_u", {})
    u_est = UEstimation()
    if not isinstance(est, dict):
        ck.error("model.estimate_u", "must be a table")
    else:
        mode = est.get("mode", "auto")
        if mode not in ("auto", "always", "never"):
            ck.error("model.estimate_u.mode", "must be 'auto', 'always' or 'never'")
            mode = "never"
        ints = {}
        for k, lo in (("min_records", 0), ("sample_pairs", 1000), ("seed", 0)):
            v = est.get(k, getattr(u_est, k))
            if isinstance(v, bool) or not isinstance(v, int) or v < lo:
                ck.error(f"model.estimate_u.{k}", f"must be a whole number >= {lo}")
                v = getattr(u_est, k)
            ints[k] = v
        strength = est.get("prior_strength", u_est.prior_strength)
        if isinstance(strength, bool) or not isinstance(strength, (int, float)) or strength < 0:
            ck.error("model.estimate_u.prior_strength", "must be a number >= 0")
            strength = u_est.prior_strength
        u_est = UEstimation(
            mode, ints["min_records"], ints["sample_pairs"], float(strength), ints["seed"]
        )

    em = model.get("estimate_m", {})
    m_est = MEstimation()
    if not isinstance(em, dict):
        ck.error("model.estimate_m", "must be a table")
    else:
        mode = em.get("mode", "never")
        if mode not in ("auto", "always", "never"):
            ck.error("model.estimate_m.mode", "must be 'auto', 'always' or 'never'")
            mode = "never"
        min_records = em.get("min_records", m_est.min_records)
        max_pairs = em.get("max_pairs", m_est.max_pairs)
        max_records = em.get("max_records", m_est.max_records)
        for k, v in (
            ("min_records", min_records),
            ("max_pairs", max_pairs),
            ("max_records", max_records),
        ):
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                ck.error(f"model.estimate_m.{k}", "must be a whole number >= 0")
        if isinstance(max_records, int) and 0 <= max_records < 1000:
            ck.error("model.estimate_m.max_records", "must be at least 1000 (EM needs data)")
        rw = em.get("rules_weight", m_est.rules_weight)
        if isinstance(rw, bool) or not isinstance(rw, (int, float)) or not 0 <= rw <= 1:
            ck.error("model.estimate_m.rules_weight", "must be a number between 0 and 1")
            rw = m_est.rules_weight
        blocks = em.get("blocking", [])
        parsed_blocks: list[tuple[str, ...]] = []
        if not isinstance(blocks, list):
            ck.error("model.estimate_m.blocking", "must be a list of lists of column names")
            blocks = []
        for i, b in enumerate(blocks):
            if not isinstance(b, list) or not b or not all(isinstance(c, str) for c in b):
                ck.error(
                    f"model.estimate_m.blocking[{i}]", "must be a non-empty list of column names"
                )
                continue
            for c in b:
                ck.column(c, f"model.estimate_m.blocking[{i}]")
            parsed_blocks.append(tuple(b))
        if mode != "never" and not parsed_blocks:
            ck.error("model.estimate_m.blocking", "needs at least one blocking rule when EM is on")
        m_est = MEstimation(
            mode,
            int(min_records) if isinstance(min_records, int) else m_est.min_records,
            int(max_pairs) if isinstance(max_pairs, int) else m_est.max_pairs,
            int(max_records) if isinstance(max_records, int) else m_est.max_records,
            float(rw),
            tuple(parsed_blocks),
        )

    match = data.get("match", {})
    if not isinstance(match, dict):
        ck.error("match", "must be a table")
        match = {}
    needs = ck.strings(match, "needs_one_of", "match")
    for n in needs:
        if n not in comparisons:
            ck.error("match.needs_one_of", f"{n!r} names no comparison")
    vetoes = _parse_vetoes(ck, match.get("vetoes", []), "match.vetoes", comparisons)

    dups = data.get("duplicates", {})
    if not isinstance(dups, dict):
        ck.error("duplicates", "must be a table")
        dups = {}
    strong = ck.strings(dups, "strong_ids", "duplicates")
    dup_vetoes = _parse_vetoes(ck, dups.get("vetoes", []), "duplicates.vetoes", comparisons)
    dup_ignore = ck.strings(dups, "ignore_disagreement", "duplicates")
    clever_ignore = ck.strings(dups, "clever_ignore_disagreement", "duplicates")
    for name in (*dup_ignore, *clever_ignore):
        if name not in comparisons:
            ck.error("duplicates.ignore_disagreement", f"{name!r} names no comparison")
    for s in strong:
        ck.column(s, "duplicates.strong_ids")
    roster = ck.strings(dups, "roster_ids", "duplicates")
    for s in roster:
        ck.column(s, "duplicates.roster_ids")
    shared = ck.strings(dups, "shared_match", "duplicates")
    for s in shared:
        if s not in ("app", "clever"):
            ck.error("duplicates.shared_match", f"{s!r}: must be 'app' or 'clever'")
    if not shared:
        for key, group in (("match.vetoes", vetoes), ("duplicates.vetoes", dup_vetoes)):
            for i, veto in enumerate(group):
                if veto.unless_same_candidate:
                    ck.error(
                        f"{key}[{i}].unless_same_candidate",
                        "has no effect without [duplicates] shared_match (the sides where "
                        "a shared best candidate counts)",
                    )

    unknown = set(data) - {
        "role",
        "description",
        "comparisons",
        "blocking",
        "model",
        "match",
        "duplicates",
    }
    if unknown:
        ck.error("(top level)", f"unknown key(s): {', '.join(sorted(unknown))}")
    if ck.problems:
        raise RulesError(path, ck.problems)
    return Rules(
        role=role,
        path=path,
        comparisons=tuple(comparisons.values()),
        blocking=tuple(blocking),
        prior=prior,
        threshold=threshold,
        duplicate_threshold=duplicate_threshold,
        duplicate_rate=duplicate_rate,
        tie_margin=float(tie_margin),
        needs_one_of=needs,
        strong_ids=strong,
        vetoes=vetoes,
        duplicate_vetoes=dup_vetoes,
        duplicate_ignore_disagreement=dup_ignore,
        clever_duplicate_ignore_disagreement=clever_ignore,
        roster_ids=roster,
        shared_match=shared,
        estimate_u=u_est,
        estimate_m=m_est,
        description=str(data.get("description", "")),
    )


def load_rules(role: str, path: str | Path | None = None) -> Rules:
    """Load ``path`` or the bundled ``rules/<role>.toml``; raise ``RulesError`` when invalid."""
    if path is None:
        resource = resources.files("matchengine._rules").joinpath(f"{role}.toml")
        if not resource.is_file():
            raise RulesError(f"rules/{role}.toml", [f"no bundled rules for role {role!r}"])
        text = resource.read_text("utf-8")
        shown = f"rules/{role}.toml"
    else:
        p = Path(path)
        shown = str(p)
        try:
            text = p.read_text("utf-8")
        except OSError as exc:
            raise RulesError(shown, [f"cannot read the rules file ({exc.strerror})"]) from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(shown, [f"not valid TOML: {exc}"]) from exc
    rules = parse_rules(data, shown)
    if rules.role != role:
        raise RulesError(
            shown, [f"role: the file is for {rules.role!r}, but the run is for {role!r}"]
        )
    return rules
