"""Given-name equivalence: nicknames, hypocorisms, and English/Spanish variants.

Two sources are merged: the ``nicknames`` package (English, Apache-2.0; formal name ->
nicknames) and matchengine's own table ``data/nicknames.txt`` (Spanish hypocorisms such as
Lupe/Guadalupe, Pepe/José, Paco/Francisco, Chuy/Jesús, and English/Spanish pairs).
``name_forms("bob")`` -> the name and every name directly related to it.  Relations are
used one step only: the package lists ``bill`` as a nickname of both Robert and William,
and chaining through it would make Robert and William equivalent.  Members of one group
of the own table are all related to each other (Liz, Beth and Elizabeth).
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources


def _own_groups() -> list[list[str]]:
    text = resources.files("matchengine").joinpath("data/nicknames.txt").read_text("utf-8")
    groups = []
    for raw in text.splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            groups.append(line.split())
    return groups


def _package_pairs() -> list[tuple[str, str]]:
    try:
        from nicknames import name_triplets
    except ImportError:  # the package is a dependency; tolerate its absence all the same
        return []
    return [
        (t.name1.lower(), t.name2.lower())
        for t in name_triplets()
        if t.relationship == "has_nickname"
    ]


@lru_cache(maxsize=1)
def _index() -> dict[str, tuple[str, ...]]:
    related: dict[str, set[str]] = {}
    for a, b in _package_pairs():
        related.setdefault(a, set()).add(b)
        related.setdefault(b, set()).add(a)
    for group in _own_groups():
        for name in group:
            related.setdefault(name, set()).update(group)
    return {k: (k, *sorted(v - {k})) for k, v in related.items()}


def name_forms(name: str) -> tuple[str, ...]:
    """The name itself followed by every name directly related to it (sorted)."""
    return _index().get(name, (name,))


def are_equivalent(a: str, b: str) -> bool:
    """True when one normalised first name is directly related to the other."""
    return b in name_forms(a) or a in name_forms(b)
