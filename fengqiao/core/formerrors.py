"""DRF's nested validation errors as plain messages, for the pages that show them beside fields.

``ActionError.errors`` is the serializer's error structure: a dict of field → list of
``ErrorDetail``, where a nested serializer gives a dict and a list serializer a list — or, since
DRF 3.15, a dict keyed by the item's index (``{0: {"phone": [...]}}``). ``str()`` of such a
structure is a Python repr, which a page must never show; these helpers walk it instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

Path = tuple[str | int, ...]


def walk(errors: Any, path: Path = ()) -> Iterator[tuple[Path, str]]:
    """Every message in ``errors`` with the path of keys/indexes that leads to it."""
    if isinstance(errors, dict):
        for key, value in errors.items():
            k: str | int = key if isinstance(key, int) else str(key)
            if isinstance(k, str) and k.isdigit():
                k = int(k)
            yield from walk(value, (*path, k))
    elif isinstance(errors, list | tuple):
        if errors and all(isinstance(v, dict) for v in errors):  # a list serializer: one entry per item
            for i, value in enumerate(errors):
                yield from walk(value, (*path, i))
        else:
            for value in errors:
                yield from walk(value, path)
    elif errors is not None and str(errors):
        yield path, str(errors)


def messages(errors: Any) -> list[str]:
    """All messages of ``errors``, flattened, without repeats, in order."""
    out: list[str] = []
    for _path, msg in walk(errors):
        if msg not in out:
            out.append(msg)
    return out


GENERAL_KEYS = {"non_field_errors", "detail"}


def split(errors: Any, aliases: dict[str, str] | None = None) -> tuple[dict[str, list[str]], list[str]]:
    """Messages per top-level field (renamed by ``aliases``) and messages for the whole form."""
    aliases = aliases or {}
    per_field: dict[str, list[str]] = {}
    general: list[str] = []
    for path, msg in walk(errors):
        if not path or str(path[0]) in GENERAL_KEYS:
            target = general
        else:
            key = str(path[0])
            target = per_field.setdefault(aliases.get(key, key), [])
        if msg not in target:
            target.append(msg)
    return per_field, general
