"""Scored pairs -> exactly one Matchmaker status per record.

Conservative by design: a pair becomes a ``match`` only when its probability clears the
threshold, some non-name evidence agrees, no veto applies, and neither record has an
equally good rival.  Ties and within-side duplicates become the duplicate statuses
(Matchmaker: "duplicate records will not be matched"), never a guess.

Reviewed decisions (``forced``) come first and always win: a decided pair is matched
whatever its score, a decided "no match" app record is matched to nothing, and decided
records take no part in the competition for the others.  Within-side duplicate groups
are found as usual; undecided members of a group stay duplicates.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

import polars as pl

from matchengine import matchmaker as mm
from matchengine.link import APP, CLEVER, ScoredPairs, level_labels, level_weights
from matchengine.perf import without_gc
from matchengine.rules import Rules, Veto

_EPS = 1e-9


def logit(p: float) -> float:
    return math.log2(p / (1.0 - p))


def probability(log_odds: float) -> float:
    if log_odds >= 0:
        return 1.0 / (1.0 + 2.0 ** (-log_odds))
    z = 2.0**log_odds
    return z / (1.0 + z)


@dataclass(slots=True)
class Outcome:
    """The decision for one record (app or Clever)."""

    status: str
    partner: int | None = None  # matched row on the other side
    candidate: int | None = None  # best other-side row, for no-match and duplicate rows
    duplicate_of: Sequence[int] = ()  # other rows of the same side
    probability: float | None = None
    weight: float | None = None  # log2 Bayes factor including the prior
    evidence: str = ""
    decided: bool = False  # set by a reviewed decision, not by the scores


@dataclass
class Resolution:
    app: list[Outcome]
    clever: list[Outcome]
    prior: float
    pairs_scored: int
    candidates: int

    def counts(self) -> dict[str, int]:
        """Rows per status (a matched pair is one row)."""
        status = attrgetter("status")
        out = {s: 0 for s in mm.STATUSES}
        out.update(Counter(map(status, self.app)))
        clever = Counter(map(status, self.clever))
        clever.pop(mm.MATCH, None)
        out.update(clever)
        return out


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, x: int) -> int:
        root = x
        while self.parent.get(root, root) != root:
            root = self.parent[root]
        while self.parent.get(x, x) != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            lo, hi = min(ra, rb), max(ra, rb)
            self.parent[hi] = lo
            self.parent.setdefault(lo, lo)

    def groups(self) -> dict[int, list[int]]:
        out: dict[int, list[int]] = defaultdict(list)
        for x in list(self.parent):
            out[self.find(x)].append(x)
        return {k: sorted(v) for k, v in out.items() if len(v) > 1}


def _level_index(rules: Rules) -> dict[str, dict[str, int]]:
    """comparison -> level label -> gamma value."""
    return {
        c.name: {lv.label: len(c.levels) - 1 - i for i, lv in enumerate(c.levels)}
        for c in rules.comparisons
    }


def _condition(ref: tuple[str, str], gamma_index: dict[str, dict[str, int]]) -> pl.Expr:
    name, label = ref
    col = pl.col(f"gamma_{name}")
    if label:
        return col == gamma_index[name][label]
    return col > 0


def _any_of(refs: Sequence[tuple[str, str]], gi: dict[str, dict[str, int]], empty: bool) -> pl.Expr:
    return pl.any_horizontal([_condition(r, gi) for r in refs]) if refs else pl.lit(empty)


def _trigger(veto: Veto, gi: dict[str, dict[str, int]]) -> pl.Expr:
    """The veto's trigger holds: one of ``when``, and one of ``and_any`` (if given)."""
    return _any_of(veto.when, gi, False) & _any_of(veto.and_any, gi, True)


def _fires(veto: Veto, gi: dict[str, dict[str, int]]) -> pl.Expr:
    """The veto holds: its trigger, and none of ``unless_any``."""
    return _trigger(veto, gi) & ~_any_of(veto.unless_any, gi, False)


def _eligibility(rules: Rules, vetoes: Sequence[Veto]) -> tuple[pl.Expr, pl.Expr]:
    """(needs-one-of holds, vetoed) as expressions over gamma columns."""
    gi = _level_index(rules)
    needs: pl.Expr = pl.lit(True)
    if rules.needs_one_of:
        needs = pl.any_horizontal([pl.col(f"gamma_{n}") > 0 for n in rules.needs_one_of])
    vetoed: pl.Expr = pl.lit(False)
    for veto in vetoes:
        vetoed = vetoed | _fires(veto, gi)
    return needs, vetoed


def _dup_weight(rules: Rules, side: str) -> pl.Expr:
    """The weight of a within-side pair, not penalised for disagreeing on reissued fields.

    Two records of one person on one side often differ in email, school or address; in
    Clever a record loaded twice also gets new ids (a new SIS id mints a new Clever id).
    Disagreement on those fields is no evidence against them being one person, so it is
    not counted; agreement still counts.  In the app, different ids do count: at a million
    students, same-name same-birthday strangers would otherwise be merged.
    """
    weights = level_weights(rules)
    expr = pl.col("weight")
    ignored = rules.duplicate_ignore_disagreement
    if side == CLEVER:
        ignored = (*ignored, *rules.clever_duplicate_ignore_disagreement)
    for name in ignored:
        expr = expr - pl.when(pl.col(f"gamma_{name}") == 0).then(weights[name][0]).otherwise(0.0)
    return expr


def _conflict(rules: Rules) -> pl.Expr:
    """A name conflict: any veto's trigger holds (whatever its exceptions say)."""
    gi = _level_index(rules)
    triggers = [_trigger(v, gi) for v in (*rules.vetoes, *rules.duplicate_vetoes)]
    return pl.any_horizontal(triggers) if triggers else pl.lit(False)


def _evidence_expr(rules: Rules) -> pl.Expr:
    """Every pair's evidence: ``name=label; ...`` in rules order, null levels left out."""
    labels = level_labels(rules)
    parts = []
    for c in rules.comparisons:
        mapping = {g: f"{c.name}={label}" for g, label in enumerate(labels[c.name])}
        parts.append(
            pl.col(f"gamma_{c.name}").replace_strict(mapping, default=None, return_dtype=pl.String)
        )
    return pl.concat_str(parts, separator="; ", ignore_nulls=True)


def _reason_expr(rules: Rules) -> pl.Expr:
    """Every pair's reason not to match: the first veto that fires, else "only names
    agree" when no needs_one_of comparison agrees, else null."""
    gi = _level_index(rules)
    expr: pl.Expr | None = None
    chain: Any = pl
    for veto in rules.vetoes:
        chain = chain.when(_fires(veto, gi)).then(pl.lit(veto.reason))
        expr = chain
    if rules.needs_one_of:
        needs = pl.any_horizontal([pl.col(f"gamma_{n}") > 0 for n in rules.needs_one_of])
        chain = chain.when(~needs).then(pl.lit("only names agree"))
        expr = chain
    if expr is None:
        return pl.lit(None, dtype=pl.String)
    return chain.otherwise(pl.lit(None, dtype=pl.String))


StrongIds = Mapping[str, Sequence[str | None] | pl.Series]


def strong_ids(frame: pl.DataFrame, rules: Rules) -> dict[str, pl.Series]:
    """The rules' strong identifier and roster id columns of a normalised side (polars
    series: as Python lists they held six million strings at a million students)."""
    return {c: frame[c] for c in (*rules.strong_ids, *rules.roster_ids) if c in frame.columns}


def _roster_edges(rules: Rules, app: StrongIds, clever: StrongIds) -> list[tuple[int, int]]:
    """Edges between app rows sharing a roster id that a Clever record also holds."""
    on_roster: dict[str, pl.Series] = {}
    for c in rules.roster_ids:
        if c not in app or c not in clever:
            continue
        values = pl.Series(c, app[c], dtype=pl.String)
        held = pl.Series(c, clever[c], dtype=pl.String).drop_nulls().unique()
        on_roster[c] = pl.select(
            pl.when(values.is_in(held.implode())).then(values).otherwise(None)
        ).to_series()
    return strong_id_groups(on_roster)


def strong_id_groups(values: StrongIds) -> list[tuple[int, int]]:
    """Edges between rows that share a value of any strong identifier column: each row to
    the first row holding the same value (vectorised; ids are nearly all distinct)."""
    edges: list[tuple[int, int]] = []
    for column in values.values():
        frame = pl.DataFrame({"v": pl.Series("v", column, dtype=pl.String)}).with_row_index("i")
        shared = (
            frame.drop_nulls("v")
            .with_columns(pl.col("i").min().over("v").alias("first"))
            .filter(pl.col("i") != pl.col("first"))
            .sort("i")
        )
        edges.extend(zip(shared["first"].to_list(), shared["i"].to_list(), strict=True))
    return edges


def _first_row_of(ranked: pl.DataFrame, column: str) -> dict[int, int]:
    """Record -> the row number (``k``) of its first row in ``ranked`` (its best pair)."""
    first = ranked.group_by(column).agg(pl.col("k").first())
    return dict(zip(first[column].to_list(), first["k"].to_list(), strict=True))


@without_gc  # millions of small acyclic objects: collections took a third of the stage
def resolve(
    pairs: ScoredPairs,
    rules: Rules,
    n_app: int,
    n_clever: int,
    app_strong: StrongIds,
    clever_strong: StrongIds,
    *,
    threshold: float | None = None,
    forced: Mapping[int, int | None] | None = None,
) -> Resolution:
    """Decide every record's status from the scored pairs.

    ``forced`` maps app rows to their decided Clever row (``None``: no match); see
    ``decisions``.  Raises ``ValueError`` if two app rows are forced to one Clever row.
    """
    forced = dict(forced or {})
    forced_clever = {c: a for a, c in forced.items() if c is not None}
    if len(forced_clever) != sum(c is not None for c in forced.values()):
        raise ValueError("two app records are forced to match one Clever record")
    threshold = rules.threshold if threshold is None else threshold
    prior = rules.prior if rules.prior is not None else 1.0 / max(n_app, n_clever, 2)
    cross_shift = logit(prior)
    needs, vetoed = _eligibility(rules, rules.vetoes)
    _, dup_vetoed = _eligibility(rules, rules.duplicate_vetoes)

    df = pairs.frame().with_columns(
        eligible=needs & ~vetoed, dup_eligible=needs & ~vetoed & ~dup_vetoed
    )

    # --- within-side duplicates -----------------------------------------------------
    # Two records of one side are one person when their linkage clears the duplicate
    # threshold, or when they share a strong identifier *and* were scored without a
    # name conflict (dense SIS ids plus a typo make strangers share an id), or (app
    # records) when they share a roster id that a Clever record holds too: an address
    # the district issued to one student, which no typo makes and no sibling shares.
    conflict = _conflict(rules)
    groups: dict[str, dict[int, list[int]]] = {}
    for side, n, strong in ((APP, n_app, app_strong), (CLEVER, n_clever, clever_strong)):
        dup_shift = logit(min(0.5, rules.duplicate_rate / max(n, 2)))
        dup_cut = logit(rules.duplicate_threshold) - dup_shift
        same_side = df.filter((pl.col("side_l") == side) & (pl.col("side_r") == side))
        linked = same_side.filter(pl.col("dup_eligible") & (_dup_weight(rules, side) >= dup_cut))
        uf = _UnionFind()
        for a, b in zip(linked["id_l"].to_list(), linked["id_r"].to_list(), strict=True):
            uf.union(a, b)
        agreeable = same_side.filter(~conflict)
        scored_ok = {
            (min(a, b), max(a, b))
            for a, b in zip(agreeable["id_l"].to_list(), agreeable["id_r"].to_list(), strict=True)
        }
        for a, b in strong_id_groups({c: strong[c] for c in rules.strong_ids if c in strong}):
            if (min(a, b), max(a, b)) in scored_ok:
                uf.union(a, b)
        if side == APP:
            for a, b in _roster_edges(rules, app_strong, clever_strong):
                uf.union(a, b)
        groups[side] = {m: g for g in uf.groups().values() for m in g}

    cross = df.filter((pl.col("side_l") == APP) & (pl.col("side_r") == CLEVER)).sort(
        ["weight", "id_l", "id_r"], descending=[True, False, False]
    )
    a_ids = cross["id_l"].to_list()
    c_ids = cross["id_r"].to_list()
    weights = cross["weight"].to_list()

    # Best-scoring partner of each record (any scored pair): rows are sorted best first.
    ranked = cross.select("id_l", "id_r", "weight", "eligible").with_row_index("k")
    best_for_app = _first_row_of(ranked, "id_l")
    best_for_clever = _first_row_of(ranked, "id_r")

    cut = logit(threshold) - cross_shift
    out_app = [*groups[APP], *forced]
    out_clever = [*groups[CLEVER], *forced_clever]
    contest = ranked.filter(
        pl.col("eligible")
        & (pl.col("weight") >= cut - _EPS)
        & ~pl.col("id_l").is_in(out_app)
        & ~pl.col("id_r").is_in(out_clever)
    ).select("k", alone=(pl.len().over("id_l") == 1) & (pl.len().over("id_r") == 1))
    cand: list[int] = contest.get_column("k").to_list()
    # A candidate pair whose two records are in no other candidate pair matches whatever
    # else happens (no rival can take either record): most pairs.  The rest are decided
    # one by one, best first.
    alone: list[int] = contest.filter("alone").get_column("k").to_list()
    rivalled: list[int] = contest.filter(~pl.col("alone")).get_column("k").to_list()
    by_app: dict[int, list[int]] = defaultdict(list)
    by_clever: dict[int, list[int]] = defaultdict(list)
    for k in rivalled:
        by_app[a_ids[k]].append(k)
        by_clever[c_ids[k]].append(k)

    # Filled as records are decided; the rest are no-match (or duplicate) rows.
    app_out: list[Outcome | None] = [None] * n_app
    clever_out: list[Outcome | None] = [None] * n_clever
    done_app: set[int] = set()
    done_clever: set[int] = set()
    tie_app: dict[int, list[int]] = {}
    tie_clever: dict[int, list[int]] = {}
    margin = rules.tie_margin + 1e-6
    tie_note: dict[tuple[str, int], str] = {}

    # Reviewed decisions first: they always win and take their records out of the contest.
    scored_forced = (
        {
            (a, c): k
            for k, (a, c) in enumerate(zip(a_ids, c_ids, strict=True))
            if forced_clever.get(c) == a
        }
        if forced_clever
        else {}
    )
    # Evidence and veto reasons of every pair, by row (the pairs kept are the plausible
    # ones, nearly all shown by some outcome: picking those out cost more than it saved).
    texts = cross.select(
        _evidence_expr(rules).alias("evidence"), _reason_expr(rules).alias("reason")
    )
    evidence_list: list[str] = texts["evidence"].to_list()
    reason_list: list[str | None] = texts["reason"].to_list()

    for a, c in forced.items():
        done_app.add(a)
        if c is None:
            app_out[a] = Outcome(mm.APP_NO_MATCH, decided=True)
            continue
        done_clever.add(c)
        k_pair = scored_forced.get((a, c))
        if k_pair is None:
            ev = "decision: match; the pair was not scored (no blocking rule pairs them)"
            app_out[a] = Outcome(mm.MATCH, partner=c, evidence=ev, decided=True)
            clever_out[c] = Outcome(mm.MATCH, partner=a, evidence=ev, decided=True)
            continue
        w = weights[k_pair] + cross_shift
        ev = "; ".join(x for x in (evidence_list[k_pair], "decision: match") if x)
        for outs, own, other in ((app_out, a, c), (clever_out, c, a)):
            outs[own] = Outcome(
                mm.MATCH,
                partner=other,
                probability=probability(w),
                weight=w,
                evidence=ev,
                decided=True,
            )

    def tie(
        side: str,
        members: list[int],
        ties: dict[int, list[int]],
        done: set[int],
        contested: tuple[str, int],
    ) -> None:
        other = "Clever" if side == APP else "app"
        own = "app" if side == APP else "Clever"
        for m in members:
            ties[m] = members
            done.add(m)
            tie_note[(side, m)] = (
                f"tied with {len(members) - 1} other {own} record(s) for one {other} record"
            )
        tie_note.setdefault(contested, f"{len(members)} {own} records tie for this record")

    match = mm.MATCH
    for k in alone:
        a, c, w = a_ids[k], c_ids[k], weights[k] + cross_shift
        prob, ev = probability(w), evidence_list[k]
        # Positional (status, partner, candidate, duplicate_of, probability, weight,
        # evidence): keywords cost a third more, at a million pairs 0.7 s.
        app_out[a] = Outcome(match, c, None, (), prob, w, ev)
        clever_out[c] = Outcome(match, a, None, (), prob, w, ev)

    for k in rivalled:
        a, c, w = a_ids[k], c_ids[k], weights[k]
        if a in done_app or c in done_clever:
            continue
        rivals_c = [
            j
            for j in by_app[a]
            if j != k and c_ids[j] not in done_clever and weights[j] >= w - margin
        ]
        rivals_a = [
            j
            for j in by_clever[c]
            if j != k and a_ids[j] not in done_app and weights[j] >= w - margin
        ]
        if not rivals_a and not rivals_c:
            done_app.add(a)
            done_clever.add(c)
            prob = probability(w + cross_shift)
            ev = evidence_list[k]
            app_out[a] = Outcome(
                mm.MATCH, partner=c, probability=prob, weight=w + cross_shift, evidence=ev
            )
            clever_out[c] = Outcome(
                mm.MATCH, partner=a, probability=prob, weight=w + cross_shift, evidence=ev
            )
            continue
        # Rivals within the margin: the tied records are one person listed twice on their
        # side (a duplicate group); the record they compete for stays unmatched.
        if rivals_a:
            tie(APP, sorted({a, *(a_ids[j] for j in rivals_a)}), tie_app, done_app, (CLEVER, c))
            done_clever.add(c)
        if rivals_c:
            tie(
                CLEVER,
                sorted({c, *(c_ids[j] for j in rivals_c)}),
                tie_clever,
                done_clever,
                (APP, a),
            )
            done_app.add(a)

    def finish(
        side: str,
        outs: list[Outcome],
        others: list[Outcome],
        best: dict[int, int],
        dup_groups: dict[int, list[int]],
        ties: dict[int, list[int]],
    ) -> None:
        dup_status = mm.APP_DUPLICATE if side == APP else mm.CLEVER_DUPLICATE
        for i, o in enumerate(outs):
            if o.status == mm.MATCH:
                continue
            group = None if o.decided else dup_groups.get(i) or ties.get(i)
            if group:
                o.status = dup_status
                o.duplicate_of = [g for g in group if g != i]
            k = best.get(i)
            notes = []
            if k is not None:
                o.candidate = c_ids[k] if side == APP else a_ids[k]
                o.weight = weights[k] + cross_shift
                o.probability = probability(o.weight)
                o.evidence = evidence_list[k]
                reason = reason_list[k]
                rival = others[o.candidate]
                if o.decided:
                    pass  # the decision is the reason (noted below)
                elif reason:
                    notes.append(f"not matched: {reason}")
                elif rival.status == mm.MATCH and rival.decided:
                    notes.append("the candidate is matched by a decision")
                elif rival.status == mm.MATCH:
                    notes.append("the candidate is matched to a better partner")
                elif rival.decided:
                    notes.append("the candidate is decided no match")
            if o.decided:
                notes.append("decision: no match")
            elif i in dup_groups:
                notes.append(
                    "duplicate within the " + ("app" if side == APP else "Clever") + " records"
                )
            note = tie_note.get((side, i))
            if note:
                notes.append(note)
            if notes:
                o.evidence = "; ".join([x for x in (o.evidence, *notes) if x])

    app_final = [o or Outcome(mm.APP_NO_MATCH) for o in app_out]
    clever_final = [o or Outcome(mm.CLEVER_NO_MATCH) for o in clever_out]
    finish(APP, app_final, clever_final, best_for_app, groups[APP], tie_app)
    finish(CLEVER, clever_final, app_final, best_for_clever, groups[CLEVER], tie_clever)
    return Resolution(app_final, clever_final, prior, pairs.count, len(cand))


__all__ = ["Outcome", "Resolution", "level_weights", "probability", "resolve"]
