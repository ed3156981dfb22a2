"""Checks shared by the action-layer tests: ``act`` performs an action and checks the invariants of a
success (one event, one audit row, version + 1, an exact before/after diff); ``refused`` expects an
exception and checks that nothing at all changed.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from fengqiao.cases import inputs
from fengqiao.cases.actions import (
    Actor,
    perform,
)
from fengqiao.cases.models import Case, CaseEvent
from fengqiao.core.models import AuditEntry
from tests.conftest import Org
from tests.helpers import world_snapshot


def _json(value: Any) -> Any:
    return json.loads(json.dumps(value))


def act(org: Org, name: str, case: Case, who: str, data: dict[str, Any] | None = None, **kw: Any) -> CaseEvent:
    """Perform ``name`` and check the invariants of a successful action."""
    case.refresh_from_db()
    row_before = inputs.case_field_snapshot(case)
    state_before, version_before = case.state, case.version
    events_before = CaseEvent.objects.count()
    audit_before = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0

    event = perform(name, case, org.actor(who), data if data is not None else {}, via="test", **kw)

    case.refresh_from_db()
    assert CaseEvent.objects.count() == events_before + 1, "exactly one new event"
    assert CaseEvent.objects.filter(case=case).order_by("-id").first() == event
    assert event.code == f"case.{name}"
    assert event.state_before == state_before
    assert event.state_after == case.state
    assert case.version == version_before + 1
    assert event.version == case.version
    assert event.actor == org.user(who)
    assert event.actor_role, "the grant's role is recorded"

    # before/after hold exactly the changed columns, with their old and new values.
    event.refresh_from_db()
    row_after = _json(inputs.case_field_snapshot(case))
    row_before = _json(row_before)
    changed = {k for k in row_after if row_after[k] != row_before.get(k)}
    assert set(event.after) == changed
    assert set(event.before) == changed
    assert event.after == {k: row_after[k] for k in changed}
    assert event.before == {k: row_before[k] for k in changed}
    assert event.before["version"] == version_before and event.after["version"] == version_before + 1
    if state_before != case.state:
        assert (event.before["state"], event.after["state"]) == (state_before, case.state)
    else:
        assert "state" not in event.after

    # Exactly one audit row for the action. (Reference data the action touches on the way, such
    # as a mediator's case count, is audited by its own model signal: never as a case row.)
    new_rows = list(AuditEntry.objects.filter(id__gt=audit_before).order_by("id"))
    case_rows = [r for r in new_rows if r.action.startswith("case.")]
    assert len(case_rows) == 1, "exactly one new audit row for the action"
    assert all(r.object_type != "cases.case" for r in new_rows if r not in case_rows)
    entry = case_rows[0]
    assert entry.action == f"case.{name}"
    assert entry.object_type == "cases.case" and entry.object_id == str(case.pk)
    assert entry.username == org.user(who).username
    assert entry.detail == {"event": event.pk, "version": case.version, "state": case.state}
    return event


def refused(exc: type[Exception], org: Org, name: str, case: Case, who: str | Actor, data: Any = None, **kw: Any):
    """Perform ``name`` expecting ``exc``, and check nothing at all changed."""
    before = world_snapshot(case)
    actor = who if isinstance(who, Actor) else org.actor(who)
    with pytest.raises(exc) as info:
        perform(name, case, actor, data if data is not None else {}, **kw)
    assert world_snapshot(case) == before
    return info.value
