"""One exception base and the documented exit codes.

Bad *data* is reported (see ``problems``), not raised.  Exceptions are for caller,
configuration and runtime mistakes; the CLI catches ``MatchengineError`` in one place and
exits with the error's ``exit_code``.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_INVALID_DATA = 1
EXIT_USAGE = 2
EXIT_RULES = 3
EXIT_RUNTIME = 4


class MatchengineError(Exception):
    """Base of every error matchengine raises on purpose."""

    exit_code = EXIT_RUNTIME


class InvalidDataError(MatchengineError):
    """Input data cannot be used (an unreadable file, malformed JSON, a failed validation)."""

    exit_code = EXIT_INVALID_DATA


class UsageError(MatchengineError):
    """The caller asked for something that does not make sense (unknown role, bad option)."""

    exit_code = EXIT_USAGE


class RulesError(MatchengineError):
    """A rules file is missing or invalid.  Carries every problem found, not just the first."""

    exit_code = EXIT_RULES

    def __init__(self, path: str, problems: list[str]) -> None:
        self.path = path
        self.problems = list(problems)
        joined = "; ".join(self.problems)
        super().__init__(f"{path}: invalid rules ({len(self.problems)} problem(s)): {joined}")
