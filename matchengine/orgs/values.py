"""Comparison forms of school, district and section values.

Like ``matchengine.normalize`` (whose helpers these build on), every function maps one raw
string to its normal form or ``None`` when it carries no information.  The forms are used
only to compare; output values are always the raw ones.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

import jellyfish

from matchengine.normalize import fold_text, is_blank, norm_grade, norm_id

_NON_ALNUM_RE = re.compile(r"[^0-9a-z]+")
_LETTER_DIGIT_RE = re.compile(r"(?<=[a-z])(?=\d)|(?<=\d)(?=[a-z])")
_LEADING_ZEROS_RE = re.compile(r"\b0+(?=\d)")


def _tokens(value: str) -> list[str]:
    """Folded alphanumeric tokens; ``&`` becomes ``and``, apostrophes vanish."""
    text = fold_text(value).replace("&", " and ")
    text = re.sub(r"['’‘`´]", "", text)
    return _NON_ALNUM_RE.sub(" ", text).split()


# --------------------------------------------------------------------------- schools

# Phrases rewritten before tokenising: NYC-style numbered schools and numbers.
_SCHOOL_PHRASES = (
    (re.compile(r"\bp\.?\s?s\.?\s*(?=\d)"), " ps "),  # P.S. 12, PS12
    (re.compile(r"\bpublic\s+school\b"), " ps "),
    (re.compile(r"\bi\.?\s?s\.?\s*(?=\d)"), " is "),  # I.S. 318
    (re.compile(r"\bintermediate\s+school\s*(?=\d)"), " is "),
    (re.compile(r"\bm\.?\s?s\.?\s*(?=\d)"), " ms "),  # M.S. 51
    (re.compile(r"\bj\.?\s?h\.?\s?s\.?\s*(?=\d)"), " jhs "),  # J.H.S. 54
    (re.compile(r"\bh\.?\s?s\.?\s*(?=\d)"), " hs "),
    (re.compile(r"\b([ehmj])\.\s?s\.?(?=\s|$)"), r" \1s "),  # H.S., E.S., M.S.
    (re.compile(r"\b(?:no|num|number)\.?\s*(?=\d)"), " "),  # School No. 12
    (re.compile(r"#\s*"), " "),  # School #12
    (re.compile(r"\bk\s*-?\s*(?:thru|through|to)?\s*8\b"), " k8 "),  # K-8, K through 8
    (re.compile(r"\bk\s*-\s*12\b"), " k12 "),
)
_SCHOOL_WORDS = {
    "elem": "elementary",
    "el": "elementary",
    "es": "elementary",
    "elementry": "elementary",
    "ms": "middle",
    "mid": "middle",
    "hs": "high",
    "jr": "junior",
    "jhs": "junior high",
    "sr": "senior",
    "sch": "school",
    "schl": "school",
    "acad": "academy",
    "ctr": "center",
    "cntr": "center",
    "st": "saint",
    "intl": "international",
    "prep": "preparatory",
    "is": "intermediate",
    "mt": "mount",
    "ft": "fort",
}
_SCHOOL_NOISE = frozenset({"school", "the", "of", "and", "at"})
# Words that say what kind of school it is; the rest of the name is its core.
_SCHOOL_TYPES = {
    "elementary": "elementary",
    "primary": "elementary",
    "ps": "elementary",
    "middle": "middle",
    "intermediate": "middle",
    "junior": "middle",
    "high": "high",
    "senior": "high",
    "k8": "k8",
    "k12": "k12",
}


# The closed vocabulary of school names: a misspelling of one of these words carries no
# identity ("Elementray", "Midlde", "Schoos"), so it is read as the word.
_SCHOOL_VOCABULARY = (
    "elementary",
    "middle",
    "school",
    "academy",
    "intermediate",
    "junior",
    "senior",
    "primary",
    "center",
    "charter",
    "preparatory",
    "international",
    "magnet",
    "montessori",
)


@lru_cache(maxsize=100_000)
def _vocabulary_word(token: str) -> str:
    """``token``, or the vocabulary word it misspells by one edit (words of 5+ letters)."""
    if len(token) < 5 or token in _SCHOOL_VOCABULARY or not token.isalpha():
        return token
    close = [
        w
        for w in _SCHOOL_VOCABULARY
        if abs(len(w) - len(token)) <= 1 and jellyfish.damerau_levenshtein_distance(w, token) <= 1
    ]
    return close[0] if len(close) == 1 else token


def _school_tokens(value: str) -> list[str]:
    text = _LETTER_DIGIT_RE.sub(" ", _LEADING_ZEROS_RE.sub("", fold_text(value)))
    for pattern, repl in _SCHOOL_PHRASES:
        text = pattern.sub(repl, text)
    out: list[str] = []
    for t in _tokens(text):
        t = t.lstrip("0") or "0" if t.isdigit() else _vocabulary_word(t)
        out.extend(_SCHOOL_WORDS.get(t, t).split())
    return out


@lru_cache(maxsize=100_000)
def school_name(value: str | None) -> str | None:
    """``Lincoln Elem.`` and ``LINCOLN ELEMENTARY SCHOOL`` -> ``lincoln elementary``;
    ``P.S. 012`` and ``Public School 12`` -> ``ps 12``; ``School #12`` -> ``12``."""
    if is_blank(value):
        return None
    assert value is not None
    tokens = [t for t in _school_tokens(value) if t not in _SCHOOL_NOISE]
    return " ".join(tokens) or None


@lru_cache(maxsize=100_000)
def school_core(value: str | None) -> str | None:
    """The name without words for the kind of school: ``PS 12``, ``#12`` -> ``12``."""
    full = school_name(value)
    if not full:
        return None
    core = [t for t in full.split() if t not in _SCHOOL_TYPES]
    return " ".join(core) or None


@lru_cache(maxsize=100_000)
def school_number_in_name(value: str | None) -> str | None:
    """The number a school's name carries (``PS 12 Lewis`` -> ``12``), if any."""
    full = school_name(value)
    if not full:
        return None
    for t in full.split():
        if t.isdigit():
            return t
    return None


def school_type(name: str | None, low: str | None = None, high: str | None = None) -> str | None:
    """``elementary``, ``middle``, ``high``, ``k8`` or ``k12`` from the name, else the grades."""
    full = school_name(name)
    if full:
        kinds = [_SCHOOL_TYPES[t] for t in full.split() if t in _SCHOOL_TYPES]
        if kinds:
            return "high" if "high" in kinds and "middle" in kinds else kinds[-1]
    lo, hi = _grade_number(low), _grade_number(high)
    if lo is None or hi is None:
        return None
    if hi >= 12 and lo <= 0:
        return "k12"
    if lo <= 0 and hi >= 8:
        return "k8"
    if hi <= 6:
        return "elementary"
    if lo >= 9:
        return "high"
    if hi <= 9:
        return "middle"
    return None


def _grade_number(value: str | None) -> int | None:
    g = norm_grade(value)
    if g is None:
        return None
    if g.isdigit():
        return int(g)
    return {"K": 0, "TK": 0, "PK": -1, "PS": -2, "IT": -3}.get(g)


def grade_span(low: str | None, high: str | None) -> str | None:
    """``Kindergarten``/``5`` -> ``K-5``; None unless both ends are known."""
    lo, hi = norm_grade(low), norm_grade(high)
    return f"{lo}-{hi}" if lo and hi else None


# --------------------------------------------------------------------------- places

_STREET_WORDS = {
    "street": "st",
    "str": "st",
    "avenue": "ave",
    "av": "ave",
    "road": "rd",
    "drive": "dr",
    "boulevard": "blvd",
    "lane": "ln",
    "court": "ct",
    "place": "pl",
    "highway": "hwy",
    "parkway": "pkwy",
    "circle": "cir",
    "terrace": "ter",
    "trail": "trl",
    "way": "wy",
    "north": "n",
    "south": "s",
    "east": "e",
    "west": "w",
    "first": "1st",
    "second": "2nd",
    "third": "3rd",
}
_UNIT_RE = re.compile(r"\b(?:suite|ste|unit|room|rm|bldg|building|apt)\b.*$")


@lru_cache(maxsize=100_000)
def address(value: str | None) -> str | None:
    """``123 Main Street, Suite 4`` -> ``123 main st``."""
    if is_blank(value):
        return None
    assert value is not None
    text = _UNIT_RE.sub("", fold_text(value).replace("#", " unit "))
    tokens = [_STREET_WORDS.get(t, t) for t in _tokens(text)]
    return " ".join(tokens) or None


def address_key(norm_address: str | None) -> str | None:
    """House number and the first word of the street: ``123 main st`` -> ``123 main``."""
    if not norm_address:
        return None
    tokens = norm_address.split()
    if len(tokens) < 2 or not tokens[0][:1].isdigit():
        return None
    rest = [t for t in tokens[1:] if t not in ("n", "s", "e", "w")]
    return f"{tokens[0]} {rest[0]}" if rest else None


@lru_cache(maxsize=10_000)
def city(value: str | None) -> str | None:
    if is_blank(value):
        return None
    assert value is not None
    tokens = [_SCHOOL_WORDS.get(t, t) if t in ("st", "mt", "ft") else t for t in _tokens(value)]
    return " ".join(tokens) or None


@lru_cache(maxsize=10_000)
def zip_code(value: str | None) -> str | None:
    """``02134-1234`` -> ``02134``; an Excel-stripped ``2134`` -> ``02134``."""
    if is_blank(value):
        return None
    assert value is not None
    m = re.match(r"^\s*(\d{3,5})(?:[-\s]?\d{4})?(?:\.0)?\s*$", value)
    if not m:
        return None
    return m.group(1).zfill(5)


@lru_cache(maxsize=100_000)
def phone(value: str | None) -> str | None:
    """``(212) 555-1212 x3`` and ``+1 212.555.1212`` -> ``2125551212``."""
    if is_blank(value):
        return None
    assert value is not None
    main = re.split(r"(?i)\s*(?:x|ext\.?|extension)\s*\d+\s*$", value)[0]
    digits = re.sub(r"\D", "", main)
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    return digits if len(digits) >= 7 else None


STATE_CODES = {
    "alabama": "AL", "alaska": "AK", "arizona": "AZ", "arkansas": "AR", "california": "CA",
    "colorado": "CO", "connecticut": "CT", "delaware": "DE", "district of columbia": "DC",
    "florida": "FL", "georgia": "GA", "hawaii": "HI", "idaho": "ID", "illinois": "IL",
    "indiana": "IN", "iowa": "IA", "kansas": "KS", "kentucky": "KY", "louisiana": "LA",
    "maine": "ME", "maryland": "MD", "massachusetts": "MA", "michigan": "MI",
    "minnesota": "MN", "mississippi": "MS", "missouri": "MO", "montana": "MT",
    "nebraska": "NE", "nevada": "NV", "new hampshire": "NH", "new jersey": "NJ",
    "new mexico": "NM", "new york": "NY", "north carolina": "NC", "north dakota": "ND",
    "ohio": "OH", "oklahoma": "OK", "oregon": "OR", "pennsylvania": "PA",
    "rhode island": "RI", "south carolina": "SC", "south dakota": "SD", "tennessee": "TN",
    "texas": "TX", "utah": "UT", "vermont": "VT", "virginia": "VA", "washington": "WA",
    "west virginia": "WV", "wisconsin": "WI", "wyoming": "WY", "puerto rico": "PR",
    "guam": "GU", "virgin islands": "VI", "american samoa": "AS",
}  # fmt: skip
# NCES ids start with the state's FIPS code.
FIPS_STATES = {
    "01": "AL", "02": "AK", "04": "AZ", "05": "AR", "06": "CA", "08": "CO", "09": "CT",
    "10": "DE", "11": "DC", "12": "FL", "13": "GA", "15": "HI", "16": "ID", "17": "IL",
    "18": "IN", "19": "IA", "20": "KS", "21": "KY", "22": "LA", "23": "ME", "24": "MD",
    "25": "MA", "26": "MI", "27": "MN", "28": "MS", "29": "MO", "30": "MT", "31": "NE",
    "32": "NV", "33": "NH", "34": "NJ", "35": "NM", "36": "NY", "37": "NC", "38": "ND",
    "39": "OH", "40": "OK", "41": "OR", "42": "PA", "44": "RI", "45": "SC", "46": "SD",
    "47": "TN", "48": "TX", "49": "UT", "50": "VT", "51": "VA", "53": "WA", "54": "WV",
    "55": "WI", "56": "WY", "60": "AS", "66": "GU", "72": "PR", "78": "VI",
}  # fmt: skip
_STATE_SET = frozenset(STATE_CODES.values())


@lru_cache(maxsize=1000)
def state(value: str | None) -> str | None:
    """``ca``, ``Calif``? no: ``CA`` and ``California`` -> ``CA``; unknown text -> None."""
    if is_blank(value):
        return None
    assert value is not None
    text = " ".join(_tokens(value))
    if text.upper() in _STATE_SET:
        return text.upper()
    return STATE_CODES.get(text)


# --------------------------------------------------------------------------- ids

_CODE_WITH_E_RE = re.compile(r"^\s*0*(\d+[eE]\d+)\s*$")


@lru_cache(maxsize=500_000)
def org_id(value: str | None) -> str | None:
    """``normalize.norm_id``, except that a code such as ``45E1045`` (a school number) is
    kept as text: Excel writes scientific notation with a point or a sign (``1.2E+07``)."""
    if value is not None:
        m = _CODE_WITH_E_RE.match(value)
        if m:
            return m.group(1).upper()
    return norm_id(value)


# --------------------------------------------------------------------------- NCES ids


def _digits_id(value: str | None) -> str | None:
    n = org_id(value)
    return n if n and n.isdigit() else None


def nces_school(value: str | None) -> str | None:
    """A 12-digit NCES school id (Excel may have dropped its leading zero), zero-stripped."""
    n = _digits_id(value)
    return n if n and 10 <= len(n) <= 12 else None


def nces_district(value: str | None) -> str | None:
    """A 7-digit NCES district (LEA) id; a school id (12 digits) gives its district's."""
    n = _digits_id(value)
    if not n:
        return None
    if 10 <= len(n) <= 12:
        return n.zfill(12)[:7].lstrip("0") or None
    return n if 5 <= len(n) <= 7 else None


def nces_state(nces: str | None) -> str | None:
    """The state of a (zero-stripped) NCES district or school id."""
    if not nces:
        return None
    width = 7 if len(nces) <= 7 else 12
    return FIPS_STATES.get(nces.zfill(width)[:2])


# --------------------------------------------------------------------------- districts

_DISTRICT_WORDS = {
    "sd": "school district",
    "usd": "unified school district",
    "isd": "independent school district",
    "cisd": "consolidated independent school district",
    "cusd": "community unit school district",
    "ccsd": "community consolidated school district",
    "pub": "public",
    "schs": "schools",
    "sch": "school",
    "csd": "community school district",
    "asd": "area school district",
    "esd": "elementary school district",
    "hsd": "high school district",
    "uhsd": "union high school district",
    "jusd": "joint unified school district",
    "rsd": "regional school district",
    "ps": "public schools",
    "dist": "district",
    "dst": "district",
    "co": "county",
    "cty": "county",
    "twp": "township",
    "reg": "regional",
    "st": "saint",
    "mt": "mount",
    "ft": "fort",
    "no": "",
    "num": "",
    "number": "",
}
_DISTRICT_NOISE = frozenset({"the", "of", "and"})
_DISTRICT_GENERIC = frozenset(
    {
        "school",
        "schools",
        "district",
        "unified",
        "independent",
        "consolidated",
        "public",
        "community",
        "unit",
        "area",
        "regional",
        "joint",
        "union",
        "charter",
        "system",
        "department",
        "education",
        "board",
        "elementary",
        "high",
        "academy",
        "preparatory",
        "prep",
    }
)


_PLACE_KINDS = frozenset({"city", "town", "township", "county", "village", "borough", "parish"})


def _join_initials(tokens: list[str]) -> list[str]:
    """``i s d`` (from ``I.S.D.``) -> ``isd``: runs of single letters are one word."""
    out: list[str] = []
    run: list[str] = []
    for t in [*tokens, ""]:
        if len(t) == 1 and t.isalpha():
            run.append(t)
            continue
        if run:
            out.extend(["".join(run)] if len(run) > 1 else run)
            run = []
        if t:
            out.append(t)
    return out


def _district_tokens(value: str) -> list[str]:
    text = _LETTER_DIGIT_RE.sub(" ", fold_text(value).replace("#", " "))
    out: list[str] = []
    for t in _join_initials(_tokens(text)):
        if t.isdigit():
            t = t.lstrip("0") or "0"
        out.extend(_DISTRICT_WORDS.get(t, t).split())
    return [t for t in out if t not in _DISTRICT_NOISE]


@lru_cache(maxsize=100_000)
def district_name(value: str | None) -> str | None:
    """``Springfield USD`` -> ``springfield unified school district``."""
    if is_blank(value):
        return None
    assert value is not None
    return " ".join(_district_tokens(value)) or None


@lru_cache(maxsize=100_000)
def district_core(value: str | None) -> str | None:
    """Without the generic words: ``Springfield Public Schools`` and ``Springfield School
    District`` -> ``springfield``; ``USD 259`` -> ``259``; ``Lincoln County Schools`` ->
    ``lincoln county``.  School-kind words go too, so a single-school district named after
    its school compares with the school's name."""
    if is_blank(value):
        return None
    assert value is not None
    tokens = [t for t in _district_tokens(value) if t not in _DISTRICT_GENERIC]
    tokens = [_SCHOOL_WORDS.get(t, t) for t in tokens]
    tokens = [t for t in tokens if t not in _SCHOOL_TYPES and t not in _SCHOOL_NOISE]
    # "City of Salem" = "Salem City": the kind of place goes last.
    tokens = [t for t in tokens if t not in _PLACE_KINDS] + [t for t in tokens if t in _PLACE_KINDS]
    return " ".join(tokens) or district_name(value)


def first_token(value: str | None) -> str | None:
    return value.split()[0] if value else None


FREE_MAIL = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "hotmail.com",
        "outlook.com",
        "live.com",
        "msn.com",
        "icloud.com",
        "me.com",
        "aol.com",
        "comcast.net",
        "protonmail.com",
        "mail.com",
    }
)
_K12_RE = re.compile(r"(?:^|\.)([a-z0-9-]+\.k12\.[a-z]{2}\.us)$")


@lru_cache(maxsize=100_000)
def email_domain(value: str | None) -> str | None:
    """``Ann@Students.Lincoln.org`` -> ``students.lincoln.org``; a bare domain is kept."""
    if is_blank(value):
        return None
    assert value is not None
    text = value.strip().lower()
    text = re.sub(r"^(?:mailto:|https?://)", "", text).split("/")[0]
    text = text.rsplit("@", 1)[-1].strip(" .<>")
    text = text.removeprefix("www.")
    if "." not in text or not re.fullmatch(r"[a-z0-9.-]+", text):
        return None
    return text


def domain_forms(domain: str | None) -> list[str]:
    """The domain and its organisation's domain (``students.lincoln.org`` ->
    ``lincoln.org``; ``a.springfield.k12.ma.us`` -> ``springfield.k12.ma.us``)."""
    if not domain or domain in FREE_MAIL:
        return []
    out = [domain]
    k12 = _K12_RE.search(domain)
    parent = k12.group(1) if k12 else ".".join(domain.split(".")[-2:])
    if parent != domain:
        out.append(parent)
    return out


def domain_list(values: Iterable[str | None]) -> list[str] | None:
    out: list[str] = []
    for v in values:
        for form in domain_forms(email_domain(v)):
            if form not in out:
                out.append(form)
    return out or None


def split_domains(value: str | None) -> list[str] | None:
    """An app's list of email domains: ``lincoln.org; @students.lincoln.org``."""
    if is_blank(value):
        return None
    assert value is not None
    return domain_list(re.split(r"[;,\s|]+", value))


# --------------------------------------------------------------------------- sections

_PERIOD_WORDS = re.compile(r"\b(?:period|per|pd|p|hour|hr|block|blk|bell|day)\b\.?")
_ORDINAL_RE = re.compile(r"(\d+)(?:st|nd|rd|th)\b")


@lru_cache(maxsize=10_000)
def period(value: str | None) -> str | None:
    """``Period 3``, ``P3``, ``3rd``, ``03`` -> ``3``; ``Block A`` -> ``a``."""
    if is_blank(value):
        return None
    assert value is not None
    text = _LETTER_DIGIT_RE.sub(" ", fold_text(value))
    text = _ORDINAL_RE.sub(r"\1", text)
    m = re.search(r"\d+", text)
    if m:
        return str(int(m.group(0)))
    rest = " ".join(_tokens(_PERIOD_WORDS.sub(" ", text)))
    return rest or " ".join(_tokens(text)) or None


_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4", "v": "5"}
_COURSE_WORDS = {
    "alg": "algebra",
    "geom": "geometry",
    "eng": "english",
    "engl": "english",
    "lang": "language",
    "lit": "literature",
    "sci": "science",
    "hist": "history",
    "hon": "honors",
    "hnrs": "honors",
    "h": "honors",
    "adv": "advanced",
    "intro": "introduction",
    "chem": "chemistry",
    "bio": "biology",
    "phys": "physics",
    "calc": "calculus",
    "ss": "social studies",
    "pe": "physical education",
    "gr": "grade",
    "math": "mathematics",
    "maths": "mathematics",
}


@lru_cache(maxsize=50_000)
def course_name(value: str | None) -> str | None:
    """``ALG II (H)`` and ``Algebra 2 Honors`` -> ``algebra 2 honors``."""
    if is_blank(value):
        return None
    assert value is not None
    text = _LETTER_DIGIT_RE.sub(" ", fold_text(value))
    tokens: list[str] = []
    for i, t in enumerate(_tokens(text)):
        if t in _ROMAN and i > 0:
            tokens.append(_ROMAN[t])
        elif t.isdigit():
            tokens.append(t.lstrip("0") or "0")
        else:
            tokens.extend(_COURSE_WORDS.get(t, t).split())
    return " ".join(t for t in tokens if t not in ("and", "the", "of")) or None


def course_from_section_name(name: str | None) -> str | None:
    """Clever builds section names as ``<course> - <teacher> - <period>``: the course."""
    if is_blank(name):
        return None
    assert name is not None
    parts = [p.strip() for p in re.split(r"\s+[-–]\s+", name)]
    return parts[0] if len(parts) >= 2 and parts[0] else None


_TERM_WORDS = (
    (re.compile(r"\b(?:fall|autumn|first semester|semester 1|sem 1|s1|1st semester)\b"), "s1"),
    (re.compile(r"\b(?:spring|second semester|semester 2|sem 2|s2|2nd semester)\b"), "s2"),
    (re.compile(r"\b(?:full year|year long|yearlong|year|fy|annual)\b"), "year"),
    (re.compile(r"\b(?:summer)\b"), "summer"),
)
_QUARTER_RE = re.compile(r"\b(?:q|quarter|qtr)\s*(\d)\b|\b(\d)(?:st|nd|rd|th)?\s*quarter\b")
_TRIMESTER_RE = re.compile(r"\b(?:t|tri|trimester)\s*(\d)\b|\b(\d)(?:st|nd|rd|th)?\s*trimester\b")


@lru_cache(maxsize=10_000)
def term(value: str | None) -> str | None:
    """``Fall 2025``, ``S1``, ``Semester 1`` -> ``s1``; ``Q3`` -> ``q3``; ``2025-26`` -> ``year``."""
    if is_blank(value):
        return None
    assert value is not None
    text = " ".join(_tokens(value))
    for pattern, prefix in ((_QUARTER_RE, "q"), (_TRIMESTER_RE, "t")):
        m = pattern.search(text)
        if m:
            return prefix + (m.group(1) or m.group(2))
    for pattern, canonical in _TERM_WORDS:
        if pattern.search(text):
            return canonical
    if re.fullmatch(r"(?:\d{4}\s*){1,2}|\d{4} \d{2}", text):
        return "year"
    return text or None


_SUBJECTS = (
    ("homeroom/advisory", ("homeroom", "advisory", "hr")),
    (
        "interventions/online learning",
        ("intervention", "interventions", "online", "rti", "tutoring", "credit recovery"),
    ),
    ("PE and health", ("pe", "physical education", "health", "gym", "wellness", "fitness")),
    (
        "arts and music",
        ("art", "arts", "music", "band", "choir", "orchestra", "theater", "theatre", "drama"),
    ),
    (
        "technology and engineering",
        ("technology", "computer", "computers", "engineering", "coding", "robotics", "cs", "stem"),
    ),
    (
        "math",
        ("math", "maths", "mathematics", "algebra", "geometry", "calculus", "statistics"),
    ),
    (
        "english/language arts",
        ("english", "ela", "language arts", "reading", "writing", "literature", "literacy"),
    ),
    (
        "science",
        ("science", "biology", "chemistry", "physics", "earth science", "environmental"),
    ),
    (
        "social studies",
        ("social studies", "history", "civics", "geography", "government", "economics"),
    ),
    (
        "language",
        ("spanish", "french", "german", "chinese", "mandarin", "latin", "world language", "esl"),
    ),
)


@lru_cache(maxsize=10_000)
def subject(value: str | None) -> str | None:
    """An app subject in Clever's vocabulary (``Mathematics`` -> ``math``); else ``other``."""
    if is_blank(value):
        return None
    assert value is not None
    text = " " + " ".join(_tokens(value.replace("/", " "))) + " "
    if text.strip() == "other":
        return "other"
    for canonical, _ in _SUBJECTS:
        if " ".join(_tokens(canonical.replace("/", " "))) == text.strip():
            return canonical
    for canonical, words in _SUBJECTS:
        if any(f" {w} " in text for w in words):
            return canonical
    return "other"


def minhashes(ids: Sequence[str] | None, k: int = 3) -> list[str | None]:
    """``k`` min-hash keys of a set of ids: two sets share key ``i`` with probability equal
    to their Jaccard similarity (blocking keys for enrollment overlap)."""
    if not ids:
        return [None] * k
    out: list[str | None] = []
    for i in range(k):
        salt = str(i).encode()
        out.append(
            min(hashlib.blake2b(x.encode(), digest_size=8, salt=salt).hexdigest() for x in ids)
        )
    return out
