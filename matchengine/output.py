"""The Matchmaker-format writer: one row per record, app rows first, then Clever-only rows."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import polars as pl

from matchengine import matchmaker as mm
from matchengine.atomic import atomic_dir
from matchengine.csvfile import write_frame
from matchengine.resolve import Resolution

# Written only when a review band is given: "yes" on rows a person should look at.
REVIEW_COLUMN = "match.review"
ReviewBand = tuple[float, float]
OUT_FORMATS = ("csv", "parquet")
# Rows per file of a Parquet output folder: files a cluster job can read in parallel.
PARQUET_ROWS_PER_FILE = 1_000_000


def _review_expr(band: ReviewBand) -> pl.Expr:
    """The row's pair (its match, or its best candidate) has a probability inside
    ``band``.  Decided rows were reviewed already and are never marked."""
    prob = pl.col("probability")
    return ~pl.col("decided") & prob.is_not_null() & (prob >= band[0]) & (prob <= band[1])


def _formatted(values: pl.Series, spec: str) -> pl.Series:
    """``values`` as text by Python's ``format`` (blank for null), each distinct value
    formatted once."""
    distinct = values.drop_nulls().unique()
    text = [format(v, spec) for v in distinct.to_list()]
    return values.replace_strict(
        distinct, pl.Series(text, dtype=pl.String), default="", return_dtype=pl.String
    )


def _ids_at(rows: pl.Series, ids: pl.Series) -> pl.Series:
    """``ids[row]`` for each row (blank where the row is null)."""
    return ids.gather(rows).fill_null("")


def _joined_ids(rows: pl.Series, ids: pl.Series) -> pl.Series:
    """Each list of rows as their ids joined by ``;`` (blank for an empty or null list)."""
    members = pl.DataFrame({"rows": rows}).with_row_index("i").explode("rows").drop_nulls()
    parts = (
        members.with_columns(id=ids.gather(members["rows"]))
        .group_by("i", maintain_order=True)
        .agg(pl.col("id").str.join(";"))
    )
    return (
        pl.DataFrame({"i": pl.int_range(rows.len(), dtype=pl.UInt32, eager=True)})
        .join(parts, on="i", how="left", maintain_order="left")
        .get_column("id")
        .fill_null("")
    )


def result_frame(
    role: str,
    app_header: Sequence[str],
    app_columns: Sequence[Sequence[str] | pl.Series],
    app_ids: Sequence[str] | pl.Series,
    clever: pl.DataFrame,
    resolution: Resolution,
    *,
    extras: bool = True,
    review_band: ReviewBand | None = None,
) -> pl.DataFrame:
    """The output rows as a frame of String columns (app rows in input order, then unmatched Clever rows by id)."""
    header = mm.output_header(list(app_header), role, extras)
    if review_band is not None:
        header.append(REVIEW_COLUMN)
    fields = mm.CLEVER_FIELDS[role]
    n_app = len(app_ids)
    source = clever.select(
        [
            (pl.col(f) if f in clever.columns else pl.lit(None, dtype=pl.String)).alias(
                f"clever.{f}"
            )
            for f in fields
        ]
    ).with_row_index("__row")

    app_id_series = pl.Series(app_ids, dtype=pl.String)
    clever_id_series = clever["id"].cast(pl.String)

    def tail(table: pl.DataFrame, own: pl.Series, other: pl.Series) -> pl.DataFrame:
        """The result columns of the rows of ``table`` (an outcome table or a part)."""
        cols: dict[str, pl.Series] = {mm.RESULT_COLUMN: table["status"]}
        if extras:
            cols["match.probability"] = _formatted(table["probability"], ".4f")
            cols["match.weight"] = _formatted(table["weight"], ".2f")
            cols["match.evidence"] = table["evidence"].fill_null("")
            cols["match.duplicate_of"] = _joined_ids(table["duplicate_of"], own)
            cols["match.candidate"] = _ids_at(
                table.select(
                    pl.when(pl.col("status") != mm.MATCH).then(pl.col("candidate"))
                ).to_series(),
                other,
            )
        if review_band is not None:
            cols[REVIEW_COLUMN] = table.select(
                pl.when(_review_expr(review_band)).then(pl.lit("yes")).otherwise(pl.lit(""))
            ).to_series()
        return pl.DataFrame([c.alias(name) for name, c in cols.items()])

    app_table = resolution.app_table
    partners = app_table.select(
        pl.when(pl.col("status") == mm.MATCH).then(pl.col("partner")).cast(pl.UInt32)
    ).to_series()
    app_part = pl.DataFrame(
        {
            f"app.{h}": pl.Series(values, dtype=pl.String)
            for h, values in zip(app_header, app_columns, strict=True)
        }
        | {"__row": partners},
    )
    app_part = app_part.join(source, on="__row", how="left", maintain_order="left").drop("__row")
    app_part = app_part.hstack(tail(app_table, app_id_series, clever_id_series))
    # Clever rows by id (polars sorts strings by code point, as Python does).
    by_id = clever.select("id").with_row_index("__row").sort("id", maintain_order=True)
    clever_table = resolution.clever_table.with_row_index("__row")
    unmatched = (
        by_id.select("__row")
        .join(clever_table, on="__row", how="left", maintain_order="left")
        .filter(pl.col("status") != mm.MATCH)
    )
    clever_part = (
        unmatched.select("__row")
        .join(source, on="__row", how="left", maintain_order="left")
        .drop("__row")
    )
    clever_part = pl.concat(
        [
            pl.DataFrame(
                {
                    f"app.{h}": pl.Series([None] * unmatched.height, dtype=pl.String)
                    for h in app_header
                }
            ),
            clever_part,
            tail(unmatched, clever_id_series, app_id_series),
        ],
        how="horizontal",
    )
    frame = pl.concat([app_part, clever_part.select(app_part.columns)], how="vertical")
    assert frame.columns == header, (frame.columns, header)
    assert frame.height == n_app + unmatched.height
    return frame


def write_results(
    path: str | Path,
    role: str,
    app_header: Sequence[str],
    app_columns: Sequence[Sequence[str] | pl.Series],
    app_ids: Sequence[str] | pl.Series,
    clever: pl.DataFrame,
    resolution: Resolution,
    *,
    extras: bool = True,
    review_band: ReviewBand | None = None,
    out_format: str = "csv",
) -> int:
    """Write the Matchmaker CSV atomically; return the number of data rows.

    ``out_format="parquet"`` writes the same rows and columns (all text; a blank cell is
    null) as a folder of Parquet files instead, ``part-00000.parquet`` and on, in order.
    """
    frame = result_frame(
        role,
        app_header,
        app_columns,
        app_ids,
        clever,
        resolution,
        extras=extras,
        review_band=review_band,
    )
    if out_format == "parquet":
        write_parquet_dir(path, frame)
    else:
        write_frame(path, frame)
    return frame.height


def write_parquet_dir(path: str | Path, frame: pl.DataFrame) -> None:
    """``frame`` as a folder of Parquet files that appears only when complete."""
    frame = frame.select(pl.all().replace("", None))  # a blank cell is null, never ""
    with atomic_dir(path) as folder:
        parts = max(1, -(-frame.height // PARQUET_ROWS_PER_FILE))
        for i in range(parts):
            part = frame.slice(i * PARQUET_ROWS_PER_FILE, PARQUET_ROWS_PER_FILE)
            part.write_parquet(folder / f"part-{i:05d}.parquet", statistics=False)
