"""Schools, sections, districts and multi-role users: ``match`` for the roles beyond
students, teachers and staff.

Each role has a module that loads and normalises both sides and reuses the shared stages
(validation, ``link.score_pairs`` with ``rules/<role>.toml``, ``resolve.resolve``,
``output.write_results``):

- ``schools``: the app's schools against ``schools.*``;
- ``sections``: the app's sections (with their enrollments) against ``sections.*``, narrowed
  by matched school and teacher, with enrollment overlap as evidence;
- ``districts``: the company's organisations against ``districts.*`` of one or many
  snapshots;
- ``users``: app accounts against every employee role (teacher, staff, district admin) of
  every Clever user, one Clever id per person.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from matchengine.errors import UsageError

if TYPE_CHECKING:
    from matchengine.pipeline import MatchResult

ORG_ROLES = ("school", "section", "district", "user")
# Roles whose run ``--consolidate`` turns into a multi-role ``user`` run.
CONSOLIDATABLE = ("teacher", "staff")


def match_org(
    app_csv: str | Path,
    clever_path: str | Path,
    role: str,
    out: str | Path,
    *,
    enrollments: str | Path | None = None,
    students_out: str | Path | None = None,
    teachers_out: str | Path | None = None,
    consolidate: bool = False,
    **options: Any,
) -> MatchResult:
    """``pipeline.match`` for a role of ``ORG_ROLES`` (or a consolidated teacher/staff run).

    ``options`` are ``pipeline.match``'s keyword options (``id_column``, ``overrides``,
    ``rules_path``, ``threshold``, ``extras``, ``encoding``, ``threads``, ``memory_limit``,
    ``progress``, ``review_band``, ``decisions``).
    """
    from matchengine.orgs.common import Options

    known = set(Options.__dataclass_fields__)
    unknown = sorted(k for k, val in options.items() if k not in known and val is not None)
    if unknown:
        raise UsageError(f"--role {role} does not support: {', '.join(unknown)}")
    opts = Options(**{k: val for k, val in options.items() if k in known})
    if consolidate:
        if role not in (*CONSOLIDATABLE, "user"):
            raise UsageError(
                f"--consolidate merges the teacher, staff and district admin roles of a user; "
                f"it does not apply to --role {role}"
            )
        role = "user"
    section_only = {
        "--enrollments": enrollments,
        "--students": students_out,
        "--teachers": teachers_out,
    }
    given = [k for k, val in section_only.items() if val is not None]
    if given and role != "section":
        verb = "apply" if len(given) > 1 else "applies"
        raise UsageError(f"{', '.join(given)} {verb} to --role section only, not --role {role}")
    out = Path(out)
    if role == "school":
        from matchengine.orgs.schools import match_schools

        return match_schools(app_csv, clever_path, out, opts)
    if role == "section":
        from matchengine.orgs.sections import match_sections

        return match_sections(
            app_csv,
            clever_path,
            out,
            opts,
            enrollments=enrollments,
            students_out=students_out,
            teachers_out=teachers_out,
        )
    if role == "district":
        from matchengine.orgs.districts import match_districts

        return match_districts(app_csv, clever_path, out, opts)
    if role == "user":
        from matchengine.orgs.users import match_users

        return match_users(app_csv, clever_path, out, opts)
    raise UsageError(f"--role {role} is not an organisation role ({', '.join(ORG_ROLES)})")


__all__ = ["CONSOLIDATABLE", "ORG_ROLES", "match_org"]
