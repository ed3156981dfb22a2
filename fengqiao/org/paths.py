"""Subtree queries on materialised paths ("/1/5/23/").

A subtree is a key range, [path, path[:-1] + "0"): paths hold only digits and "/", and "0" is the
character right after "/", so the range holds exactly the paths that start with ``path``. Unlike
``LIKE 'p%'`` a range uses a plain B-tree index on SQLite and PostgreSQL (with "C" collation,
which migration 0004 sets on PostgreSQL path columns).
"""

from __future__ import annotations

from django.db.models import Q


def subtree_range(path: str) -> tuple[str, str]:
    if not path.endswith("/"):
        raise ValueError(f"not a unit path: {path!r}")
    return path, path[:-1] + "0"


def subtree_q(field: str, path: str) -> Q:
    lo, hi = subtree_range(path)
    return Q(**{f"{field}__gte": lo, f"{field}__lt": hi})
