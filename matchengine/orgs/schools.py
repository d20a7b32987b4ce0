"""``--role school``: the app's schools against the snapshot's ``schools.*``.

Evidence, strongest first (Clever's guidance): ``nces_id``, ``mdr_number``, the district's
ids (``sis_id``, ``school_number``, ``state_id``), then the normalised name (``Lincoln
Elem.`` = ``Lincoln Elementary School``; ``PS 12`` = ``Public School 12`` = ``#12``), the
kind of school, address, city, zip and phone.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import polars as pl

from matchengine import clever as clever_io
from matchengine.errors import InvalidDataError
from matchengine.normalize import map_unique, text_column
from matchengine.orgs import values as v
from matchengine.orgs.common import Options, decisions_for, link, start
from matchengine.orgs.common import result as make_result
from matchengine.orgs.common import write as write_out
from matchengine.pipeline import MatchResult

ROLE = "school"
_IDS = ("sis_id", "school_number", "state_id")


def normalize_schools(raw: pl.DataFrame) -> pl.DataFrame:
    """Comparison columns for schools from String columns named by field (any may be
    missing): ``name, sis_id, school_number, state_id, nces_id, mdr_number, low_grade,
    high_grade, address, city, state, zip, phone``."""
    col = partial(text_column, raw)

    text = pl.String()
    out: dict[str, pl.Series] = {}
    name = col("name")
    out["name"] = map_unique(name, v.school_name, text)
    out["name_core"] = map_unique(name, v.school_core, text)
    out["name_number"] = map_unique(name, v.school_number_in_name, text)
    out["name_tokens"] = out["name"].str.split(" ")
    low, high = col("low_grade").to_list(), col("high_grade").to_list()
    out["school_type"] = pl.Series(
        [v.school_type(a, b, c) for a, b, c in zip(name.to_list(), low, high, strict=True)],
        dtype=text,
    )
    out["grade_span"] = pl.Series(
        [v.grade_span(a, b) for a, b in zip(low, high, strict=True)], dtype=text
    )
    out["nces_id"] = map_unique(col("nces_id"), v.nces_school, text)
    out["mdr_number"] = map_unique(col("mdr_number"), v.org_id, text)
    for f in _IDS:
        out[f] = map_unique(col(f), v.org_id, text)
    ids = pl.DataFrame({f: out[f] for f in _IDS})
    any_ids = ids.select(
        pl.concat_list(pl.all()).list.drop_nulls().list.unique(maintain_order=True)
    ).to_series()
    out["any_ids"] = any_ids.set(any_ids.list.len() == 0, None)
    addr = map_unique(col("address"), v.address, text)
    out["address"] = addr
    out["address_key"] = map_unique(addr, v.address_key, text)
    out["city"] = map_unique(col("city"), v.city, text)
    out["state"] = map_unique(col("state"), v.state, text)
    out["zip"] = map_unique(col("zip"), v.zip_code, text)
    out["phone"] = map_unique(col("phone"), v.phone, text)
    return pl.DataFrame([s.alias(k) for k, s in out.items()])


def match_schools(
    app_csv: str | Path, clever_path: str | Path, out: Path, opts: Options
) -> MatchResult:
    clock, rules, app = start(app_csv, out, opts, ROLE)
    clever_df = clever_io.load_schools(clever_path)
    if clever_df.height == 0:
        raise InvalidDataError(
            f"{clever_path}: no Clever schools found (looked for schools.ndjson, .jsonl, "
            ".json); put the district's schools export there and re-run"
        )
    raw = pl.DataFrame(
        {f: app.values(f) for f in app.mapping} or {"name": [None] * app.n},
        schema={f: pl.String for f in (app.mapping or {"name": ""})},
    )
    forced = decisions_for(app, clever_df["id"].to_list(), opts)
    clock.lap("load")
    clock.say("normalise")
    app_n = normalize_schools(raw)
    clever_n = normalize_schools(clever_df)
    clock.lap("normalise")
    clock.say("score")
    linked = link(app_n, clever_n, rules, opts, forced=forced)
    clock.lap("score")
    clock.say("write")
    rows = write_out(out, ROLE, app, clever_df, linked.resolution, opts)
    clock.lap("write")
    return make_result(
        out, ROLE, rules, opts, app, clever_df.height, linked, rows, clock, forced=len(forced)
    )
