"""The only module that uses Splink: rules -> Splink settings, and scoring candidate pairs.

The engine owns one DuckDB connection.  Both sides are registered as tables with the same
normalised schema; Splink scores every pair a blocking rule produces, in one
``link_and_dedupe`` pass, so the same comparisons judge app-to-Clever pairs and the
within-side pairs used to find duplicates.  The result is a DuckDB table of pairs with the
comparison levels (gamma values) and the summed Bayes-factor weight *without* the prior;
priors and thresholds are applied by ``resolve``.

With a Spark engine, Splink runs the same settings on Spark: the rules' SQL (DuckDB's
dialect) is translated by ``in_dialect`` and the scored pairs are collected back into
the DuckDB connection, so everything after scoring is one code path.
"""

from __future__ import annotations

import json
import logging
import math
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import duckdb
import polars as pl

from matchengine.engine import Engine, open_engine, watch_progress
from matchengine.rules import (
    BlockingRule,
    Comparison,
    Level,
    MEstimation,
    Rules,
    UEstimation,
    weights_distinct,
)

log = logging.getLogger(__name__)

APP = "app"
CLEVER = "clever"
# A term-frequency-adjusted agreement never counts for more than a value seen once in
# ten thousand records: one-off spellings are as likely typos as rare names.
TF_MINIMUM_U = 0.0001
JW_MARGIN = 1e-9
# Scored weights are rounded here so the last bits of floating-point arithmetic (which
# differ between DuckDB and Spark) never decide a tie or a threshold.
WEIGHT_DECIMALS = 9


def _jw_at_least(a: str, b: str, threshold: float) -> str:
    """Jaro-Winkler of ``a`` and ``b`` at least ``threshold``.  The similarity is a ratio
    of small whole numbers; the margin keeps a value that equals the threshold on the
    right side whatever the last bit of rounding."""
    return f"jaro_winkler_similarity({a}, {b}) >= {float(threshold) - JW_MARGIN:.10f}"


def level_sql(level: Level, column: str) -> str:
    """The SQL condition for one comparison level (``l.`` / ``r.`` are the two records)."""
    c = level.column or column
    k = level.kind
    if k == "exact":
        return f"l.{c} = r.{c}"
    if k == "overlap":
        return f"list_has_any(l.{c}, r.{c})"
    if k == "found_in":
        # One record's value is among the other's list (an app SIS id that Clever holds as
        # the student number): not any shared member, or one shared id would count again
        # in the comparison of every other id.
        return f"(list_contains(r.{c}, l.{column}) OR list_contains(l.{c}, r.{column}))"
    if k == "jaro_winkler":
        return _jw_at_least(f"l.{c}", f"r.{c}", level.threshold or 0)
    if k == "damerau_levenshtein":
        return _within_edits(f"l.{c}", f"r.{c}", int(level.distance or 0))
    if k == "transposition":
        return _transposed(f"l.{c}", f"r.{c}")
    if k == "neighbour":
        # Ids handed out in sequence: a brother or sister enrolled the same day has the
        # next number, one keystroke from this one in its last two characters.
        keep = f"greatest(length(l.{c}) - 2, 0)"
        return (
            f"(length(r.{c}) = length(l.{c}) "
            f"AND substr(l.{c}, 1, {keep}) = substr(r.{c}, 1, {keep}) "
            f"AND {_within_edits(f'l.{c}', f'r.{c}', 1)})"
        )
    if k == "excel_truncated":
        # Excel keeps 15 significant digits: 123456789012345678 becomes 123456789012345000.
        return (
            f"(length(l.{c}) >= 16 AND length(r.{c}) = length(l.{c}) "
            f"AND substr(l.{c}, 1, 15) = substr(r.{c}, 1, 15))"
        )
    if k == "date_swap":
        return f"(l.{c}_swap = r.{c} OR l.{c} = r.{c}_swap)"
    if k == "date_parts":
        parts = [(1, 4), (6, 2), (9, 2)]
        terms = " + ".join(
            f"CAST(substr(l.{c}, {a}, {n}) = substr(r.{c}, {a}, {n}) AS INTEGER)" for a, n in parts
        )
        return f"({terms}) >= 2"
    if k == "swap":
        w = level.with_column
        if level.both and level.threshold is not None:
            # Both swapped, one of them also mistyped: one crossed pair equal, the other
            # at least this similar.
            t = level.threshold
            return (
                f"((l.{c} = r.{w} AND {_jw_at_least(f'l.{w}', f'r.{c}', t)}) OR "
                f"(l.{w} = r.{c} AND {_jw_at_least(f'l.{c}', f'r.{w}', t)}))"
            )
        joiner = "AND" if level.both else "OR"
        return f"(l.{c} = r.{w} {joiner} l.{w} = r.{c})"
    if k == "initial":
        return (
            f"((length(l.{c}) = 1 AND l.{c} = substr(r.{c}, 1, 1)) OR "
            f"(length(r.{c}) = 1 AND r.{c} = substr(l.{c}, 1, 1)))"
        )
    if k == "within":
        return f"abs(l.{c} - r.{c}) <= {level.distance}"
    if k == "sql":
        return str(level.sql)
    if k == "else":
        return "ELSE"
    raise ValueError(f"unknown level kind {k!r}")


# DuckDB's damerau_levenshtein is slow: at a million students the three id comparisons'
# "typo" levels took 10 of the 21 s of predict().  The forms below give the same answer
# (tests/test_levels.py checks them against it) and call it only where little else can
# decide: most pairs are settled by the lengths and the Hamming distance, which cost a
# fortieth as much.  Nested CASEs, not AND: hamming() fails on strings of unequal length
# and on empty ones.


def _within_edits(a: str, b: str, distance: int) -> str:
    """``damerau_levenshtein(a, b) <= distance`` (null when either is null)."""
    full = f"damerau_levenshtein({a}, {b}) <= {distance}"
    if distance != 1:
        return f"(abs(length({a}) - length({b})) <= {distance} AND {full})"
    # One edit: a substitution (Hamming 1), a swap of two neighbours (Hamming 2, equal
    # lengths), or one letter more or less (lengths one apart, Levenshtein 1).
    return (
        f"(CASE WHEN {a} IS NULL OR {b} IS NULL THEN NULL WHEN {a} = {b} THEN true "
        f"WHEN length({a}) = length({b}) THEN "
        f"CASE WHEN hamming({a}, {b}) <= 1 THEN true "
        f"WHEN hamming({a}, {b}) = 2 THEN {full} ELSE false END "
        f"WHEN abs(length({a}) - length({b})) = 1 THEN levenshtein({a}, {b}) <= 1 "
        f"ELSE false END)"
    )


def _transposed(a: str, b: str) -> str:
    """Two neighbouring letters swapped, nothing else: ``damerau_levenshtein(a, b) = 1 AND
    levenshtein(a, b) = 2`` (null when either is null)."""
    return (
        f"(CASE WHEN {a} IS NULL OR {b} IS NULL THEN NULL WHEN {a} = {b} THEN false "
        f"WHEN length({a}) = length({b}) THEN "
        f"CASE WHEN hamming({a}, {b}) = 2 THEN damerau_levenshtein({a}, {b}) = 1 ELSE false END "
        f"ELSE false END)"
    )


_SIDE_RE = re.compile(r"\b([lr])\.([A-Za-z_][A-Za-z0-9_]*)")


def in_dialect(sql: str, dialect: str) -> str:
    """Rules' SQL (DuckDB's dialect) in ``dialect``: ``duckdb`` as it is, or ``spark``.

    Spark spells the list functions differently, lacks ``list_has_all``, and gets
    Jaro-Winkler from our own function (``matchengine.spark.JARO_WINKLER``);
    ``damerau_levenshtein`` comes from Splink's jar under the same name, and ``hamming``
    (only ever called on strings of one length) becomes ``levenshtein``.
    """
    if dialect == "duckdb" or sql == "ELSE":
        return sql
    if dialect != "spark":
        raise ValueError(f"unknown SQL dialect {dialect!r}")
    import sqlglot
    from sqlglot import exp

    from matchengine.spark import JARO_WINKLER

    def call(name: str, *args: exp.Expression) -> exp.Expression:
        return exp.Anonymous(this=name, expressions=list(args))

    def swap(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.ArrayOverlaps):
            return call("arrays_overlap", node.this, node.expression)
        if isinstance(node, exp.JarowinklerSimilarity):
            return call(JARO_WINKLER, node.this, node.expression)
        if isinstance(node, exp.Anonymous):
            name = str(node.this).lower()
            if name == "hamming":  # Spark has none; on equal lengths Levenshtein is the same
                return call("levenshtein", *node.expressions)
            if name == "list_intersect":
                return call("array_intersect", *node.expressions)
            if name == "list_has_all":  # every element of the second is in the first
                whole, part = node.expressions
                return exp.Paren(
                    this=exp.EQ(
                        this=call("size", call("array_except", part, whole)),
                        expression=exp.Literal.number(0),
                    )
                )
        return node

    tree = sqlglot.parse_one(sql, read="duckdb").transform(swap)
    return tree.sql(dialect="spark")


def to_splink_columns(sql: str) -> str:
    """Rewrite ``l.col`` / ``r.col`` (the rules' syntax) to Splink's ``col_l`` / ``col_r``."""
    return _SIDE_RE.sub(lambda m: f"{m.group(2)}_{m.group(1)}", sql)


def comparison_settings(comp: Comparison, dialect: str = "duckdb") -> dict[str, Any]:
    levels: list[dict[str, Any]] = [
        {
            "sql_condition": f"{comp.column}_l IS NULL OR {comp.column}_r IS NULL",
            "label_for_charts": "null",
            "is_null_level": True,
        }
    ]
    for lv in comp.levels:
        level: dict[str, Any] = {
            "sql_condition": to_splink_columns(in_dialect(level_sql(lv, comp.column), dialect)),
            "label_for_charts": lv.label,
            "m_probability": lv.m,
            "u_probability": lv.u,
        }
        if lv.tf:
            level["tf_adjustment_column"] = lv.column or comp.column
            level["tf_adjustment_weight"] = 1.0
            level["tf_minimum_u_value"] = TF_MINIMUM_U
        levels.append(level)
    return {
        "output_column_name": comp.name,
        "comparison_description": comp.description or comp.name,
        "comparison_levels": levels,
    }


def blocking_sql(rules: Rules) -> list[str]:
    """Each blocking rule as SQL; a ``swap`` rule yields both directions."""
    out: list[str] = []
    for br in rules.blocking:
        eq = [f"l.{c} = r.{c}" for c in br.on]
        if not br.within:
            eq.append("l.source_dataset <> r.source_dataset")
        if br.swap is None:
            out.append(" AND ".join(eq))
            continue
        a, b = br.swap
        for x, y in ((a, b), (b, a)):
            out.append(" AND ".join([*eq, f"l.{x} = r.{y}"]))
    return out


# A Clever row's key in ``_blocked_pairs``: its row number plus this (rows never reach it).
_CLEVER_KEY = 1 << 40


def _blocked_pairs(
    con: duckdb.DuckDBPyConnection, app_view: str, clever_view: str, rules: Rules, name: str
) -> None:
    """The candidate pairs of the rules' blocking, as Splink's predict() wants them, in
    table ``name``: ``match_key`` (the first rule that pairs the two), ``join_key_l``,
    ``join_key_r`` (``<side>-__-<unique_id>``).

    The same pairs, in the same orientation, as Splink's own blocking, found faster.
    Splink joins the two sides stacked in one table with itself, keeps a pair when the
    left key sorts first as text, and gives every rule a NOT of all earlier rules so no
    pair comes twice; at a million students those text keys and growing NOT chains took
    13 s of the 36 s of scoring.  Here each rule joins app to Clever, and (unless it is
    app-Clever only) each side to itself on the lower row number first; a pair any rule
    finds is kept once, with its first rule (``GROUP BY``).  Then the orientation is made
    Splink's: 'app' sorts before 'clever', and within a side the lower id *as text* comes
    first.
    """
    assert APP < CLEVER  # cross pairs: the app row is on the left, as in Splink
    big = _CLEVER_KEY
    parts = []
    for i, (br, sql) in enumerate(zip(_expanded(rules), blocking_sql(rules), strict=True)):
        parts.append(
            f"SELECT {i} AS rule, l.unique_id AS kl, r.unique_id + {big} AS kr "
            f"FROM {app_view} AS l JOIN {clever_view} AS r ON {sql}"
        )
        if br.within:
            for view, offset in ((app_view, 0), (clever_view, big)):
                parts.append(
                    f"SELECT {i} AS rule, l.unique_id + {offset} AS kl, "
                    f"r.unique_id + {offset} AS kr FROM {view} AS l JOIN {view} AS r "
                    f"ON {sql} AND l.unique_id < r.unique_id"
                )
    found = "\nUNION ALL\n".join(parts)

    def join_key(k: str) -> str:
        return f"CASE WHEN {k} >= {big} THEN '{CLEVER}-__-' || ({k} - {big}) ELSE '{APP}-__-' || {k} END"

    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {name} AS
        WITH pairs AS (SELECT min(rule) AS rule, kl, kr FROM ({found}) GROUP BY kl, kr),
        turned AS (
            SELECT *, (kl >= {big}) = (kr >= {big})
                      AND CAST(kl % {big} AS VARCHAR) > CAST(kr % {big} AS VARCHAR) AS turn
            FROM pairs
        )
        SELECT CAST(rule AS VARCHAR) AS match_key,
               {join_key("CASE WHEN turn THEN kr ELSE kl END")} AS join_key_l,
               {join_key("CASE WHEN turn THEN kl ELSE kr END")} AS join_key_r
        FROM turned
        """
    )


def block_pairs(engine: Engine, app_table: str, clever_table: str, rules: Rules) -> str | None:
    """Find the candidate pairs of ``score_pairs`` ahead of it, so that other work (EM)
    can run meanwhile: the name of their table, for ``score_pairs(blocked=...)``.  None on
    Spark, where Splink's own blocking runs inside ``score_pairs``."""
    if engine.spark is not None:
        return None
    app_view, clever_view = _with_source(engine.con, app_table, clever_table)
    _blocked_pairs(engine.con, app_view, clever_view, rules, "me_blocked")
    return "me_blocked"


def _expanded(rules: Rules) -> list[BlockingRule]:
    """Each blocking rule once per SQL rule ``blocking_sql`` makes of it (a swap: twice)."""
    return [br for br in rules.blocking for _ in range(1 if br.swap is None else 2)]


def splink_settings(rules: Rules, prior: float, dialect: str = "duckdb") -> dict[str, Any]:
    """The complete Splink settings dictionary for a rules file (golden-tested)."""
    return {
        "link_type": "link_and_dedupe",
        "unique_id_column_name": "unique_id",
        "source_dataset_column_name": "source_dataset",
        "probability_two_random_records_match": prior,
        "comparisons": [comparison_settings(c, dialect) for c in rules.comparisons],
        "blocking_rules_to_generate_predictions": [
            {"blocking_rule": in_dialect(sql, dialect), "sql_dialect": dialect}
            for sql in blocking_sql(rules)
        ],
        "retain_matching_columns": False,
        "retain_intermediate_calculation_columns": True,
        "additional_columns_to_retain": [],
        "sql_dialect": dialect,
    }


def level_weights(rules: Rules) -> dict[str, list[float]]:
    """comparison name -> weight (log2 m/u) of each non-null level, indexed by gamma value.

    Splink numbers levels from the top: the first agreement level has the highest gamma and
    'else' is 0; null is -1.
    """
    out: dict[str, list[float]] = {}
    for comp in rules.comparisons:
        weights = [math.log2(lv.m / lv.u) for lv in comp.levels]
        out[comp.name] = list(reversed(weights))  # index by gamma: 0 = else
    return out


def level_labels(rules: Rules) -> dict[str, list[str]]:
    return {c.name: [lv.label for lv in reversed(c.levels)] for c in rules.comparisons}


def register_table(con: duckdb.DuckDBPyConnection, name: str, frame: pl.DataFrame) -> None:
    """``frame`` as DuckDB table ``name`` with a BIGINT ``unique_id`` (its row number)."""
    # Arrow's string views are polars' own layout: no copy (0.3 s per side at 1M rows).
    arrow = (
        frame.with_row_index("unique_id")
        .with_columns(pl.col("unique_id").cast(pl.Int64))
        .to_arrow(compat_level=pl.CompatLevel.newest())
    )
    con.register(f"{name}_arrow", arrow)
    con.execute(f"CREATE TABLE {name} AS SELECT * FROM {name}_arrow")
    con.unregister(f"{name}_arrow")


def _with_source(
    con: duckdb.DuckDBPyConnection, app_table: str, clever_table: str
) -> tuple[str, str]:
    """Views that label each side, so app-Clever-only blocking rules can name the side."""
    for table, side in ((app_table, APP), (clever_table, CLEVER)):
        con.execute(
            f"CREATE OR REPLACE VIEW {table}_src AS SELECT *, '{side}' AS source_dataset FROM {table}"
        )
    return f"{app_table}_src", f"{clever_table}_src"


def _gamma_from_weight_sql(comp: Comparison) -> str:
    """Recover a comparison's level (gamma) from the weight column Splink retains.

    Splink keeps per-comparison weights (``mw_<name>``) but not the level index unless the
    matching columns are kept too (far more memory).  Levels of one comparison have distinct
    non-zero weights (``rules`` checks this), so the weight identifies the level; a weight
    of 0 is the null level.
    """
    n = len(comp.levels)
    whens = " ".join(
        f"WHEN abs(mw_{comp.name} - ({math.log2(lv.m / lv.u)!r})) < 1e-9 THEN {n - 1 - i}"
        for i, lv in enumerate(comp.levels)
    )
    return f"CAST(CASE {whens} ELSE -1 END AS TINYINT) AS gamma_{comp.name}"


def _tf_floors(rules: Rules) -> dict[str, float]:
    """comparison -> the most a term-frequency adjustment may lower its exact level.

    A common value lowers an exact agreement's weight, but never below the comparison's
    best partial agreement: "Garcia" = "Garcia" must still beat "Garcia" ~ "Garza".
    """
    floors: dict[str, float] = {}
    for comp in rules.comparisons:
        tf_levels = [lv for lv in comp.levels if lv.tf]
        if not tf_levels:
            continue
        top = max(math.log2(lv.m / lv.u) for lv in tf_levels)
        others = [math.log2(lv.m / lv.u) for lv in comp.levels if not lv.tf and lv.kind != "else"]
        floors[comp.name] = min(0.0, max(others, default=top) - top)
    return floors


def _weight_sql(rules: Rules) -> str:
    terms = ["match_weight"]
    for name, floor in _tf_floors(rules).items():
        col = f"mw_tf_adj_{name}"
        terms.append(f"(greatest({col}, {floor!r}) - {col})")
    return " + ".join(terms)


def spark_jars() -> list[str]:
    """The jars a Spark session needs for our rules' SQL (Splink's string functions)."""
    from splink.backends.spark import similarity_jar_location

    return [similarity_jar_location()]


def _spark_api(session: Any) -> Any:
    """Splink's Spark API; ``persist`` lets Spark keep Splink's intermediate tables itself
    (a checkpoint folder would have to be shared by a whole cluster)."""
    from splink.backends.spark import SparkAPI

    return SparkAPI(spark_session=session, break_lineage_method="persist")


def _splink_inputs(
    engine: Engine, app_table: str, clever_table: str, suffix: str = ""
) -> tuple[Any, Any, Any]:
    """Splink's database API for ``engine`` and both sides registered with it."""
    app_view, clever_view = _with_source(engine.con, app_table, clever_table)
    # Unique per run: a Spark session outlives runs and keeps its views.
    run = secrets.token_hex(4) if engine.spark is not None else ""
    names = (f"me_in_app{suffix}{run}", f"me_in_clever{suffix}{run}")
    if engine.spark is None:
        from splink import DuckDBAPI

        db: Any = DuckDBAPI(connection=engine.con)
        sources: list[Any] = [app_view, clever_view]
    else:
        from matchengine.spark import to_spark

        db = _spark_api(engine.spark)
        sources = [
            to_spark(engine.spark, engine.con.sql(f"SELECT * FROM {v}").to_arrow_table())
            for v in (app_view, clever_view)
        ]
    a = db.register(sources[0], dataset_display_name=APP, table_name=names[0])
    b = db.register(sources[1], dataset_display_name=CLEVER, table_name=names[1])
    return db, a, b


@dataclass
class ScoredPairs:
    """Scored candidate pairs in a DuckDB table ``table`` on ``con``.

    Columns: ``side_l``, ``id_l``, ``side_r``, ``id_r`` (app/clever, row index),
    ``weight`` (sum of comparison weights, no prior), ``gamma_<comparison>`` per comparison.
    App-to-Clever pairs always have ``side_l = 'app'``.
    """

    con: duckdb.DuckDBPyConnection | None
    table: str
    count: int
    rows: pl.DataFrame | None = None  # the table's rows, once ``detached``

    def frame(self) -> pl.DataFrame:
        """The pairs as a polars frame."""
        if self.rows is not None:
            return self.rows
        assert self.con is not None
        df = pl.from_arrow(self.con.sql(f"SELECT * FROM {self.table}").to_arrow_table())
        assert isinstance(df, pl.DataFrame)
        return df

    def detached(self) -> ScoredPairs:
        """The same pairs held in memory, so the database can be closed (at a million
        students it holds a gigabyte the resolution does not need)."""
        return ScoredPairs(None, self.table, self.count, self.frame())


def score_pairs(
    engine: Engine,
    app_table: str,
    clever_table: str,
    rules: Rules,
    *,
    min_weight: float,
    blocked: str | None = None,
    progress: Callable[[float], None] | None = None,
) -> ScoredPairs:
    """Score every blocked pair of ``app_table`` and ``clever_table`` (and within each).

    Both tables must have ``unique_id`` (BIGINT) and the normalised columns the rules name.
    Pairs whose summed weight is below ``min_weight`` are dropped inside Splink.
    ``blocked``: the candidate pairs from ``block_pairs`` (found here when not given).
    ``progress`` is told the fraction of scoring done, now and then (DuckDB only).
    """
    from splink import Linker

    con = engine.con
    db, a, b = _splink_inputs(engine, app_table, clever_table)
    # The prior only shifts every weight by the same amount; score with a neutral 0.5 so
    # Splink's match_weight is the pure sum of comparison weights.
    # log_level=None: Splink must not configure logging; ours (stderr, WARNING) applies.
    linker = Linker([a, b], splink_settings(rules, 0.5, engine.dialect), log_level=None)
    if blocked is None:
        blocked = block_pairs(engine, app_table, clever_table, rules)
    if blocked is not None:
        registered = linker.table_management.register_blocked_pairs_for_predict(
            db.register(blocked)
        )
        # Registered pairs make DuckDB's predict() first copy every record that is in some
        # pair (nearly all of them): 3 s more at a million students than reading the
        # inputs as when Splink blocks itself, which this flag restores.
        registered.metadata["registered_for_predict"] = False
    with watch_progress(con, progress if engine.spark is None else None):
        predictions = linker.inference.predict(threshold_match_weight=min_weight)
    keep = [
        "source_dataset_l",
        "unique_id_l",
        "source_dataset_r",
        "unique_id_r",
        "match_weight",
        *(f"mw_{c.name}" for c in rules.comparisons),
        *(f"mw_tf_adj_{n}" for n in _tf_floors(rules)),
    ]
    if engine.spark is None:
        source = predictions.physical_name
    else:
        from matchengine.spark import to_arrow

        con.register("me_spark_pairs", to_arrow(predictions.as_spark_dataframe().select(*keep)))
        source = "me_spark_pairs"
    gammas = ",\n            ".join(_gamma_from_weight_sql(c) for c in rules.comparisons)
    name = "me_pairs"
    con.execute(f"DROP TABLE IF EXISTS {name}")
    con.execute(
        f"""
        CREATE TABLE {name} AS
        WITH p AS (SELECT {", ".join(keep)} FROM {source})
        SELECT
            CASE WHEN source_dataset_l = '{CLEVER}' AND source_dataset_r = '{APP}'
                 THEN source_dataset_r ELSE source_dataset_l END AS side_l,
            CASE WHEN source_dataset_l = '{CLEVER}' AND source_dataset_r = '{APP}'
                 THEN unique_id_r ELSE unique_id_l END AS id_l,
            CASE WHEN source_dataset_l = '{CLEVER}' AND source_dataset_r = '{APP}'
                 THEN source_dataset_l ELSE source_dataset_r END AS side_r,
            CASE WHEN source_dataset_l = '{CLEVER}' AND source_dataset_r = '{APP}'
                 THEN unique_id_l ELSE unique_id_r END AS id_r,
            round({_weight_sql(rules)}, {WEIGHT_DECIMALS}) AS weight,
            {gammas}
        FROM p
        """
    )
    predictions.drop_table_from_database_and_remove_from_cache()
    db.delete_tables_created_by_splink_from_db()
    if blocked is not None:
        con.execute(f"DROP TABLE {blocked}")
    if engine.spark is not None:
        from matchengine.spark import release

        con.unregister("me_spark_pairs")
        release(engine.spark, [a.physical_name, b.physical_name])
    rows = con.execute(f"SELECT count(*) FROM {name}").fetchall()
    count = int(rows[0][0])
    log.debug("scored %d candidate pairs", count)
    return ScoredPairs(con, name, count)


@dataclass
class UEstimate:
    """The outcome of re-estimating u from random pairs (for the run report)."""

    rules: Rules
    pairs: int
    changed: dict[str, list[float]]  # comparison -> new u per level (rules order)
    kept: list[str]  # comparisons whose estimate was unusable (levels would collide)


def _sample_sql(table: str, limit: int, seed: int) -> str:
    """A seeded random ``limit`` of ``table``'s rows: only the ids are sorted, then those
    rows are fetched (sorting whole rows of a million-record table is what costs)."""
    return (
        f"SELECT * FROM {table} WHERE unique_id IN "
        f"(SELECT unique_id FROM {table} ORDER BY hash(unique_id, {seed}) LIMIT {limit})"
    )


def estimate_u(
    con: duckdb.DuckDBPyConnection, app_table: str, clever_table: str, rules: Rules
) -> UEstimate:
    """Re-estimate every level's u from random app x Clever pairs of this run's data.

    u is the chance that two *different* people agree at a level; random pairs are nearly
    all different people.  The sample is deterministic (seeded hash order).  Each estimate
    is the posterior mean of a Beta prior worth ``prior_strength`` pairs centred on the
    rules' u, so levels seen rarely in the sample stay close to the rules' judgement.
    """
    cfg = rules.estimate_u
    n_app = int(con.execute(f"SELECT count(*) FROM {app_table}").fetchall()[0][0])
    n_clever = int(con.execute(f"SELECT count(*) FROM {clever_table}").fetchall()[0][0])
    side = max(1, int(math.sqrt(cfg.sample_pairs)))
    k_app = min(n_app, max(side, cfg.sample_pairs // max(1, min(n_clever, side))))
    k_clever = min(n_clever, max(1, cfg.sample_pairs // max(1, k_app)))
    cases = []
    for comp in rules.comparisons:
        whens = " ".join(
            f"WHEN {level_sql(lv, comp.column)} THEN {i}"
            for i, lv in enumerate(comp.levels)
            if lv.kind != "else"
        )
        null = f"l.{comp.column} IS NULL OR r.{comp.column} IS NULL"
        cases.append(
            f"CASE WHEN {null} THEN -1 {whens} ELSE {len(comp.levels) - 1} END AS g_{comp.name}"
        )
    sample = f"""
        WITH l AS ({_sample_sql(app_table, k_app, cfg.seed)}),
             r AS ({_sample_sql(clever_table, k_clever, cfg.seed + 1)})
        SELECT {", ".join(cases)} FROM l CROSS JOIN r
    """
    con.execute(f"CREATE OR REPLACE TEMP TABLE me_u_sample AS {sample}")
    changed: dict[str, list[float]] = {}
    kept: list[str] = []
    new_comparisons = []
    for comp in rules.comparisons:
        rows = con.execute(
            f"SELECT g_{comp.name}, count(*) FROM me_u_sample WHERE g_{comp.name} >= 0 GROUP BY 1"
        ).fetchall()
        counts = {int(g): int(c) for g, c in rows}
        total = sum(counts.values())
        a = cfg.prior_strength
        us = [(counts.get(i, 0) + a * lv.u) / (total + a) for i, lv in enumerate(comp.levels)]
        if not weights_distinct([(lv.m, u) for lv, u in zip(comp.levels, us, strict=True)]):
            kept.append(comp.name)
            new_comparisons.append(comp)
            continue
        changed[comp.name] = us
        levels = tuple(replace(lv, u=u) for lv, u in zip(comp.levels, us, strict=True))
        new_comparisons.append(replace(comp, levels=levels))
    con.execute("DROP TABLE IF EXISTS me_u_sample")
    pairs = k_app * k_clever
    log.debug("estimated u from %d random pairs; kept the rules' u for %s", pairs, kept)
    return UEstimate(replace(rules, comparisons=tuple(new_comparisons)), pairs, changed, kept)


def _wanted(cfg: UEstimation | MEstimation, n_app: int, n_clever: int) -> bool:
    if cfg.mode == "never":
        return False
    return cfg.mode == "always" or min(n_app, n_clever) >= cfg.min_records


def wants_u_estimate(rules: Rules, n_app: int, n_clever: int) -> bool:
    return _wanted(rules.estimate_u, n_app, n_clever)


@dataclass
class MEstimate:
    """The outcome of re-estimating m by expectation maximisation (for the run report)."""

    rules: Rules
    sessions: int
    changed: dict[str, list[float]]  # comparison -> new m per level (rules order)
    kept: list[str]  # comparisons left at the rules' m (not trained, or unusable)


def _record_sample(
    con: duckdb.DuckDBPyConnection,
    table: str,
    limit: int,
    name: str,
    seed: int,
    into: duckdb.DuckDBPyConnection,
) -> None:
    """``table`` of ``con``, or a seeded random ``limit`` of its rows when it is larger, as
    table ``name`` of database ``into``."""
    n = int(con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])
    sql = f"SELECT * FROM {table}" if n <= limit else _sample_sql(table, limit, seed)
    into.register(f"{name}_arrow", con.sql(sql).to_arrow_table())
    into.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM {name}_arrow")
    into.unregister(f"{name}_arrow")


def _settings(con: duckdb.DuckDBPyConnection) -> tuple[int, str]:
    """The connection's thread count and memory limit."""
    row = con.execute(
        "SELECT current_setting('threads'), current_setting('memory_limit')"
    ).fetchall()[0]
    return int(row[0]), str(row[1])


def estimate_m(
    con: duckdb.DuckDBPyConnection, app_table: str, clever_table: str, rules: Rules, prior: float
) -> MEstimate:
    """Re-estimate m probabilities by EM on this run's data, u held fixed.

    Each EM session blocks on one of ``[model.estimate_m] blocking`` and trains the
    comparisons that rule does not use.  The trained m is mixed with the rules' m
    (``rules_weight`` of the rules' judgement), so a level EM barely sees cannot swing to
    an extreme.  A comparison whose levels would no longer have distinct weights keeps
    the rules' m.

    EM always runs on the driver's DuckDB, whatever the scoring backend: it trains on at
    most ``max_pairs`` pairs per session, so its cost is bounded, and both backends get
    the very same m (EM's iterations would drift apart in the last digits on Spark, whose
    sums run in another order; on Spark it also recomputed every comparison at every
    iteration, minutes for a 20k district).
    """
    from splink import Linker

    cfg = rules.estimate_m
    splink_log = logging.getLogger("splink")
    level = splink_log.level
    if not log.isEnabledFor(logging.DEBUG):  # EM warns about unobserved levels; that is expected
        splink_log.setLevel(logging.ERROR)
    trained_m: dict[str, list[float | None]] = {}
    sessions = 0
    # EM runs in a database of its own holding only the samples, closed afterwards: run on
    # the scoring connection, what Splink's sessions leave behind slowed predict() by 0.8 s
    # at a million students.
    try:
        with open_engine(*_settings(con)) as scratch:
            _record_sample(con, app_table, cfg.max_records, "me_em_app", 1, scratch.con)
            _record_sample(con, clever_table, cfg.max_records, "me_em_clever", 2, scratch.con)
            for i, columns in enumerate(cfg.blocking):
                # A fresh linker per session: a failed session leaves a linker's model unusable.
                _db, a, b = _splink_inputs(scratch, "me_em_app", "me_em_clever", f"_em{i}")
                linker = Linker([a, b], splink_settings(rules, prior), log_level=None)
                rule = " AND ".join(f"l.{c} = r.{c}" for c in columns)
                try:
                    linker.training.estimate_parameters_using_expectation_maximisation(
                        rule,
                        fix_u_probabilities=True,
                        estimate_without_term_frequencies=True,
                        max_pairs=cfg.max_pairs,
                    )
                except Exception as exc:  # EM cannot run on this data: keep what we have
                    log.debug("EM session on %s skipped: %s", rule, exc)
                    continue
                sessions += 1
                model = linker.misc.save_model_to_json()
                for comp in model["comparisons"]:
                    blocked_on = (f"{x}_l" for x in columns)
                    if any(c in json.dumps(comp["comparison_levels"]) for c in blocked_on):
                        continue  # a comparison on the blocking columns learns nothing here
                    learned_m = [
                        lv.get("m_probability")
                        for lv in comp["comparison_levels"]
                        if not lv.get("is_null_level")
                    ]
                    trained_m.setdefault(comp["output_column_name"], learned_m)
    finally:
        splink_log.setLevel(level)
    changed: dict[str, list[float]] = {}
    kept: list[str] = []
    comparisons = []
    w = cfg.rules_weight
    for comp in rules.comparisons:
        learned = trained_m.get(comp.name)
        if learned is None or len(learned) != len(comp.levels):
            kept.append(comp.name)
            comparisons.append(comp)
            continue
        ms: list[float] = []
        for lv, m in zip(comp.levels, learned, strict=True):
            ms.append(lv.m if not isinstance(m, (int, float)) else (1 - w) * float(m) + w * lv.m)
        total = sum(ms)
        ms = [m / total for m in ms]
        if ms == [lv.m for lv in comp.levels] or not weights_distinct(
            [(m, lv.u) for m, lv in zip(ms, comp.levels, strict=True)]
        ):
            kept.append(comp.name)
            comparisons.append(comp)
            continue
        changed[comp.name] = ms
        comparisons.append(
            replace(
                comp, levels=tuple(replace(lv, m=m) for lv, m in zip(comp.levels, ms, strict=True))
            )
        )
    return MEstimate(replace(rules, comparisons=tuple(comparisons)), sessions, changed, kept)


def wants_m_estimate(rules: Rules, n_app: int, n_clever: int) -> bool:
    return _wanted(rules.estimate_m, n_app, n_clever)
