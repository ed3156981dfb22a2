"""The action layer: the only code that changes a case.

Every caller — API, staff pages, citizen portal, imports, integrations, background jobs — calls
:func:`register_case` or :func:`perform`. Each action validates its input, locks the case row,
checks the declared transition and the actor's grant, writes the change, exactly one
:class:`~fengqiao.cases.models.CaseEvent` and one audit row in one transaction, bumps the
version, and queues side effects with ``transaction.on_commit``.

The package, by responsibility: :mod:`.base` (errors, actor, the action registry, helpers),
:mod:`.registration` (registration, a thin write), :mod:`.triaged` (the recorded triage step that
follows it), :mod:`.perform`, and the actions themselves — :mod:`.dispatch` (units and people),
:mod:`.parties` (parties added or corrected), :mod:`.progress` (first contact and the way to the end).
Later apps add their own actions with :func:`action` in their ``AppConfig.ready()`` (supervision: 批示,
延期; mediation: the case team, sessions, joint meetings).
"""

from __future__ import annotations

from fengqiao.cases.actions import dispatch, parties, progress  # noqa: F401  (register the actions)
from fengqiao.cases.actions.base import (
    ACTIONS,
    ActionError,
    ActionForbidden,
    ActionInvalid,
    ActionSpec,
    Actor,
    Ctx,
    InvalidTransition,
    StaleVersion,
    action,
    county_of,
    default_owner,
    label_for,
    level_for,
    validate,
    validate_many,
)
from fengqiao.cases.actions.dispatch import escalation_target
from fengqiao.cases.actions.perform import perform
from fengqiao.cases.actions.registration import Registered, register_case, register_many
from fengqiao.cases.actions.triaged import TriageOutcome, record_triage
from fengqiao.cases.events import event_label

__all__ = [
    "ACTIONS",
    "ActionError",
    "ActionForbidden",
    "ActionInvalid",
    "ActionSpec",
    "Actor",
    "Ctx",
    "InvalidTransition",
    "Registered",
    "StaleVersion",
    "TriageOutcome",
    "action",
    "county_of",
    "default_owner",
    "escalation_target",
    "event_label",
    "label_for",
    "level_for",
    "perform",
    "record_triage",
    "register_case",
    "register_many",
    "validate",
    "validate_many",
]
