"""Header mapping: which app CSV column feeds which matching field.

Headers are compared after folding case and dropping spaces, ``_``, ``-`` and ``.``, so
``First Name``, ``first_name`` and ``FirstName`` are one header.  ``--map FIELD=HEADER``
overrides the synonym table.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from matchengine.errors import UsageError

ROLES = ("student", "teacher", "staff", "school", "section", "district", "user")
ROLE_ALIASES = {
    "admin": "staff",
    "students": "student",
    "teachers": "teacher",
    "schools": "school",
    "sections": "section",
    "districts": "district",
    "users": "user",
}

ID_HEADERS = ("id", "app_id", "internal_id", "user_id", "record_id")

# field -> recognised headers (before folding).  Order matters only for documentation.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "first_name": ("first name", "first", "given name", "firstname", "legal first name"),
    "middle_name": ("middle name", "middle", "middle initial"),
    "last_name": ("last name", "last", "surname", "family name", "lastname"),
    "preferred_first_name": ("preferred name", "preferred first name", "nickname"),
    "email": (
        "email",
        "email address",
        "e-mail",
        "student_email",
        "teacher_email",
        "staff_email",
    ),
    "sis_id": (
        "sis id",
        "sis_id",
        "student id",
        "student_id",
        "teacher id",
        "teacher_id",
        "district id",
    ),
    "student_number": ("student number", "student_number", "student no"),
    "teacher_number": ("teacher number", "teacher_number"),
    "staff_id": ("staff id", "staff_id", "employee id"),
    "state_id": (
        "state id",
        "state_id",
        "state student id",
        "ssid",
        "state_teacher_id",
    ),
    "dob": ("dob", "birthdate", "birth date", "date of birth", "birthday"),
    "grade": ("grade", "grade level"),
    "school": ("school", "school name", "school_id", "building"),
    "username": ("username", "district username", "login"),
    "title": ("title", "job title"),
    "department": ("department",),
    # Schools, sections and districts (see ROLE_SYNONYMS for headers that mean different
    # fields in different roles).
    "name": ("name", "organization", "organization name", "org name", "section name"),
    "nces_id": ("nces id", "nces", "nces school id", "nces district id", "nces_school_id"),
    "mdr_number": ("mdr number", "mdr", "mdr id", "mdr pid", "mdr_number"),
    "school_number": ("school number", "school no", "school code", "building code"),
    "low_grade": ("low grade", "lowest grade", "grade low", "min grade"),
    "high_grade": ("high grade", "highest grade", "grade high", "max grade"),
    "address": (
        "address",
        "street",
        "street address",
        "address 1",
        "address1",
        "school address",
        "home address",
        "student_street",
    ),
    "city": ("city", "town", "suburb", "student_city"),
    "state": ("state", "state code", "state abbreviation"),
    "zip": ("zip", "zip code", "zipcode", "postal code", "postcode", "student_zip"),
    "phone": ("phone", "phone number", "telephone"),
    "teacher": ("primary teacher", "section teacher", "teacher user id"),
    "section_number": ("section number", "section no", "section_number"),
    "period": ("period", "class period"),
    "course_name": ("course name", "course", "course title", "class name"),
    "course_number": ("course number", "course no", "course code", "course id"),
    "term": ("term", "term name", "semester", "session"),
    "subject": ("subject", "subject area"),
    "domains": ("email domains", "domains", "email domain", "domain", "email_domain"),
}

# Role-specific headers: looked up before SYNONYMS (``School Name`` is a school's name in a
# school export, but a user's school elsewhere).
ROLE_SYNONYMS: dict[str, dict[str, tuple[str, ...]]] = {
    "school": {
        "name": ("school", "school name", "building", "building name"),
        "sis_id": ("school id", "school_id", "school sis id", "sis school id"),
        "state_id": ("state school id", "state id"),
    },
    "section": {
        "sis_id": ("section id", "section sis id", "section_sis_id", "class id", "sis id"),
        "teacher": ("teacher", "teacher id", "teacher_id", "teacher email", "teacher_email"),
        "name": ("name", "section name", "class", "class name"),
    },
    "district": {
        "name": ("district", "district name", "organization", "organisation", "org"),
        "nces_id": ("nces district id", "nces lea id", "lea id"),
    },
}

# The matching fields each user role can use, strongest first (Clever's own ordering).
ROLE_FIELDS: dict[str, tuple[str, ...]] = {
    "student": (
        "sis_id",
        "student_number",
        "state_id",
        "dob",
        "email",
        "username",
        "first_name",
        "middle_name",
        "last_name",
        "preferred_first_name",
        "grade",
        "school",
        "address",
        "city",
        "zip",
    ),
    "teacher": (
        "email",
        "sis_id",
        "teacher_number",
        "state_id",
        "username",
        "first_name",
        "middle_name",
        "last_name",
        "preferred_first_name",
        "title",
        "school",
    ),
    "staff": (
        "email",
        "staff_id",
        "username",
        "first_name",
        "middle_name",
        "last_name",
        "preferred_first_name",
        "title",
        "department",
        "school",
    ),
    "school": (
        "nces_id",
        "mdr_number",
        "sis_id",
        "school_number",
        "state_id",
        "name",
        "address",
        "city",
        "state",
        "zip",
        "phone",
        "low_grade",
        "high_grade",
    ),
    "section": (
        "sis_id",
        "school",
        "teacher",
        "section_number",
        "period",
        "course_name",
        "course_number",
        "term",
        "subject",
        "grade",
        "name",
    ),
    "district": ("mdr_number", "nces_id", "name", "state", "city", "domains"),
    # Multi-role users: any employee role's fields (teacher, staff, district admin).
    "user": (
        "email",
        "sis_id",
        "teacher_number",
        "staff_id",
        "state_id",
        "username",
        "first_name",
        "middle_name",
        "last_name",
        "preferred_first_name",
        "title",
        "department",
        "school",
    ),
}

_FOLD_RE = re.compile(r"[\s_\-.]+")


def header_key(header: str) -> str:
    """Fold a header for comparison: case, spaces, ``_``, ``-`` and ``.`` do not count."""
    return _FOLD_RE.sub("", header.strip().lstrip("\ufeff")).casefold()


_SYNONYM_INDEX: dict[str, str] = {
    header_key(h): f for f, headers in SYNONYMS.items() for h in (f, *headers)
}
_ROLE_SYNONYM_INDEX: dict[str, dict[str, str]] = {
    role: {header_key(h): f for f, headers in table.items() for h in headers}
    for role, table in ROLE_SYNONYMS.items()
}


def canonical_role(role: str) -> str:
    """Return the canonical role name, accepting aliases (``admin`` -> ``staff``)."""
    r = role.strip().lower()
    r = ROLE_ALIASES.get(r, r)
    if r not in ROLES:
        raise UsageError(
            f"unknown role {role!r}; use one of: {', '.join(ROLES)} (or 'admin' for staff)"
        )
    return r


def find_id_column(headers: Sequence[str], explicit: str | None = None) -> str | None:
    """The app's internal identifier column: ``explicit`` if given, else a known id header.

    ``explicit`` must name a header exactly or after folding; returns ``None`` when no
    header qualifies.  Raises ``UsageError`` when ``explicit`` names no header.
    """
    if explicit is not None:
        if explicit in headers:
            return explicit
        folded = [h for h in headers if header_key(h) == header_key(explicit)]
        if len(folded) == 1:
            return folded[0]
        raise UsageError(
            f"--id-column {explicit!r} is not a header of the file; "
            f"headers are: {', '.join(headers)}"
        )
    by_key = {header_key(h): h for h in headers}
    for candidate in ID_HEADERS:
        if header_key(candidate) in by_key:
            return by_key[header_key(candidate)]
    return None


@dataclass(frozen=True)
class FieldMapping:
    """The matching field -> app header mapping actually used for a run."""

    fields: dict[str, str] = field(default_factory=dict)
    unused_headers: tuple[str, ...] = ()

    def describe(self) -> str:
        if not self.fields:
            return "no matching fields found"
        return ", ".join(f"{f} <- {h!r}" for f, h in self.fields.items())


def parse_map_options(options: Sequence[str]) -> dict[str, str]:
    """Parse ``--map FIELD=HEADER`` options into a dict, rejecting malformed ones."""
    out: dict[str, str] = {}
    for opt in options:
        if "=" not in opt:
            raise UsageError(f"--map {opt!r} must look like FIELD=HEADER, e.g. dob=Birth_Date")
        f, h = opt.split("=", 1)
        f = f.strip()
        if f not in SYNONYMS:
            raise UsageError(
                f"--map {opt!r}: unknown field {f!r}; known fields: {', '.join(SYNONYMS)}"
            )
        out[f] = h
    return out


def map_headers(
    headers: Sequence[str],
    role: str,
    overrides: Mapping[str, str] | None = None,
    id_column: str | None = None,
) -> FieldMapping:
    """Find which header feeds each of the role's matching fields.

    ``overrides`` (from ``--map``) win; a header that names no column raises ``UsageError``.
    The id column is never used as a matching field unless mapped explicitly.
    """
    overrides = dict(overrides or {})
    wanted = ROLE_FIELDS.get(role, tuple(SYNONYMS))
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for f, h in overrides.items():
        if h not in headers:
            folded = [x for x in headers if header_key(x) == header_key(h)]
            if len(folded) != 1:
                raise UsageError(
                    f"--map {f}={h}: no header {h!r} in the file; headers are: {', '.join(headers)}"
                )
            h = folded[0]
        mapping[f] = h
        taken.add(h)
    for h in headers:
        if h in taken or h == id_column:
            continue
        key = header_key(h)
        found = _ROLE_SYNONYM_INDEX.get(role, {}).get(key) or _SYNONYM_INDEX.get(key)
        if found is None or found in mapping or found not in wanted:
            continue
        mapping[found] = h
        taken.add(h)
    ordered = {f: mapping[f] for f in (*wanted, *overrides) if f in mapping}
    unused = tuple(h for h in headers if h not in taken and h != id_column)
    return FieldMapping(ordered, unused)
