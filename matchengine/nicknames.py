"""Given-name equivalence (nicknames, hypocorisms, English/Spanish variants).

``name_forms("bob")`` -> ``["robert"]``: the formal names of every group holding the name,
or the name itself when no group holds it.  Two first names are nickname-equivalent when
their forms overlap.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources


@lru_cache(maxsize=1)
def _groups() -> dict[str, tuple[str, ...]]:
    text = resources.files("matchengine").joinpath("data/nicknames.txt").read_text("utf-8")
    index: dict[str, list[str]] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        names = line.split()
        formal = names[0]
        for name in names:
            forms = index.setdefault(name, [])
            if formal not in forms:
                forms.append(formal)
    return {k: tuple(v) for k, v in index.items()}


def name_forms(name: str) -> tuple[str, ...]:
    """The group keys for a normalised first name (itself when it is in no group)."""
    return _groups().get(name, (name,))
