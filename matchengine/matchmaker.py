"""The Matchmaker output vocabulary: statuses and each role's ``clever.*`` columns."""

from __future__ import annotations

MATCH = "match"
APP_NO_MATCH = "from app, no match"
APP_DUPLICATE = "from app, duplicate"
CLEVER_NO_MATCH = "from Clever, no match"
CLEVER_DUPLICATE = "from Clever, duplicate"
STATUSES = (MATCH, APP_NO_MATCH, APP_DUPLICATE, CLEVER_NO_MATCH, CLEVER_DUPLICATE)
APP_STATUSES = (MATCH, APP_NO_MATCH, APP_DUPLICATE)
CLEVER_STATUSES = (MATCH, CLEVER_NO_MATCH, CLEVER_DUPLICATE)

RESULT_COLUMN = "matchmaker_results"
EXTRA_COLUMNS = (
    "match.probability",
    "match.weight",
    "match.evidence",
    "match.duplicate_of",
    "match.candidate",
)

_TEACHER_FIELDS = (
    "id",
    "district",
    "first_name",
    "middle_name",
    "last_name",
    "email",
    "sis_id",
    "teacher_number",
    "state_id",
    "title",
    "school",
    "school_name",
    "username",
)

# The Clever fields written for each role, in output order (without the ``clever.`` prefix).
CLEVER_FIELDS: dict[str, tuple[str, ...]] = {
    "student": (
        "id",
        "district",
        "first_name",
        "middle_name",
        "last_name",
        "email",
        "sis_id",
        "student_number",
        "state_id",
        "dob",
        "grade",
        "school",
        "school_name",
        "username",
    ),
    "teacher": _TEACHER_FIELDS,
    "staff": (
        "id",
        "district",
        "first_name",
        "middle_name",
        "last_name",
        "email",
        "staff_id",
        "title",
        "department",
        "schools",
        "username",
        "roles",
    ),
    "school": (
        "id",
        "district",
        "name",
        "sis_id",
        "school_number",
        "state_id",
        "nces_id",
        "mdr_number",
        "low_grade",
        "high_grade",
        "address",
        "city",
        "state",
        "zip",
        "phone",
    ),
    "section": (
        "id",
        "district",
        "school",
        "name",
        "sis_id",
        "section_number",
        "period",
        "subject",
        "grade",
        "course",
        "term_id",
        "teacher",
    ),
    "district": ("id", "name", "mdr_number", "nces_id", "state"),
    # Multi-role users (``--role user``): one row per Clever id, the teacher columns (they
    # carry staff's title too) and its roles in ``roles``.
    "user": (*_TEACHER_FIELDS, "roles"),
}


def output_header(app_headers: list[str], role: str, extras: bool = True) -> list[str]:
    """The full output header row for a run."""
    cols = [f"app.{h}" for h in app_headers]
    cols += [f"clever.{f}" for f in CLEVER_FIELDS[role]]
    cols.append(RESULT_COLUMN)
    if extras:
        cols += list(EXTRA_COLUMNS)
    return cols
