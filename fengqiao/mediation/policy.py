"""Who may do what with mediation's own objects. Built on the case policy: an action here borrows
the roles and anchor of the case action it resembles, so scoping stays in one place."""

from __future__ import annotations

from typing import Any

from fengqiao.cases import policy as case_policy
from fengqiao.cases.models import Case
from fengqiao.cases.policy import Grant

# mediation action → the case action whose grant it needs
BORROWS: dict[str, str] = {
    "draft_agreement": "record_session",  # handlers, mediators (also on the team only), grid workers
    "schedule_session": "record_session",
    "cancel_session": "record_session",
    "court_apply": "close",  # the desk that closes the case files the application
    "court_ruling": "close",
    "offline_confirm": "record_session",
    "flag_difficult": "add_assist",  # dispatchers, handlers and leaders of the owning unit
}


def grant(user: Any, action: str, case: Case) -> Grant | None:
    return case_policy.grant_for(user, BORROWS[action], case)


def may(user: Any, action: str, case: Case) -> bool:
    return grant(user, action, case) is not None
