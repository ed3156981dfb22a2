"""Mediation listens to case events (the case layer knows nothing of it)."""

from __future__ import annotations

from typing import Any

from fengqiao.cases.models import CaseEvent

WATCHED = frozenset(
    {
        "case.record_session",
        "case.resolve",
        "case.refer",
        "case.return_visit",
        "case.reopen",
        "case.withdraw",
        "case.merge",
        "case.close",
        "case.edit_party",
    }
)


def case_event_saved(sender: Any, instance: CaseEvent, created: bool, raw: bool = False, **kwargs: Any) -> None:
    if created and not raw and instance.code in WATCHED:
        from fengqiao.mediation.schedule import on_case_event

        on_case_event(instance)
