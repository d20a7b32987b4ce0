"""The peers matchengine is compared with, all fed the same app CSV and Clever snapshot.

Every peer starts from the same preparation (``prepare``): the app CSV read as text, its
headers mapped to fields with matchengine's header synonyms (so every system reads the
same columns), the Clever users of the role flattened by ``matchengine.clever.load_role``,
and a standard cleaning of the matching fields that any linkage tutorial would do:

* names: accents dropped, lower case, punctuation removed, spaces collapsed;
* dates: ``M/D/YYYY``, ``YYYY-MM-DD`` (and ISO timestamps) and ``YYYYMMDD`` -> ``YYYY-MM-DD``
  (not checked for validity, so an impossible date still equals itself);
* ids: trimmed, upper case, leading zeros stripped (Excel damage undone);
* emails: trimmed and case-folded.

Peers used: plain Splink with a standard configuration (``run_splink``), recordlinkage's
ECM classifier (``run_ecm``), and a naive exact join (``run_exact``).  Each returns the
pairs it matched (app id -> Clever id); ``write_prediction`` turns them into a
Matchmaker-format CSV (matched pairs as ``match`` rows, every other record as a no-match row
of its side: peers do not report duplicate statuses).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matchengine.clever import load_role
from matchengine.csvfile import read_table, write_table
from matchengine.fields import find_id_column, map_headers
from matchengine.matchmaker import (
    APP_NO_MATCH,
    CLEVER_FIELDS,
    CLEVER_NO_MATCH,
    MATCH,
    output_header,
)

from .datasets import Problem

ID_FIELDS = ("sis_id", "student_number", "teacher_number", "staff_id", "state_id")
NAME_FIELDS = ("first_name", "last_name")
PEER_FIELDS = (*NAME_FIELDS, "dob", "email", *ID_FIELDS)
THRESHOLD = 0.9

Column = list[str | None]

# --------------------------------------------------------------------------- cleaning

_NAME_PUNCT = re.compile(r"[-‐‑–—_.,/'’`]+")
_NAME_DROP = re.compile(r"[^a-z0-9 ]+")
_SPACES = re.compile(r"\s+")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?$")
_MDY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


def clean_name(value: str) -> str | None:
    text = unicodedata.normalize("NFKD", value)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = _NAME_DROP.sub("", _NAME_PUNCT.sub(" ", text))
    text = _SPACES.sub(" ", text).strip()
    return text or None


def clean_dob(value: str) -> str | None:
    text = value.strip()
    for pattern, order in ((_ISO, "ymd"), (_MDY, "mdy"), (_COMPACT, "ymd")):
        m = pattern.match(text)
        if m:
            a, b, c = (int(g) for g in m.groups())
            y, mo, d = (a, b, c) if order == "ymd" else (c, a, b)
            return f"{y:04d}-{mo:02d}-{d:02d}"
    return None


def clean_id(value: str) -> str | None:
    text = value.strip().upper()
    if not text:
        return None
    return text.lstrip("0") or "0"


def clean_email(value: str) -> str | None:
    text = value.strip().casefold()
    return text or None


CLEANERS: dict[str, Callable[[str], str | None]] = {
    "first_name": clean_name,
    "last_name": clean_name,
    "dob": clean_dob,
    "email": clean_email,
    **dict.fromkeys(ID_FIELDS, clean_id),
}


# --------------------------------------------------------------------------- preparation


@dataclass
class Prepared:
    """The same inputs for every peer: raw rows for the output, cleaned columns to match."""

    role: str
    app_header: list[str]
    app_rows: list[list[str]]
    clever_values: dict[str, list[str]]  # Clever id -> the role's clever.* values
    fields: list[str]  # matching fields present on both sides
    app: dict[str, Column]  # unique_id + fields, cleaned
    clever: dict[str, Column]

    @property
    def id_fields(self) -> list[str]:
        return [f for f in self.fields if f in ID_FIELDS]

    def has(self, name: str) -> bool:
        return name in self.fields


def prepare(problem: Problem) -> Prepared:
    table = read_table(problem.app_csv)
    id_column = find_id_column(table.header)
    if id_column is None:
        raise ValueError(f"{problem.app_csv}: no id column")
    mapping = map_headers(table.header, problem.role, id_column=id_column).fields
    frame = load_role(problem.clever_dir, problem.role)
    app: dict[str, Column] = {"unique_id": list(table.column(id_column))}
    clever: dict[str, Column] = {"unique_id": frame["id"].to_list()}
    fields: list[str] = []
    for f in PEER_FIELDS:
        if f not in mapping or f not in frame.columns:
            continue
        clean = CLEANERS[f]
        a = [clean(v) for v in table.column(mapping[f])]
        c = [clean(v or "") for v in frame[f].to_list()]
        if any(v is not None for v in a) and any(v is not None for v in c):
            fields.append(f)
            app[f] = a
            clever[f] = c
    values = frame.select(CLEVER_FIELDS[problem.role]).rows()
    return Prepared(
        role=problem.role,
        app_header=list(table.header),
        app_rows=list(table.rows()),
        clever_values={row[0]: ["" if v is None else str(v) for v in row] for row in values},
        fields=fields,
        app=app,
        clever=clever,
    )


def write_prediction(prep: Prepared, pairs: dict[str, str], path: Path) -> None:
    """A Matchmaker-format CSV: ``pairs`` as match rows, everything else as no-match rows."""
    blanks_clever = [""] * len(CLEVER_FIELDS[prep.role])
    blanks_app = [""] * len(prep.app_header)
    used = set(pairs.values())
    rows: list[list[str]] = []
    for app_id, row in zip(prep.app["unique_id"], prep.app_rows, strict=True):
        cid = pairs.get(app_id or "")
        if cid is not None:
            rows.append([*row, *prep.clever_values[cid], MATCH])
        else:
            rows.append([*row, *blanks_clever, APP_NO_MATCH])
    for cid in sorted(prep.clever_values):
        if cid not in used:
            rows.append([*blanks_app, *prep.clever_values[cid], CLEVER_NO_MATCH])
    write_table(path, output_header(prep.app_header, prep.role, extras=False), rows)


def greedy_one_to_one(scored: list[tuple[float, str, str]]) -> dict[str, str]:
    """Best pair first; a record already taken is skipped (ties broken by the ids)."""
    pairs: dict[str, str] = {}
    taken: set[str] = set()
    for _, a, c in sorted(scored, key=lambda t: (-t[0], t[1], t[2])):
        if a in pairs or c in taken:
            continue
        pairs[a] = c
        taken.add(c)
    return pairs


# --------------------------------------------------------------------------- naive exact join


def run_exact(prep: Prepared) -> dict[str, str]:
    """Id (any id field equal), else email, else exact (first, last, dob); one-to-one.

    Each step only looks at records not matched by an earlier step; a key value held by
    more than one of the remaining records of either side is ambiguous and skipped.
    Without a dob on both sides the name step is not run (a name alone is no match).
    """
    steps: list[tuple[str, ...]] = [(f,) for f in prep.id_fields]
    if prep.has("email"):
        steps.append(("email",))
    if prep.has("dob"):
        steps.append(("first_name", "last_name", "dob"))
    pairs: dict[str, str] = {}
    taken: set[str] = set()
    for step in steps:
        a_keys = _keys(prep.app, step, set(pairs))
        c_keys = _keys(prep.clever, step, taken)
        a_count = Counter(a_keys.values())
        c_count = Counter(c_keys.values())
        c_by_key = {k: cid for cid, k in c_keys.items() if c_count[k] == 1}
        for app_id, k in a_keys.items():
            if a_count[k] == 1 and k in c_by_key:
                pairs[app_id] = c_by_key[k]
                taken.add(c_by_key[k])
    return pairs


def _keys(cols: dict[str, Column], step: tuple[str, ...], skip: set[str]) -> dict[str, tuple]:
    out: dict[str, tuple] = {}
    for i, uid in enumerate(cols["unique_id"]):
        if uid is None or uid in skip:
            continue
        key = tuple(cols[f][i] for f in step)
        if all(v is not None for v in key):
            out[uid] = key
    return out


# --------------------------------------------------------------------------- plain Splink


def run_splink(prep: Prepared, info: dict[str, Any]) -> dict[str, str]:
    """Splink 5 with the configuration its tutorials use, one-to-one by single best links."""
    import pyarrow as pa
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    logging.getLogger("splink").setLevel(logging.WARNING)
    comparisons: list[Any] = [cl.NameComparison(f) for f in NAME_FIELDS if prep.has(f)]
    if prep.has("dob"):
        comparisons.append(
            cl.DateOfBirthComparison("dob", input_is_string=True, datetime_format="%Y-%m-%d")
        )
    comparisons += [cl.ExactMatch(f) for f in prep.id_fields]
    if prep.has("email"):
        comparisons.append(cl.EmailComparison("email"))

    blocking: list[Any] = [block_on("first_name", "last_name")]
    if prep.has("dob"):
        blocking.append(block_on("dob"))
    blocking += [block_on(f) for f in prep.id_fields]
    if prep.has("email"):
        blocking.append(block_on("email"))

    # The deterministic rules of Splink's own tutorials (recall 0.7), plus each id.
    deterministic: list[Any] = [
        "l.first_name = r.first_name and levenshtein(r.last_name, l.last_name) <= 2"
    ]
    if prep.has("dob"):
        deterministic.insert(0, block_on("first_name", "last_name", "dob"))
    if prep.has("email"):
        deterministic.append(block_on("email"))
    deterministic += [block_on(f) for f in prep.id_fields]

    em_rules = [block_on("first_name", "last_name")]
    if prep.has("dob"):
        em_rules.append(block_on("dob"))
    elif prep.has("email"):
        em_rules.append(block_on("email"))
    elif prep.id_fields:
        em_rules.append(block_on(prep.id_fields[0]))

    cols = ["unique_id", *prep.fields]
    schema = pa.schema([(c, pa.string()) for c in cols])
    db = DuckDBAPI()
    app = db.register(pa.table(prep.app, schema=schema), dataset_display_name="app")
    clever = db.register(pa.table(prep.clever, schema=schema), dataset_display_name="clever")
    settings = SettingsCreator(
        link_type="link_only",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=blocking,
        retain_intermediate_calculation_columns=False,
    )
    linker = Linker([app, clever], settings, log_level=logging.WARNING)
    linker.training.estimate_probability_two_random_records_match(deterministic, recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
    em_failed = []
    for rule in em_rules:
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(rule)
        except Exception as exc:  # a rule with too few pairs: keep going, say so
            em_failed.append(f"{rule}: {exc}")
    predictions = linker.inference.predict(threshold_match_probability=THRESHOLD)
    clusters = linker.clustering.cluster_using_single_best_links(
        predictions,
        duplicate_free_datasets=["app", "clever"],
        threshold_match_probability=THRESHOLD,
        ties_method="drop",
    )
    members: dict[Any, dict[str, list[str]]] = defaultdict(lambda: {"app": [], "clever": []})
    for rec in clusters.as_record_list():
        members[rec["cluster_id"]][rec["source_dataset"]].append(str(rec["unique_id"]))
    pairs = {
        m["app"][0]: m["clever"][0]
        for m in members.values()
        if len(m["app"]) == 1 and len(m["clever"]) == 1
    }
    info["scored_pairs"] = predictions.as_duckdbpyrelation().count("*").fetchall()[0][0]
    info["fields"] = list(prep.fields)
    if em_failed:
        info["em_failed"] = em_failed
    return pairs


# --------------------------------------------------------------------------- recordlinkage ECM


def run_ecm(prep: Prepared, info: dict[str, Any]) -> dict[str, str]:
    """recordlinkage: union of blocks, binary comparison features, ECM, greedy one-to-one."""
    import pandas as pd
    import recordlinkage as rl

    app = pd.DataFrame(prep.app).set_index("unique_id")
    clever = pd.DataFrame(prep.clever).set_index("unique_id")
    # The blocking of the Splink peer, plus a sorted neighbourhood on the last name within
    # a first name (typos).  Tried and rejected: one-key blocks only (ECM then settles on
    # the wrong class on RLdata10000 and teachers without ids), and (name, dob) instead of
    # dob alone (too few non-matches among FEBRL4's candidates: ECM recall fell to 0.71).
    indexer = rl.Index()
    indexer.block(["first_name", "last_name"])
    indexer.sortedneighbourhood("last_name", window=3, block_on="first_name")
    if prep.has("dob"):
        indexer.block("dob")
    for f in prep.id_fields:
        indexer.block(f)
    if prep.has("email"):
        indexer.block("email")
    candidates = indexer.index(app, clever)

    compare = rl.Compare()
    for f in NAME_FIELDS:
        compare.string(f, f, method="jarowinkler", threshold=0.85, label=f)
    if prep.has("dob"):
        compare.exact("dob", "dob", label="dob")
    for f in prep.id_fields:
        compare.exact(f, f, label=f)
    if prep.has("email"):
        compare.exact("email", "email", label="email")
    features = compare.compute(candidates, app, clever)
    # A feature that never varies carries nothing and upsets the EM.
    features = features.loc[:, features.nunique() > 1]

    ecm = rl.ECMClassifier(binarize=None)
    links = ecm.fit_predict(features)
    prob = ecm.prob(features).loc[links]
    scored = [(float(p), str(a), str(c)) for (a, c), p in prob.items()]
    info["candidate_pairs"] = len(candidates)
    info["features"] = list(features.columns)
    return greedy_one_to_one(scored)


PEERS: dict[str, Callable[[Prepared, dict[str, Any]], dict[str, str]]] = {
    "splink": run_splink,
    "recordlinkage-ecm": run_ecm,
    "exact-join": lambda prep, info: run_exact(prep),
}
