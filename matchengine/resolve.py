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
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
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


# The columns of a side's outcome table: one row per record, in record order.
OUTCOME_SCHEMA: dict[str, Any] = {
    "status": pl.String,
    "partner": pl.Int64,
    "candidate": pl.Int64,
    "duplicate_of": pl.List(pl.Int64),
    "probability": pl.Float64,
    "weight": pl.Float64,
    "evidence": pl.String,
    "decided": pl.Boolean,
}


@dataclass(eq=False)
class Resolution:
    """Every record's outcome, held as one table per side (``OUTCOME_SCHEMA``): at a
    million students, two million ``Outcome`` objects took seconds to build, read and
    free.  ``app`` and ``clever`` give them as objects, for small runs and tests."""

    app_table: pl.DataFrame
    clever_table: pl.DataFrame
    prior: float
    pairs_scored: int
    candidates: int

    @property
    def app(self) -> list[Outcome]:
        return _outcomes(self.app_table)

    @property
    def clever(self) -> list[Outcome]:
        return _outcomes(self.clever_table)

    def set_evidence(self, side: str, evidence: Sequence[str]) -> None:
        """Replace the evidence of every ``side`` row (org runs add their own notes)."""
        column = pl.Series("evidence", evidence, dtype=pl.String)
        if side == APP:
            self.app_table = self.app_table.with_columns(column)
        else:
            self.clever_table = self.clever_table.with_columns(column)

    def counts(self) -> dict[str, int]:
        """Rows per status (a matched pair is one row)."""
        out = {s: 0 for s in mm.STATUSES}
        for table, skip in ((self.app_table, None), (self.clever_table, mm.MATCH)):
            counted = table["status"].value_counts()
            for status, n in counted.iter_rows():
                if status != skip:
                    out[status] = n
        return out

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Resolution):
            return NotImplemented
        return (
            self.app_table.equals(other.app_table)
            and self.clever_table.equals(other.clever_table)
            and (self.prior, self.pairs_scored, self.candidates)
            == (other.prior, other.pairs_scored, other.candidates)
        )


def _outcomes(table: pl.DataFrame) -> list[Outcome]:
    return [
        Outcome(status, partner, candidate, list(dups) if dups else (), prob, weight, ev, decided)
        for status, partner, candidate, dups, prob, weight, ev, decided in table.select(
            list(OUTCOME_SCHEMA)
        ).iter_rows()
    ]


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


def _fires(veto: Veto, gi: dict[str, dict[str, int]], *, within: bool = False) -> pl.Expr:
    """The veto holds: its trigger, and none of ``unless_any`` (nor, for two records of one
    side (``within``) and a veto with ``unless_same_candidate``, the pair's
    ``same_candidate``: see ``_with_same_candidate``)."""
    fires = _trigger(veto, gi) & ~_any_of(veto.unless_any, gi, False)
    if within and veto.unless_same_candidate:
        fires = fires & ~pl.col("same_candidate")
    return fires


def _eligibility(
    rules: Rules, vetoes: Sequence[Veto], *, within: bool = False
) -> tuple[pl.Expr, pl.Expr]:
    """(needs-one-of holds, vetoed) as expressions over gamma columns; ``within``: for
    pairs of one side, which carry ``same_candidate``."""
    gi = _level_index(rules)
    needs: pl.Expr = pl.lit(True)
    if rules.needs_one_of:
        needs = pl.any_horizontal([pl.col(f"gamma_{n}") > 0 for n in rules.needs_one_of])
    vetoed: pl.Expr = pl.lit(False)
    for veto in vetoes:
        vetoed = vetoed | _fires(veto, gi, within=within)
    return needs, vetoed


def _best_pairs(pairs: pl.DataFrame, own: str) -> pl.DataFrame:
    """Each record's best pair: its first row in ``pairs`` (numbered ``k``, best first),
    the record being the one in column ``own``."""
    return pairs.filter(pl.col("k") == pl.col("k").min().over(own))


def _with_same_candidate(
    same_side: pl.DataFrame, plausible: pl.DataFrame, side: str, counts: bool
) -> pl.DataFrame:
    """``same_side`` (pairs within ``side``) with ``same_candidate``: both records' best
    plausible pair (eligible, over the threshold) is with one and the same record of the
    other side.  Two accounts that each fit the one student the roster lists are that
    student twice; twins both on the roster each fit their own record best.  Unless the
    shared candidate ``counts`` on this side (the rules' ``shared_match``): then it is
    false throughout."""
    out = same_side.with_columns(pl.col("id_l").cast(pl.Int64), pl.col("id_r").cast(pl.Int64))
    if not counts:
        return out.with_columns(same_candidate=pl.lit(False))
    own, other = ("id_l", "id_r") if side == APP else ("id_r", "id_l")
    best = _best_pairs(plausible, own).select(
        pl.col(own).alias("__row"), pl.col(other).alias("__best")
    )
    for end in ("l", "r"):
        out = out.join(
            best.rename({"__row": f"id_{end}", "__best": f"__best_{end}"}),
            on=f"id_{end}",
            how="left",
        )
    return out.with_columns(
        same_candidate=(pl.col("__best_l") == pl.col("__best_r")).fill_null(False)
    ).drop("__best_l", "__best_r")


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


def _shared_match_edges(
    plausible: pl.DataFrame, side: str, cut: float, refused: pl.DataFrame | None = None
) -> list[tuple[int, int]]:
    """Edges between records of ``side`` whose best plausible pair is with one and the same
    record of the other side and clears ``cut``: each would be matched to it even at the
    prior of a record listed twice, so they are that record's person twice (each record to
    the first of its group).  Pairs in ``refused`` (``id_l``, ``id_r``: a veto refuses
    them as one person) are left out."""
    own, other = ("id_l", "id_r") if side == APP else ("id_r", "id_l")
    best = _best_pairs(plausible, own).filter(pl.col("weight") >= cut - _EPS)
    shared = (
        best.select(pl.col(own).cast(pl.Int64).alias("row"), pl.col(other).alias("to"))
        .with_columns(pl.col("row").min().over("to").alias("first"))
        .filter(pl.col("row") != pl.col("first"))
        .sort("row")
    )
    if refused is not None and refused.height:
        ends = [pl.col("id_l").cast(pl.Int64), pl.col("id_r").cast(pl.Int64)]
        pairs = refused.select(
            pl.min_horizontal(ends).alias("first"), pl.max_horizontal(ends).alias("row")
        )
        shared = shared.join(pairs, on=["first", "row"], how="anti")
    return list(zip(shared["first"].to_list(), shared["row"].to_list(), strict=True))


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


@without_gc  # the rivalled pairs and groups are many small acyclic objects
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
    # Two records of one side answer to the match vetoes too, and to the duplicate vetoes.
    _, within_vetoed = _eligibility(rules, (*rules.vetoes, *rules.duplicate_vetoes), within=True)
    df = pairs.frame().with_columns(eligible=needs & ~vetoed)

    cross = df.filter((pl.col("side_l") == APP) & (pl.col("side_r") == CLEVER)).sort(
        ["weight", "id_l", "id_r"], descending=[True, False, False]
    )
    # Every pair, best first, with its evidence and its reason not to match (the pairs
    # kept are the plausible ones, nearly all shown by some row).
    ranked = cross.select(
        pl.col("id_l").cast(pl.Int64),
        pl.col("id_r").cast(pl.Int64),
        "weight",
        "eligible",
        _evidence_expr(rules).alias("evidence"),
        _reason_expr(rules).alias("reason"),
    ).with_row_index("k")
    del cross
    cut = logit(threshold) - cross_shift
    plausible = ranked.filter(pl.col("eligible") & (pl.col("weight") >= cut - _EPS))

    # --- within-side duplicates -----------------------------------------------------
    # Two records of one side are one person when their linkage clears the duplicate
    # threshold, or when they share a strong identifier *and* were scored without a
    # name conflict (dense SIS ids plus a typo make strangers share an id), or (app
    # records) when they share a roster id that a Clever record holds too: an address
    # the district issued to one student, which no typo makes and no sibling shares.
    # On the rules' ``shared_match`` sides, two records are also one person when each
    # would be matched to one and the same record of the other side even at the
    # duplicate prior (unless a veto refuses the two as a pair): Olivia Westby-Greenford
    # and Olivia Westby with no birthdate, never paired with each other, both fit the one
    # listed Olivia.
    conflict = _conflict(rules)
    groups: dict[str, dict[int, list[int]]] = {}
    for side, n, strong in ((APP, n_app, app_strong), (CLEVER, n_clever, clever_strong)):
        dup_shift = logit(min(0.5, rules.duplicate_rate / max(n, 2)))
        dup_cut = logit(rules.duplicate_threshold) - dup_shift
        same_side = _with_same_candidate(
            df.filter((pl.col("side_l") == side) & (pl.col("side_r") == side)),
            plausible,
            side,
            side in rules.shared_match,
        ).with_columns(within_vetoed.alias("__vetoed"))
        linked = same_side.filter(
            needs & ~pl.col("__vetoed") & (_dup_weight(rules, side) >= dup_cut)
        )
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
        if side in rules.shared_match:
            refused = same_side.filter("__vetoed").select("id_l", "id_r")
            for a, b in _shared_match_edges(plausible, side, dup_cut, refused):
                uf.union(a, b)
        groups[side] = {m: g for g in uf.groups().values() for m in g}
    del df

    out_app = [*groups[APP], *forced]
    out_clever = [*groups[CLEVER], *forced_clever]
    contest = plausible.filter(
        ~pl.col("id_l").is_in(out_app) & ~pl.col("id_r").is_in(out_clever)
    ).with_columns(alone=(pl.len().over("id_l") == 1) & (pl.len().over("id_r") == 1))
    # A candidate pair whose two records are in no other candidate pair matches whatever
    # else happens (no rival can take either record): most pairs, decided as columns.
    # The rest are decided one by one, best first, as Python objects.
    alone = contest.filter("alone").select("id_l", "id_r", "weight", "evidence")
    rivalled = contest.filter(~pl.col("alone"))
    n_candidates = contest.height
    del contest
    riv_a: list[int] = rivalled["id_l"].to_list()
    riv_c: list[int] = rivalled["id_r"].to_list()
    riv_w: list[float] = rivalled["weight"].to_list()
    riv_ev: list[str] = rivalled["evidence"].to_list()
    by_app: dict[int, list[int]] = defaultdict(list)  # positions in the rivalled pairs
    by_clever: dict[int, list[int]] = defaultdict(list)
    for j, (a, c) in enumerate(zip(riv_a, riv_c, strict=True)):
        by_app[a].append(j)
        by_clever[c].append(j)

    # Records decided one by one (reviewed decisions, rivalled pairs); the others are
    # alone-matched (above) or no-match and duplicate rows (``_unmatched``).
    single_app: dict[int, Outcome] = {}
    single_clever: dict[int, Outcome] = {}
    done_app: set[int] = set()
    done_clever: set[int] = set()
    tie_app: dict[int, list[int]] = {}
    tie_clever: dict[int, list[int]] = {}
    margin = rules.tie_margin + 1e-6
    tie_note: dict[tuple[str, int], str] = {}

    # Reviewed decisions first: they always win and take their records out of the contest.
    scored_forced: dict[tuple[int, int], tuple[float, str]] = {}
    if forced_clever:
        wanted = pl.DataFrame(
            {"id_l": list(forced_clever.values()), "id_r": list(forced_clever)},
            schema={"id_l": pl.Int64, "id_r": pl.Int64},
        )
        hits = ranked.join(wanted, on=["id_l", "id_r"], how="semi")
        for a, c, w, ev in hits.select("id_l", "id_r", "weight", "evidence").iter_rows():
            scored_forced[(a, c)] = (w, ev)
    for a, decided_c in forced.items():
        done_app.add(a)
        if decided_c is None:
            single_app[a] = Outcome(mm.APP_NO_MATCH, decided=True)
            continue
        c = decided_c
        done_clever.add(c)
        scored = scored_forced.get((a, c))
        if scored is None:
            ev = "decision: match; the pair was not scored (no blocking rule pairs them)"
            single_app[a] = Outcome(mm.MATCH, partner=c, evidence=ev, decided=True)
            single_clever[c] = Outcome(mm.MATCH, partner=a, evidence=ev, decided=True)
            continue
        w = scored[0] + cross_shift
        ev = "; ".join(x for x in (scored[1], "decision: match") if x)
        for outs, own, other in ((single_app, a, c), (single_clever, c, a)):
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

    for k, (a, c, w) in enumerate(zip(riv_a, riv_c, riv_w, strict=True)):
        if a in done_app or c in done_clever:
            continue
        rivals_c = [
            j
            for j in by_app[a]
            if j != k and riv_c[j] not in done_clever and riv_w[j] >= w - margin
        ]
        rivals_a = [
            j
            for j in by_clever[c]
            if j != k and riv_a[j] not in done_app and riv_w[j] >= w - margin
        ]
        if not rivals_a and not rivals_c:
            done_app.add(a)
            done_clever.add(c)
            prob = probability(w + cross_shift)
            ev = riv_ev[k]
            single_app[a] = Outcome(
                mm.MATCH, partner=c, probability=prob, weight=w + cross_shift, evidence=ev
            )
            single_clever[c] = Outcome(
                mm.MATCH, partner=a, probability=prob, weight=w + cross_shift, evidence=ev
            )
            continue
        # Rivals within the margin: the tied records are one person listed twice on their
        # side (a duplicate group); the record they compete for stays unmatched.
        if rivals_a:
            tie(APP, sorted({a, *(riv_a[j] for j in rivals_a)}), tie_app, done_app, (CLEVER, c))
            done_clever.add(c)
        if rivals_c:
            tie(
                CLEVER,
                sorted({c, *(riv_c[j] for j in rivals_c)}),
                tie_clever,
                done_clever,
                (APP, a),
            )
            done_app.add(a)

    app = _Side(APP, n_app, "id_l", "id_r", single_app, groups[APP], tie_app)
    clever = _Side(CLEVER, n_clever, "id_r", "id_l", single_clever, groups[CLEVER], tie_clever)
    for part in (app, clever):
        part.matched = pl.concat(
            [alone.get_column(part.own), part.single_rows(matched=True)], how="vertical"
        )
    tables = [
        pl.concat(
            [
                _alone_matches(alone, own, cross_shift),
                own.single_matches(),
                _unmatched(own, other, ranked, cross_shift, tie_note),
            ],
            how="vertical",
        ).sort("row")
        for own, other in ((app, clever), (clever, app))
    ]
    for part, table in zip((app, clever), tables, strict=True):
        # Exactly one row per record.
        assert table.height == part.n
        assert (table["row"] == pl.int_range(part.n, eager=True)).all()
    return Resolution(
        tables[0].drop("row"), tables[1].drop("row"), prior, pairs.count, n_candidates
    )


@dataclass
class _Side:
    """One side's share of the resolution while its table is put together."""

    name: str  # APP or CLEVER
    n: int
    own: str  # the pair column holding this side's rows ("id_l" for the app)
    other: str
    single: dict[int, Outcome]  # records decided one by one (decisions, rivalled pairs)
    groups: dict[int, list[int]]  # within-side duplicate groups, by member
    ties: dict[int, list[int]]  # records tied for one record of the other side
    matched: pl.Series = field(default_factory=lambda: pl.Series(dtype=pl.Int64))

    def single_rows(self, *, matched: bool | None = None, decided: bool | None = None) -> pl.Series:
        """Rows decided one by one, optionally only those matched (or not) and only those
        set by a reviewed decision (or not)."""
        return pl.Series(
            [
                r
                for r, o in self.single.items()
                if (matched is None or (o.status == mm.MATCH) == matched)
                and (decided is None or o.decided == decided)
            ],
            dtype=pl.Int64,
        )

    def single_matches(self) -> pl.DataFrame:
        matches = [(r, o) for r, o in self.single.items() if o.status == mm.MATCH]
        return pl.DataFrame(
            [
                (r, o.status, o.partner, None, None, o.probability, o.weight, o.evidence, o.decided)
                for r, o in matches
            ],
            schema=_ROW_SCHEMA,
            orient="row",
        )


# A side's table: one row per record, in record order (``row``, dropped at the end).
_ROW_SCHEMA: dict[str, Any] = {"row": pl.Int64, **OUTCOME_SCHEMA}


def _alone_matches(alone: pl.DataFrame, side: _Side, shift: float) -> pl.DataFrame:
    weight = pl.col("weight") + shift
    return alone.select(
        pl.col(side.own).alias("row"),
        pl.lit(mm.MATCH).alias("status"),
        pl.col(side.other).alias("partner"),
        pl.lit(None, dtype=pl.Int64).alias("candidate"),
        pl.lit(None, dtype=pl.List(pl.Int64)).alias("duplicate_of"),
        _probability_expr(weight).alias("probability"),
        weight.alias("weight"),
        "evidence",
        pl.lit(False).alias("decided"),
    )


def _probability_expr(log_odds: pl.Expr) -> pl.Expr:
    """``probability`` as an expression (the same floats: polars' ``pow`` is libm's)."""
    return (
        pl.when(log_odds >= 0)
        .then(1.0 / (1.0 + pl.lit(2.0).pow(-log_odds)))
        .otherwise(pl.lit(2.0).pow(log_odds) / (1.0 + pl.lit(2.0).pow(log_odds)))
    )


def _unmatched(
    side: _Side,
    other: _Side,
    ranked: pl.DataFrame,
    shift: float,
    tie_note: Mapping[tuple[str, int], str],
) -> pl.DataFrame:
    """The no-match and duplicate rows of ``side``: each with its best-scoring pair (its
    candidate), why that pair did not match, and its duplicate group."""
    own = "app" if side.name == APP else "Clever"
    dup_status = mm.APP_DUPLICATE if side.name == APP else mm.CLEVER_DUPLICATE
    no_match = mm.APP_NO_MATCH if side.name == APP else mm.CLEVER_NO_MATCH
    decided = side.single_rows(matched=False, decided=True)
    grouped = [
        (i, [g for g in (side.groups.get(i) or side.ties[i]) if g != i], i in side.groups)
        for i in sorted({*side.groups, *side.ties})
        if i not in side.single or not side.single[i].decided
    ]
    notes = [(i, note) for (s, i), note in tie_note.items() if s == side.name]
    best = _best_pairs(ranked, side.own).select(
        pl.col(side.own).alias("row"),
        pl.col(side.other).alias("candidate"),
        "weight",
        pl.when(pl.col("evidence") != "").then("evidence").alias("best_evidence"),
        "reason",
    )
    frame = (
        pl.DataFrame({"row": pl.int_range(side.n, dtype=pl.Int64, eager=True)})
        .filter(~pl.col("row").is_in(side.matched.implode()))
        .join(best, on="row", how="left")
        .join(
            pl.DataFrame(
                grouped,
                schema={"row": pl.Int64, "duplicate_of": pl.List(pl.Int64), "in_group": pl.Boolean},
                orient="row",
            ),
            on="row",
            how="left",
        )
        .join(
            pl.DataFrame(notes, schema={"row": pl.Int64, "tie_note": pl.String}, orient="row"),
            on="row",
            how="left",
        )
        .with_columns(decided=pl.col("row").is_in(decided.implode()))
    )
    candidate = pl.col("candidate")
    rival_matched = candidate.is_in(other.matched.implode())
    rival_decided = candidate.is_in(other.single_rows(decided=True).implode())
    why = (
        pl.when(candidate.is_null() | pl.col("decided"))
        .then(None)
        .when(pl.col("reason").is_not_null())
        .then(pl.lit("not matched: ") + pl.col("reason"))
        .when(rival_matched & rival_decided)
        .then(pl.lit("the candidate is matched by a decision"))
        .when(rival_matched)
        .then(pl.lit("the candidate is matched to a better partner"))
        .when(rival_decided)
        .then(pl.lit("the candidate is decided no match"))
    )
    kind = (
        pl.when(pl.col("decided"))
        .then(pl.lit("decision: no match"))
        .when(pl.col("in_group"))
        .then(pl.lit(f"duplicate within the {own} records"))
    )
    weight = pl.col("weight") + shift
    return frame.select(
        "row",
        pl.when(pl.col("duplicate_of").is_not_null())
        .then(pl.lit(dup_status))
        .otherwise(pl.lit(no_match))
        .alias("status"),
        pl.lit(None, dtype=pl.Int64).alias("partner"),
        "candidate",
        "duplicate_of",
        _probability_expr(weight).alias("probability"),
        weight.alias("weight"),
        pl.concat_str(
            [pl.col("best_evidence"), why, kind, pl.col("tie_note")],
            separator="; ",
            ignore_nulls=True,
        ).alias("evidence"),
        "decided",
    )


__all__ = ["Outcome", "Resolution", "level_weights", "probability", "resolve"]
