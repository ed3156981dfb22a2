"""Who proposes a mediation team for a case: a later stage (triage) registers itself here in its
``ready()``, so the team form (``web.actionforms``) reads the proposal without importing that stage.

A proposer answers ``[{"mediator": id, "lead": bool, "reason": str}, ...]`` for a case (empty when it
has none)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Proposer = Callable[[Any], list[dict[str, Any]]]
_PROPOSERS: list[Proposer] = []


def register_team_proposer(fn: Proposer) -> None:
    if fn not in _PROPOSERS:
        _PROPOSERS.append(fn)


def proposed_team(case: Any) -> list[dict[str, Any]]:
    """The first registered proposer's team for ``case`` (none registered: no proposal)."""
    for fn in _PROPOSERS:
        rows = fn(case)
        if rows:
            return rows
    return []
