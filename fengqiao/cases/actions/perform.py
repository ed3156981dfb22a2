"""``perform``: every action on an existing case goes through here."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext

from fengqiao.cases import hooks, inputs
from fengqiao.cases.actions.base import (
    ACTIONS,
    ActionForbidden,
    ActionInvalid,
    Actor,
    Ctx,
    InvalidTransition,
    StaleVersion,
    audit_rows,
    diff,
    queue_side_effects,
    validate,
)
from fengqiao.cases.models import Case, CaseEvent
from fengqiao.cases.policy import CITIZEN_ACTIONS, Grant, grant_for
from fengqiao.cases.workflow import OPEN_STATES, TRANSITIONS, State


def perform(
    name: str,
    case: Case | int,
    actor: Actor,
    data: Any = None,
    *,
    expected_version: int | None = None,
    via: str = "",
) -> CaseEvent:
    """Take action ``name`` on ``case`` as ``actor``; returns the event written."""
    spec = ACTIONS.get(name)
    if spec is None:
        raise ActionInvalid(gettext("未知的操作：%(name)s") % {"name": name})
    values = validate(spec.input, data or {}, {"actor": actor})
    transition = TRANSITIONS[name]
    case_pk = case.pk if isinstance(case, Case) else case
    with transaction.atomic():
        locked = (
            Case.objects.select_for_update(of=("self",))
            .select_related("owner_unit", "pending_unit", "lead_unit")
            .get(pk=case_pk)
        )
        if expected_version is not None and locked.version != expected_version:
            raise StaleVersion(gettext("案件已被他人更新（当前版本 %(v)s），请刷新后重试。") % {"v": locked.version})
        if not transition.allows(locked.state):
            raise InvalidTransition(
                gettext("案件当前状态为「%(state)s」，不能执行「%(action)s」。")
                % {"state": State(locked.state).label, "action": spec.label}
            )
        grant: Grant | None = None
        if actor.kind == "staff":
            grant = grant_for(actor.user, name, locked)
            if grant is None:
                raise ActionForbidden(gettext("您没有对该案件执行「%(action)s」的权限。") % {"action": spec.label})
        elif actor.kind == "citizen" and name not in CITIZEN_ACTIONS:
            raise ActionForbidden(gettext("群众不能执行该操作。"))

        before = inputs.case_field_snapshot(locked)
        state_before = locked.state
        ctx = Ctx(case=locked, actor=actor, grant=grant, data=values, public=spec.public)
        spec.apply(ctx)
        new_state = ctx.target_state or transition.target_for(state_before)
        if not transition.may_lead_to(state_before, new_state):  # pragma: no cover - a bug in an action
            raise InvalidTransition(f"undeclared transition {state_before} -> {new_state} by {name}")
        locked.state = new_state
        locked.version += 1
        locked.save()
        if hooks.team is not None and (ctx.recount or (state_before in OPEN_STATES) != (new_state in OPEN_STATES)):
            hooks.team.recount(locked, ctx.recount)  # the team's cases-in-hand counters, counted afresh
        b, a = diff(before, inputs.case_field_snapshot(locked))
        event = CaseEvent.objects.create(
            case=locked,
            code=f"case.{name}",
            actor=actor.user,
            actor_role=grant.role if grant else actor.kind,
            actor_unit=grant.unit if grant else None,
            via=via,
            state_before=state_before,
            state_after=locked.state,
            before=b,
            after=a,
            reason=ctx.reason,
            data=ctx.event_data,
            public=ctx.public,
            version=locked.version,
        )
        audit_rows(f"case.{name}", actor, [(grant, locked, event)])
        queue_side_effects([event])
    if isinstance(case, Case):
        case.refresh_from_db()
    return event
