"""``--role user`` (or ``--consolidate``): multi-role users, one Clever id per person.

One Clever user may hold the teacher, staff and district_admin roles.  Every employee role
of every user becomes one candidate row with that role's fields (a teacher row: SIS id,
teacher number, state id, title, schools; a staff row: staff id, title, department,
schools; district_admin fills the staff row's gaps); each app account is scored against
every row, and the best-scoring row of each user stands for the user.  Resolution then
sees users, so a person is matched once, with all their roles in ``clever.roles`` and the
role that matched in ``match.evidence`` (``matched_role=staff``).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from matchengine import clever as clever_io
from matchengine.errors import InvalidDataError
from matchengine.link import APP, CLEVER, ScoredPairs
from matchengine.matchmaker import CLEVER_FIELDS
from matchengine.normalize import normalize_people
from matchengine.orgs.common import (
    Options,
    PairsHook,
    decisions_for,
    link,
    start,
)
from matchengine.orgs.common import result as make_result
from matchengine.orgs.common import write as write_out
from matchengine.pipeline import MatchResult

ROLE = "user"
_ROW_ROLES = ("teacher", "staff")


def load_users(clever_path: str | Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(one row per employee role of each user, one output row per user).

    The role rows carry ``_user`` (the user's row in the output frame) and ``_role``.
    """
    teachers = clever_io.load_role(clever_path, "teacher")
    staff = clever_io.load_role(clever_path, "staff")
    staff_roles = dict(zip(staff["id"].to_list(), staff["roles"].to_list(), strict=True))
    ids = sorted(set(teachers["id"].to_list()) | set(staff_roles))
    index = {uid: i for i, uid in enumerate(ids)}

    # Output: the teacher fields when the user teaches, else the staff role's.
    school_names = dict(
        zip(*clever_io.load_schools(clever_path).select("id", "name").get_columns(), strict=True)
    )
    fields = CLEVER_FIELDS[ROLE]
    t_rows = {r["id"]: r for r in teachers.iter_rows(named=True)}
    s_rows = {r["id"]: r for r in staff.iter_rows(named=True)}
    columns: dict[str, list[str]] = {f: [] for f in fields}
    for uid in ids:
        t, s = t_rows.get(uid), s_rows.get(uid)
        for f in fields:
            if f == "roles":
                value = staff_roles.get(uid) or "teacher"
            elif t is not None and f in t:
                value = t[f]
            elif s is not None and f == "sis_id":
                value = s["staff_id"]
            elif s is not None and f == "school":
                value = s["schools"].split(";")[0]
            elif s is not None and f == "school_name":
                value = school_names.get(s["schools"].split(";")[0], "")
            elif s is not None and f in s:
                value = s[f]
            else:
                value = ""
            columns[f].append(value or "")
    output = pl.DataFrame(columns, schema={f: pl.String for f in fields})

    parts = []
    for role, frame in (("teacher", teachers), ("staff", staff)):
        keep = [c for c in frame.columns if c != "roles"]
        if role == "staff":  # the staff row stands for the staff and district_admin roles
            held = [set(r.split(";")) for r in frame["roles"].to_list()]
            labels = ["+".join(k for k in ("staff", "district_admin") if k in h) for h in held]
        else:
            labels = ["teacher"] * frame.height
        part = frame.select(keep).with_columns(
            pl.Series("_user", [index[u] for u in frame["id"].to_list()], dtype=pl.Int64),
            pl.Series("_role", labels, dtype=pl.String),
        )
        parts.append(part)
    rows = pl.concat(parts, how="diagonal_relaxed")
    return rows, output


def _clever_frame(df: pl.DataFrame) -> pl.DataFrame:
    renames = {"_preferred_first_name": "preferred_first_name"}
    return df.rename({k: val for k, val in renames.items() if k in df.columns})


def collapse_to_users(user_of_row: list[int]) -> PairsHook:
    """A pairs hook: role rows -> users, keeping each (record, user) pair's best row."""

    def hook(con: duckdb.DuckDBPyConnection, pairs: ScoredPairs) -> ScoredPairs:
        mapping = pl.DataFrame(
            {
                "row_id": pl.Series(range(len(user_of_row)), dtype=pl.Int64),
                "user_id": pl.Series(user_of_row, dtype=pl.Int64),
            }
        ).to_arrow()
        con.register("me_user_map_arrow", mapping)
        con.execute("CREATE OR REPLACE TABLE me_user_map AS SELECT * FROM me_user_map_arrow")
        con.unregister("me_user_map_arrow")
        gamma_cols = [
            c
            for (c,) in con.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = ? AND column_name LIKE 'gamma_%' ORDER BY ordinal_position",
                [pairs.table],
            ).fetchall()
        ]
        gammas = ", ".join(f"p.{c}" for c in gamma_cols)
        con.execute(
            f"""
            CREATE OR REPLACE TABLE me_user_pairs AS
            WITH mapped AS (
                SELECT
                    p.side_l,
                    CASE WHEN p.side_l = 'clever' THEN ml.user_id ELSE p.id_l END AS id_l,
                    p.side_r,
                    CASE WHEN p.side_r = 'clever' THEN mr.user_id ELSE p.id_r END AS id_r,
                    p.weight,
                    {gammas},
                    p.id_r AS role_row
                FROM {pairs.table} p
                LEFT JOIN me_user_map ml ON p.side_l = 'clever' AND ml.row_id = p.id_l
                LEFT JOIN me_user_map mr ON p.side_r = 'clever' AND mr.row_id = p.id_r
            )
            SELECT * FROM mapped
            WHERE NOT (side_l = side_r AND side_l = 'clever' AND id_l = id_r)
            QUALIFY row_number() OVER (
                PARTITION BY side_l, side_r, least(id_l, id_r), greatest(id_l, id_r)
                ORDER BY weight DESC, role_row
            ) = 1
            """
        )
        count = con.execute("SELECT count(*) FROM me_user_pairs").fetchall()[0][0]
        return ScoredPairs(con, "me_user_pairs", int(count))

    return hook


def match_users(
    app_csv: str | Path, clever_path: str | Path, out: Path, opts: Options
) -> MatchResult:
    clock, rules, app = start(app_csv, out, opts, ROLE)
    rows, users = load_users(clever_path)
    if users.height == 0:
        raise InvalidDataError(
            f"{clever_path}: no Clever users hold a teacher, staff or district_admin role"
        )
    forced = decisions_for(app, users["id"].to_list(), opts)
    raw = pl.DataFrame(
        {f: app.values(f) for f in app.mapping} or {"first_name": [None] * app.n},
    ).cast(pl.String)
    clock.lap("load")
    clock.say("normalise")
    app_n = normalize_people(raw)
    clever_n = normalize_people(_clever_frame(rows))
    user_of_row: list[int] = rows["_user"].to_list()
    role_of_row: list[str] = rows["_role"].to_list()
    # Strong ids per user: a user's value is its first role row's.
    strong: dict[str, list[str | None]] = {}
    for c in rules.strong_ids:
        if c not in clever_n.columns:
            continue
        values: list[str | None] = [None] * users.height
        for u, x in zip(user_of_row, clever_n[c].to_list(), strict=True):
            if values[u] is None:
                values[u] = x
        strong[c] = values
    clock.lap("normalise")
    clock.say("score")
    hook = collapse_to_users(user_of_row)
    linked = link(
        app_n,
        clever_n,
        rules,
        opts,
        n_clever=users.height,
        clever_strong=strong,
        hook=hook,
        fetch="SELECT id_l, id_r, role_row FROM {pairs} WHERE side_l = 'app' AND side_r = 'clever'",
        forced=forced,
    )
    role_by_pair: dict[tuple[int, int], str] = {}
    if linked.extra is not None:
        for a, u, r in linked.extra.iter_rows():
            role_by_pair[(a, u)] = role_of_row[r]
    resolution = linked.resolution
    app_outcomes, user_outcomes = resolution.app, resolution.clever
    for i, o in enumerate(app_outcomes):
        other = o.partner if o.partner is not None else o.candidate
        matched = role_by_pair.get((i, other)) if other is not None else None
        if matched:
            o.evidence = "; ".join(x for x in (f"matched_role={matched}", o.evidence) if x)
            if o.partner is not None:
                user_outcomes[o.partner].evidence = o.evidence
    for row, o in enumerate(user_outcomes):
        if o.partner is None and o.candidate is not None:
            matched = role_by_pair.get((o.candidate, row))
            if matched:
                o.evidence = "; ".join(x for x in (f"matched_role={matched}", o.evidence) if x)
    resolution.set_evidence(APP, [o.evidence for o in app_outcomes])
    resolution.set_evidence(CLEVER, [o.evidence for o in user_outcomes])
    clock.lap("score")
    clock.say("write")
    n_out = write_out(out, ROLE, app, users, linked.resolution, opts)
    clock.lap("write")
    return make_result(
        out, ROLE, rules, opts, app, users.height, linked, n_out, clock, forced=len(forced)
    )
