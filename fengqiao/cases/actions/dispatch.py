"""Actions that move a case between units and people: accept, assign, transfer, return, escalate, assist."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fengqiao.cases import inputs
from fengqiao.cases.actions.base import (
    ActionInvalid,
    Ctx,
    action,
    level_for,
)
from fengqiao.cases.choices import Level
from fengqiao.cases.models import CaseUnit
from fengqiao.cases.workflow import State
from fengqiao.org.choices import Role, UnitKind
from fengqiao.org.models import Unit


@action("accept", _("受理"), inputs.OptionalReasonInput, public=True)
def _accept(ctx: Ctx) -> None:
    c = ctx.case
    if c.pending_unit_id:
        c.dispatched_from = c.owner_unit
        c.owner_unit = c.pending_unit  # type: ignore[assignment]
        c.pending_unit = None
        c.level = level_for(c.owner_unit, c.level)
        c.handler = None
    c.accepted_at = c.accepted_at or timezone.now()
    ctx.reason = ctx.data["reason"]
    ctx.event_data = {"unit": c.owner_unit_id}


@action("assign_person", _("指派承办人"), inputs.AssignPersonInput, public=True)
def _assign_person(ctx: Ctx) -> None:
    c, handler = ctx.case, ctx.data["handler"]
    ok_roles = {Role.HANDLER, Role.GRID_WORKER, Role.DISPATCHER, Role.MEDIATOR}
    if not any(g.role in ok_roles and c.owner_unit.path.startswith(g.unit.path) for g in handler.role_grants()):
        raise ActionInvalid(
            gettext("承办人须为责任单位的工作人员。"), {"handler": [gettext("不是责任单位的工作人员。")]}
        )
    c.handler = handler
    if c.accepted_at is None:
        c.accepted_at = timezone.now()
    if c.state == State.MEDIATING:
        # The handler takes charge; the team goes on mediating (记录调解 stays available).
        ctx.target_state = State.MEDIATING
    ctx.reason = ctx.data["reason"]
    ctx.event_data = {"handler": handler.pk, "handler_name": str(handler)}


def _dispatch(ctx: Ctx, target: Unit) -> None:
    c = ctx.case
    if target.pk == c.owner_unit_id:
        raise ActionInvalid(gettext("不能交给本单位。"), {"unit": [gettext("不能交给本单位。")]})
    c.pending_unit = target
    c.dispatched_from = c.owner_unit
    ctx.event_data = {"from": c.owner_unit_id, "to": target.pk, "to_name": target.name}


@action("assign_unit", _("交办"), inputs.AssignUnitInput, public=True)
def _assign_unit(ctx: Ctx) -> None:
    target: Unit = ctx.data["unit"]
    if ctx.grant and ctx.grant.unit and not target.path.startswith(ctx.grant.unit.path):
        raise ActionInvalid(gettext("只能交办给本级及下级单位。"), {"unit": [gettext("不在交办范围内。")]})
    _dispatch(ctx, target)
    ctx.reason = ctx.data["reason"]


@action("transfer", _("转办"), inputs.UnitTargetInput, public=True)
def _transfer(ctx: Ctx) -> None:
    _dispatch(ctx, ctx.data["unit"])
    ctx.reason = ctx.data["reason"]


@action("decline", _("退回（拒收）"), inputs.ReasonInput)
def _decline(ctx: Ctx) -> None:
    c = ctx.case
    ctx.event_data = {"declined_by": c.pending_unit_id, "back_to": c.owner_unit_id}
    c.pending_unit = None
    ctx.reason = ctx.data["reason"]


@action("return", _("退回"), inputs.ReasonInput)
def _return(ctx: Ctx) -> None:
    c = ctx.case
    back_to = c.dispatched_from
    if back_to is None:
        raise ActionInvalid(gettext("该案件没有交办单位，无法退回。"))
    c.pending_unit = back_to
    c.dispatched_from = c.owner_unit
    c.handler = None
    ctx.reason = ctx.data["reason"]
    ctx.event_data = {"from": c.owner_unit_id, "to": back_to.pk}


def escalation_target(owner: Unit) -> Unit | None:
    """One tier up: grid/village → town centre; town → county centre; county → task force."""
    tier = owner.tier
    if owner.kind in (UnitKind.CENTRE,):
        tier = 3
    if tier <= 1:
        town = owner.ancestor_of_kind(UnitKind.TOWN)
        if town is not None:
            return Unit.objects.filter(parent=town, kind=UnitKind.SUBCENTRE).first() or town
    county = owner.ancestor_of_kind(UnitKind.COUNTY)
    if county is None:
        return None
    if tier <= 2:
        return Unit.objects.filter(parent=county, kind=UnitKind.CENTRE).first()
    if tier == 3:
        return Unit.objects.filter(parent=county, kind=UnitKind.TASKFORCE, is_active=True).first()
    return None


@action("escalate", _("上报升级"), inputs.EscalateInput, public=True)
def _escalate(ctx: Ctx) -> None:
    c = ctx.case
    target: Unit | None = ctx.data.get("unit")
    current_tier = 3 if c.owner_unit.kind == UnitKind.CENTRE else c.owner_unit.tier
    if target is None:
        target = escalation_target(c.owner_unit)
        if target is None:
            raise ActionInvalid(gettext("已是最高层级，无法继续上报。"))
    elif target.tier <= current_tier and target.kind != UnitKind.TASKFORCE:
        raise ActionInvalid(gettext("只能上报到更高层级的单位。"), {"unit": [gettext("层级不高于当前责任单位。")]})
    _dispatch(ctx, target)
    # Up to the county centre means tier 3, orange (docs/workflow.md); a case merely registered at
    # the centre keeps the level of its place (level_for).
    level = Level.ORANGE if target.kind == UnitKind.CENTRE else level_for(target, c.level)
    c.level = max(c.level, int(level))
    ctx.reason = ctx.data["reason"]
    ctx.event_data["level"] = c.level


@action("add_assist", _("增加协办单位"), inputs.AddAssistInput)
def _add_assist(ctx: Ctx) -> None:
    c = ctx.case
    added = []
    for unit in ctx.data["units"]:
        if unit.pk == c.owner_unit_id:
            continue
        _, created = CaseUnit.objects.get_or_create(case=c, unit=unit, defaults={"unit_path": unit.path})
        if created:
            added.append(unit.pk)
    lead = ctx.data.get("lead_unit")
    if lead is not None:
        c.lead_unit = lead
    # ``assisting`` already holds the units added above: count them once.
    if c.assisting.count() >= 2 and c.level < Level.ORANGE:
        c.level = Level.ORANGE  # several departments → orange (004)
    if not added and lead is None:
        raise ActionInvalid(gettext("这些单位已是协办单位。"), {"units": [gettext("没有新增的协办单位。")]})
    ctx.reason = ctx.data["reason"]
    ctx.event_data = {"added": added, "lead_unit": lead.pk if lead else None}
