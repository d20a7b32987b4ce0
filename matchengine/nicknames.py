"""Given-name equivalence: nicknames, hypocorisms, and English/Spanish variants.

Two sources are merged: the ``nicknames`` package (English, Apache-2.0; formal name ->
nicknames) and matchengine's own table ``data/nicknames.txt`` (Spanish hypocorisms such as
Lupe/Guadalupe, Pepe/José, Paco/Francisco, Chuy/Jesús, and English/Spanish pairs).
``name_forms("bob")`` -> the name and every name directly related to it.  Relations are
used one step only: the package lists ``bill`` as a nickname of both Robert and William,
and chaining through it would make Robert and William equivalent.  Members of one group
of the own table are all related to each other (Liz, Beth and Elizabeth).

Spanish diminutives are a rule, not a list: a name ending in -ito, -ita, -itos, -illo or
-illa (Carlitos, Juanito, Anita, Pepito, Pablito), or in -cito / -cita after a base
ending in n, r or e (Ramoncito, Carmencita), is related to its base names (Carlos, Juan,
Ana, Pepe, Pablo, Ramón, Carmen), besides whatever the tables say.
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


# (suffix, endings that replace it to give the base); longest suffixes first.
_DIMINUTIVES = (
    ("citos", ("", "e", "es")),
    ("citas", ("", "e", "es")),
    ("cito", ("", "e")),
    ("cita", ("", "e")),
    ("itos", ("os", "o", "")),
    ("itas", ("as", "a")),
    ("illo", ("o", "e", "")),
    ("illa", ("a",)),
    ("ito", ("o", "e", "")),
    ("ita", ("a", "")),
)
_MIN_STEM = 2  # letters left before the suffix: Rita, Tito and Nita are not diminutives


def diminutive_bases(name: str) -> tuple[str, ...]:
    """The base names a Spanish diminutive may come from (empty for other names).

    ``diminutive_bases("carlitos")`` -> ``("carlos", "carlo", "carl")``: candidate forms;
    only those that are some other record's name ever make a match.
    """
    for suffix, endings in _DIMINUTIVES:
        stem = name[: -len(suffix)]
        if name.endswith(suffix) and len(stem) >= _MIN_STEM:
            bases = (stem + e for e in endings)
            return tuple(b for b in bases if len(b) >= 3 and b != name)
    return ()


def name_forms(name: str) -> tuple[str, ...]:
    """The name itself followed by every name directly related to it (sorted; the bases of
    a Spanish diminutive come after the tables' relations)."""
    forms = _index().get(name, (name,))
    extra = tuple(b for b in diminutive_bases(name) if b not in forms)
    return forms + extra if extra else forms


def are_equivalent(a: str, b: str) -> bool:
    """True when one normalised first name is directly related to the other."""
    return b in name_forms(a) or a in name_forms(b)
