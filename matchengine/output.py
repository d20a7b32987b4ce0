"""The Matchmaker-format writer: one row per record, app rows first, then Clever-only rows."""

from __future__ import annotations

from collections.abc import Sequence
from operator import attrgetter
from pathlib import Path

import polars as pl

from matchengine import matchmaker as mm
from matchengine.atomic import atomic_dir
from matchengine.csvfile import write_frame
from matchengine.resolve import Outcome, Resolution

# Written only when a review band is given: "yes" on rows a person should look at.
REVIEW_COLUMN = "match.review"
ReviewBand = tuple[float, float]
OUT_FORMATS = ("csv", "parquet")
# Rows per file of a Parquet output folder: files a cluster job can read in parallel.
PARQUET_ROWS_PER_FILE = 1_000_000


def needs_review(o: Outcome, band: ReviewBand) -> bool:
    """The row's pair (its match, or its best candidate) has a probability inside ``band``.

    Decided rows were reviewed already and are never marked.
    """
    return not o.decided and o.probability is not None and band[0] <= o.probability <= band[1]


def result_frame(
    role: str,
    app_header: Sequence[str],
    app_columns: Sequence[Sequence[str] | pl.Series],
    app_ids: Sequence[str],
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
    clever_ids: list[str] = clever["id"].to_list()
    source = clever.select(
        [
            (pl.col(f) if f in clever.columns else pl.lit(None, dtype=pl.String)).alias(
                f"clever.{f}"
            )
            for f in fields
        ]
    ).with_row_index("__row")

    # One pass reads every outcome's fields (attribute access per column per row cost
    # seconds at a million rows).
    fields_of = attrgetter(
        "status", "probability", "weight", "evidence", "duplicate_of", "candidate"
    )

    def tail(
        outcomes: Sequence[Outcome], own: Sequence[str], other: Sequence[str]
    ) -> dict[str, list[str]]:
        if not outcomes:
            status: Sequence[str] = ()
            probs: Sequence[float | None] = ()
            weights: Sequence[float | None] = ()
            evidence: Sequence[str] = ()
            dups: Sequence[Sequence[int]] = ()
            cands: Sequence[int | None] = ()
        else:
            status, probs, weights, evidence, dups, cands = zip(
                *map(fields_of, outcomes), strict=True
            )
        cols: dict[str, list[str]] = {mm.RESULT_COLUMN: list(status)}
        if extras:
            cols["match.probability"] = ["" if p is None else f"{p:.4f}" for p in probs]
            cols["match.weight"] = ["" if w is None else f"{w:.2f}" for w in weights]
            cols["match.evidence"] = list(evidence)
            cols["match.duplicate_of"] = [
                ";".join([own[d] for d in ds]) if ds else "" for ds in dups
            ]
            match = mm.MATCH
            cols["match.candidate"] = [
                other[c] if c is not None and s != match else ""
                for s, c in zip(status, cands, strict=True)
            ]
        if review_band is not None:
            cols[REVIEW_COLUMN] = ["yes" if needs_review(o, review_band) else "" for o in outcomes]
        return cols

    partners = [o.partner if o.status == mm.MATCH else None for o in resolution.app]
    app_part = pl.DataFrame(
        {
            f"app.{h}": pl.Series(values, dtype=pl.String)
            for h, values in zip(app_header, app_columns, strict=True)
        }
        | {"__row": pl.Series(partners, dtype=pl.UInt32)},
    )
    app_part = app_part.join(source, on="__row", how="left", maintain_order="left").drop("__row")
    app_part = app_part.hstack(
        pl.DataFrame(
            tail(resolution.app, app_ids, clever_ids),
            schema={k: pl.String for k in tail(resolution.app[:0], app_ids, clever_ids)},
        )
    )
    # Clever rows by id (polars sorts strings by code point, as Python does).
    by_id: list[int] = (
        clever.select("id").with_row_index("i").sort("id", maintain_order=True)["i"].to_list()
    )
    unmatched = [c for c in by_id if resolution.clever[c].status != mm.MATCH]
    outcomes = [resolution.clever[c] for c in unmatched]
    clever_part = (
        pl.DataFrame({"__row": pl.Series(unmatched, dtype=pl.UInt32)})
        .join(source, on="__row", how="left", maintain_order="left")
        .drop("__row")
    )
    clever_part = pl.concat(
        [
            pl.DataFrame(
                {
                    f"app.{h}": pl.Series([None] * len(unmatched), dtype=pl.String)
                    for h in app_header
                }
            ),
            clever_part,
            pl.DataFrame(
                tail(outcomes, clever_ids, app_ids),
                schema={k: pl.String for k in tail(outcomes[:0], clever_ids, app_ids)},
            ),
        ],
        how="horizontal",
    )
    frame = pl.concat([app_part, clever_part.select(app_part.columns)], how="vertical")
    assert frame.columns == header, (frame.columns, header)
    assert frame.height == n_app + len(unmatched)
    return frame


def write_results(
    path: str | Path,
    role: str,
    app_header: Sequence[str],
    app_columns: Sequence[Sequence[str] | pl.Series],
    app_ids: Sequence[str],
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
