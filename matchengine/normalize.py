"""Normalisation of matching values: names, ids, dates, emails, grades, schools.

These shadows are used only for comparison; output values are always the raw ones.
Each function maps one raw string to its normal form, or ``None`` when the value
carries no information (blank, placeholder, unparseable).  ``normalize_frame`` applies
them column-wise, computing each distinct raw value once.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache, partial

import jellyfish
import polars as pl

from matchengine.nicknames import name_forms

_SPACE_RE = re.compile(r"\s+")
_NAME_DROP_RE = re.compile(r"[^0-9a-z ]+")
_NAME_SEP_RE = re.compile(r"[-‐‑‒–—_.,/;:()&+]+")
_APOSTROPHE_RE = re.compile(r"['’‘`´ʼ]")
_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv", "v", "2nd", "3rd"})
_BLANKS = frozenset({"", "null", "none", "n/a", "na", "nan", "#n/a", "-", "--", "?", "unknown"})


def fold_text(value: str) -> str:
    """Lower-case, strip accents (é -> e, ñ -> n, ß -> ss), collapse whitespace."""
    text = unicodedata.normalize("NFKD", value.casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _SPACE_RE.sub(" ", text).strip()


def is_blank(value: str | None) -> bool:
    return value is None or value.strip().casefold() in _BLANKS


@lru_cache(maxsize=200_000)
def norm_name(value: str | None) -> str | None:
    """``  O'Brien-Smith Jr. `` -> ``obrien smith``; ``José`` -> ``jose``."""
    if is_blank(value):
        return None
    assert value is not None
    text = _APOSTROPHE_RE.sub("", fold_text(value))
    text = _NAME_SEP_RE.sub(" ", text)
    text = _NAME_DROP_RE.sub("", text)
    tokens = text.split()
    while len(tokens) > 1 and tokens[-1] in _SUFFIXES:
        tokens.pop()
    return " ".join(tokens) or None


def name_tokens(value: str | None) -> list[str] | None:
    n = norm_name(value)
    return n.split() if n else None


@lru_cache(maxsize=200_000)
def phonetic(value: str | None) -> str | None:
    """Metaphone of the first token of a normalised name (for blocking)."""
    if not value:
        return None
    token = value.split()[0]
    return jellyfish.metaphone(token) or token


# Excel's scientific display of a long number: one digit, then a fraction or an explicit
# "+" exponent (1.2345E+07, 1E+07).  Codes such as 45E1045 or 4E10 are not numbers.
_SCI_RE = re.compile(r"^\d(?:\.\d+[eE]\+?|[eE]\+)\d{1,2}$")
_DOT_ZERO_RE = re.compile(r"^(\d+)\.0+$")
_ID_DROP_RE = re.compile(r"[\s\-_/.]+")


@lru_cache(maxsize=500_000)
def norm_id(value: str | None) -> str | None:
    """An identifier's comparison form: Excel damage undone, case folded, zeros stripped.

    ``00123`` -> ``123``, ``123.0`` -> ``123``, ``1.2345E+07`` -> ``12345000``,
    `` ab-12 `` -> ``AB12``.
    """
    if is_blank(value):
        return None
    assert value is not None
    text = value.strip()
    if _SCI_RE.match(text):
        try:
            number = Decimal(text)
            if number == number.to_integral_value():
                text = str(int(number))
        except InvalidOperation:
            pass
    m = _DOT_ZERO_RE.match(text)
    if m:
        text = m.group(1)
    text = _ID_DROP_RE.sub("", text).upper()
    stripped = text.lstrip("0")
    if not text:
        return None
    return stripped or "0"


@lru_cache(maxsize=200_000)
def norm_email(value: str | None) -> str | None:
    """Lower-cased, trimmed email; values without ``@`` are kept (some districts use ids)."""
    if is_blank(value):
        return None
    assert value is not None
    text = value.strip().strip("<>").strip().lower()
    if text.startswith("mailto:"):
        text = text[len("mailto:") :]
    return text or None


def email_local(value: str | None) -> str | None:
    if not value:
        return None
    local = value.split("@", 1)[0]
    return local or None


_DATE_PATTERNS = (
    # (regex, order of groups) -- order letters y, m, d
    (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?$"), "ymd"),
    (re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"), "ymd"),
    (re.compile(r"^(\d{4})(\d{2})(\d{2})$"), "ymd"),
    (re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:\s.*)?$"), "mdy"),
    (re.compile(r"^(\d{1,2})-(\d{1,2})-(\d{4})$"), "mdy"),
    (re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$"), "dmy"),
    (re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{2})$"), "mdy2"),
)
_EXCEL_EPOCH = date(1899, 12, 30)


def _valid_date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _date_fields(text: str) -> tuple[int, int, int] | None:
    """(year, month, day) as written, month first for slash dates unless impossible."""
    for pattern, order in _DATE_PATTERNS:
        m = pattern.match(text)
        if not m:
            continue
        a, b, c = (int(g) for g in m.groups())
        if order == "ymd":
            return a, b, c
        if order == "dmy":
            return c, b, a
        year = c
        if order == "mdy2":
            year = 2000 + c if c <= date.today().year % 100 else 1900 + c
        if a > 12 >= b:
            return year, b, a
        return year, a, b
    return None


@lru_cache(maxsize=200_000)
def parse_date(value: str | None) -> date | None:
    """Parse M/D/YYYY, MM/DD/YYYY, YYYY-MM-DD, ISO timestamps, D.M.YYYY, M/D/YY, Excel serials.

    Slash dates are read month first (Clever's and US usage); a slash date whose first
    part cannot be a month (``25/03/2010``) is read day first.
    """
    if is_blank(value):
        return None
    assert value is not None
    text = value.strip()
    if text.isdigit() and 5 <= len(text) <= 5 and 10000 <= int(text) <= 60000:
        return _EXCEL_EPOCH + timedelta(days=int(text))
    fields = _date_fields(text)
    return _valid_date(*fields) if fields else None


_PARTIAL_PATTERNS = (
    (re.compile(r"^(\d{4})$"), "y"),
    (re.compile(r"^(\d{1,2})/(\d{4})$"), "my"),
    (re.compile(r"^(\d{4})-(\d{1,2})$"), "ym"),
)


def partial_date(value: str) -> str | None:
    """``2010`` -> ``2010``; ``3/2010`` and ``2010-03`` -> ``2010-03`` (else None)."""
    text = value.strip()
    for pattern, order in _PARTIAL_PATTERNS:
        m = pattern.match(text)
        if not m:
            continue
        if order == "y":
            year, month = int(m.group(1)), None
        elif order == "my":
            month, year = int(m.group(1)), int(m.group(2))
        else:
            year, month = int(m.group(1)), int(m.group(2))
        if not 1900 <= year <= 2100 or (month is not None and not 1 <= month <= 12):
            return None
        return f"{year:04d}" if month is None else f"{year:04d}-{month:02d}"
    return None


@lru_cache(maxsize=200_000)
def norm_date(value: str | None) -> str | None:
    """ISO ``YYYY-MM-DD``; a partial date keeps what it has (``YYYY-MM`` or ``YYYY``).

    A date that is not on the calendar (``2/30/2010``, a day of 71) is still written in
    the ISO shape, so an identical typo on both sides agrees and a year or month can.
    """
    d = parse_date(value)
    if d:
        return d.isoformat()
    if not value or is_blank(value):
        return None
    fields = _date_fields(value.strip())
    if fields and 1000 <= fields[0] <= 9999 and 0 <= fields[1] <= 99 and 0 <= fields[2] <= 99:
        return f"{fields[0]:04d}-{fields[1]:02d}-{fields[2]:02d}"
    return partial_date(value)


def swap_day_month(iso: str | None) -> str | None:
    """``2010-03-04`` -> ``2010-04-03`` (None when the swap is not a date or changes nothing)."""
    if not iso or len(iso) != 10:
        return None
    y, m, d = int(iso[:4]), int(iso[5:7]), int(iso[8:10])
    if m == d:
        return None
    swapped = _valid_date(y, d, m)
    return swapped.isoformat() if swapped else None


_GRADE_WORDS = {
    "k": "K",
    "kg": "K",
    "kinder": "K",
    "kindergarten": "K",
    "0": "K",
    "00": "K",
    "pk": "PK",
    "prek": "PK",
    "prekindergarten": "PK",
    "p": "PK",
    "preschool": "PS",
    "ps": "PS",
    "tk": "TK",
    "transitionalkindergarten": "TK",
    "infanttoddler": "IT",
    "it": "IT",
    "postgraduate": "PG",
    "pg": "PG",
    "ungraded": "UG",
    "ug": "UG",
    "other": "OTHER",
}
_GRADE_NUM_RE = re.compile(r"^(?:grade)?0*(\d{1,2})(?:st|nd|rd|th)?(?:grade)?$")


@lru_cache(maxsize=1000)
def norm_grade(value: str | None) -> str | None:
    """``Kindergarten``/``KG``/``0`` -> ``K``; ``01``/``1st``/``Grade 1`` -> ``1``."""
    if is_blank(value):
        return None
    assert value is not None
    key = re.sub(r"[\s\-_.]+", "", fold_text(value))
    if key in _GRADE_WORDS:
        return _GRADE_WORDS[key]
    m = _GRADE_NUM_RE.match(key)
    if m:
        n = int(m.group(1))
        return "K" if n == 0 else str(n)
    return key.upper() or None


def grade_rank(grade: str | None) -> int | None:
    """Ordinal for adjacency: PK=-1, TK/K=0, 1..13; others None."""
    if grade is None:
        return None
    if grade.isdigit():
        return int(grade)
    return {"PK": -1, "TK": 0, "K": 0, "PS": -2, "IT": -3}.get(grade)


_SCHOOL_ABBREV = {
    "elem": "elementary",
    "el": "elementary",
    "es": "elementary",
    "ms": "middle",
    "mid": "middle",
    "hs": "high",
    "jr": "junior",
    "sr": "senior",
    "sch": "school",
    "schl": "school",
    "acad": "academy",
    "ctr": "center",
    "st": "saint",
    "intl": "international",
    "prep": "preparatory",
}
_SCHOOL_NOISE = frozenset({"school", "the", "of"})


@lru_cache(maxsize=100_000)
def norm_school_name(value: str | None) -> str | None:
    """``Lincoln Elem.`` and ``LINCOLN ELEMENTARY SCHOOL`` -> ``lincoln elementary``."""
    name = norm_name(value.replace("#", " ") if value else value)
    if not name:
        return None
    tokens = [_SCHOOL_ABBREV.get(t, t) for t in name.split()]
    kept = [t for t in tokens if t not in _SCHOOL_NOISE]
    return " ".join(kept or tokens)


def school_keys(values: list[str] | None) -> list[str] | None:
    """Comparison keys for school references: an id form and a name form of each value."""
    if not values:
        return None
    keys: list[str] = []
    for v in values:
        for k in (norm_id(v), norm_school_name(v)):
            if k and k not in keys:
                keys.append(k)
    return keys or None


# ---------------------------------------------------------------------------------------
# Column-wise application.


def hash_keys(lists: pl.Series) -> pl.Series:
    """A List(String) column of keys that are only ever tested for overlap, as 64-bit hashes.

    School keys include long school names: as text they were a third of a normalised table,
    and at a million students Splink's joins carrying them outgrew DuckDB's memory limit
    and spilled (four seconds of scoring).  A collision among the few thousand distinct
    keys of a district is vanishingly unlikely (about one in 10^12).  Signed, because Spark
    has no unsigned integers.
    """
    return lists.list.eval(pl.element().hash().reinterpret(signed=True))


def text_column(raw: pl.DataFrame, name: str) -> pl.Series:
    """Column ``name`` of ``raw`` as String, or all nulls when ``raw`` lacks it."""
    if name in raw.columns:
        return raw[name].cast(pl.String)
    return pl.Series(name, [None] * raw.height, dtype=pl.String)


def map_unique(
    series: pl.Series,
    fn: Callable[[str | None], object],
    dtype: pl.DataType,
    *,
    then: Callable[[pl.Series], pl.Series] | None = None,
) -> pl.Series:
    """Apply ``fn`` once per distinct value of ``series`` and broadcast the results
    (``then``, a vectorised step, is applied to the distinct results first)."""
    uniques = series.unique()
    mapped = pl.Series([fn(v) for v in uniques.to_list()], dtype=dtype)
    if then is not None:
        mapped = then(mapped)
    lookup = pl.DataFrame({"__k": uniques, "__v": mapped})
    joined = pl.DataFrame({"__k": series}).join(
        lookup, on="__k", how="left", maintain_order="left", nulls_equal=True
    )
    return joined["__v"].alias(series.name)


# What Python's str.strip() removes (Rust's, under polars, omits \x1c-\x1f).
_PY_WHITESPACE = "".join(chr(c) for c in range(0x110000) if chr(c).isspace())


def norm_email_series(series: pl.Series) -> pl.Series:
    """``norm_email`` for a whole column, vectorised (emails are nearly all distinct)."""
    text = series.cast(pl.String).str.strip_chars(_PY_WHITESPACE)
    blank = text.is_null() | text.str.to_lowercase().is_in(list(_BLANKS))
    cleaned = (
        text.str.strip_chars("<>")
        .str.strip_chars(_PY_WHITESPACE)
        .str.to_lowercase()
        .str.strip_prefix("mailto:")
    )
    return (
        pl.select(pl.when(blank | (cleaned == "")).then(None).otherwise(cleaned).alias(series.name))
        .to_series()
        .cast(pl.String)
    )


def norm_id_series(series: pl.Series) -> pl.Series:
    """``norm_id`` for a whole column, vectorised (ids are nearly all distinct)."""
    if series.null_count() == series.len():  # a field the side does not have
        return series.cast(pl.String)
    text = series.cast(pl.String).str.strip_chars()
    blank = text.is_null() | text.str.to_lowercase().is_in(list(_BLANKS))
    sci = text.str.contains(_SCI_RE.pattern).fill_null(False)
    if sci.any():  # rare: fix those few values one by one
        fixed = text.filter(sci).map_elements(lambda v: norm_id(v), return_dtype=pl.String)
        text = text.scatter(sci.arg_true(), fixed)
    cleaned = (
        text.str.replace(r"^(\d+)\.0+$", "${1}")
        .str.replace_all(r"[\s\-_/.]+", "")
        .str.to_uppercase()
    )
    stripped = cleaned.str.strip_chars_start("0")
    out = (
        pl.select(
            pl.when(blank | (cleaned == ""))
            .then(None)
            .when(stripped == "")
            .then(pl.lit("0"))
            .otherwise(stripped)
            .alias(series.name)
        )
        .to_series()
        .cast(pl.String)
    )
    if sci.any():  # norm_id already finished these
        out = out.scatter(sci.arg_true(), text.filter(sci))
    return out


_SEP = "\x1f"  # joins values into one key; never part of a name or an id


def _first_forms(key: str | None) -> list[str] | None:
    """The first-name forms of a (first, preferred) pair: each name, its first word and
    the name without spaces."""
    if not key:
        return None
    forms: list[str] = []
    for name in key.split(_SEP):
        if not name:
            continue
        for form in (name, name.split(" ")[0], name.replace(" ", "")):
            if form not in forms:
                forms.append(form)
    return forms or None


def _first_aliases(key: str | None) -> list[str] | None:
    forms = _first_forms(key)
    if not forms:
        return None
    out: list[str] = []
    for form in forms:
        for alias in name_forms(form):
            if alias not in out:
                out.append(alias)
    return out


def _values_per_row(frame: pl.DataFrame) -> pl.Series:
    """Each row's non-null values as a list, in column order (null for a row with none).

    Built through a long table rather than per-row list operations, which polars runs
    several times slower on a million rows.
    """
    columns = [c for c in frame.columns if frame[c].null_count() < frame.height]
    rows = pl.DataFrame({"__row": pl.arange(0, frame.height, dtype=pl.UInt32, eager=True)})
    if not columns:
        return pl.Series([None] * frame.height, dtype=pl.List(pl.String))
    lists = (
        frame.select(columns)
        .with_row_index("__row")
        .unpivot(index="__row", on=columns)
        .drop_nulls("value")
        .group_by("__row")
        .agg(pl.col("value"))
    )
    return rows.join(lists, on="__row", how="left", maintain_order="left").get_column("value")


def normalize_people(raw: pl.DataFrame) -> pl.DataFrame:
    """Normalised matching columns for people (students, teachers, staff).

    ``raw`` has String columns named by field (``first_name``, ``sis_id``, ``dob``, ...;
    absent fields may be missing) and a ``_school_keys`` List(String) column or a ``school``
    column.  Returns the columns the rules refer to; every column is present (null when the
    field is absent) so both sides of a link share one schema.  Scalar normalisers run once
    per distinct value; per-row work is vectorised (this runs on a million rows).
    """
    col = partial(text_column, raw)

    out: dict[str, pl.Series] = {}
    first = map_unique(col("first_name"), norm_name, pl.String())
    middle = map_unique(col("middle_name"), norm_name, pl.String())
    last = map_unique(col("last_name"), norm_name, pl.String())
    pref = map_unique(col("preferred_first_name"), norm_name, pl.String())
    out["first_name"] = first
    out["middle_name"] = middle
    out["last_name"] = last
    out["middle_initial"] = middle.str.slice(0, 1)
    out["first_key"] = map_unique(first, phonetic, pl.String())
    out["last_key"] = map_unique(last, phonetic, pl.String())
    out["last_tokens"] = last.str.split(" ")
    # First-name forms and their nickname relatives depend only on (first, preferred):
    # computed once per distinct pair, not per row.
    pair = pl.select(
        pl.concat_str([first.fill_null(""), pref.fill_null("")], separator=_SEP)
    ).to_series()
    out["first_names"] = map_unique(pair, _first_forms, pl.List(pl.String()))
    out["first_aliases"] = map_unique(pair, _first_aliases, pl.List(pl.String()))
    id_cols = ("sis_id", "student_number", "teacher_number", "staff_id", "state_id")
    for f in id_cols:
        out[f] = norm_id_series(col(f)).alias(f)
    out["any_ids"] = _values_per_row(pl.DataFrame({k: out[k] for k in id_cols}))
    email = norm_email_series(col("email"))
    out["email"] = email
    out["email_local"] = email.str.split("@").list.first().replace("", None)
    out["username"] = norm_email_series(col("username"))
    dob = map_unique(col("dob"), norm_date, pl.String())
    out["dob"] = dob
    out["dob_swap"] = map_unique(dob, swap_day_month, pl.String())
    out["dob_year"] = dob.str.slice(0, 4)
    # Month and day of a full date: shared by a pair whose years differ by a typo.
    out["dob_month_day"] = pl.select(
        pl.when(dob.str.len_chars() == 10).then(dob.str.slice(5)).otherwise(None)
    ).to_series()
    # The full name, and the full name of a record with no birthdate at all (a blocking
    # key: such a record is paired with every namesake, the others by name and birthdate).
    full = pl.select(pl.concat_str([first, last], separator=_SEP)).to_series()
    out["full_name"] = full
    out["full_name_if_no_dob"] = pl.select(
        pl.when(dob.is_null()).then(full).otherwise(None)
    ).to_series()
    grade = map_unique(col("grade"), norm_grade, pl.String())
    out["grade"] = grade
    out["grade_rank"] = map_unique(grade, grade_rank, pl.Int32())
    out["title"] = map_unique(col("title"), norm_name, pl.String())
    out["department"] = map_unique(col("department"), norm_name, pl.String())
    from matchengine.orgs.values import address, address_key, zip_code

    home = map_unique(
        col("address") if "address" in raw.columns else col("_address"), address, pl.String()
    )
    out["address"] = home
    out["address_key"] = map_unique(home, address_key, pl.String())
    out["zip"] = map_unique(
        col("zip") if "zip" in raw.columns else col("_zip"), zip_code, pl.String()
    )
    if "_school_keys" in raw.columns:
        refs = raw["_school_keys"].cast(pl.List(pl.String)).list.join(_SEP)
    else:
        refs = col("school")
    # Hashed once per distinct set of schools, not per row.
    out["school_keys"] = map_unique(
        refs,
        lambda v: school_keys(v.split(_SEP)) if v else None,
        pl.List(pl.String()),
        then=hash_keys,
    )
    return pl.DataFrame([s.alias(k) for k, s in out.items()])
