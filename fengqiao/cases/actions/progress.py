"""Actions along the way to the end: first contact, pause/resume, resolve, refer, rate, close, reopen,
merge, update."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fengqiao.cases import codes, hooks, inputs
from fengqiao.cases.actions.base import (
    ActionInvalid,
    Ctx,
    action,
)
from fengqiao.cases.choices import Satisfaction
from fengqiao.cases.models import Case
from fengqiao.cases.policy import restrict
from fengqiao.cases.workflow import WORKING_STATES, State


@action("first_contact", _("联系当事人"), inputs.FirstContactInput, public=True)
def _first_contact(ctx: Ctx) -> None:
    c = ctx.case
    if c.first_contact_at is None:
        c.first_contact_at = timezone.now()
    ctx.reason = ctx.data["note"]
    ctx.event_data = {"method": ctx.data["method"]}


@action("pause", _("中止计时"), inputs.PauseInput)
def _pause(ctx: Ctx) -> None:
    ctx.case.paused_from = ctx.case.state
    ctx.case.paused_at = timezone.now()
    ctx.reason = ctx.data["note"]
    ctx.event_data = {"wait_for": ctx.data["reason"]}


@action("resume", _("恢复办理"), inputs.OptionalReasonInput)
def _resume(ctx: Ctx) -> None:
    c = ctx.case
    ctx.target_state = c.paused_from if c.paused_from in WORKING_STATES else State.IN_PROGRESS
    c.paused_from = ""
    if c.paused_at is not None:
        now = timezone.now()
        if hooks.deadlines is not None:
            hooks.deadlines.shift_after_pause(c, c.paused_at, now)
        ctx.event_data = {"paused_seconds": int((now - c.paused_at).total_seconds())}
        c.paused_at = None
    ctx.reason = ctx.data["reason"]


@action("resolve", _("化解办结"), inputs.ResolveInput, public=True)
def _resolve(ctx: Ctx) -> None:
    c = ctx.case
    c.agreement = ctx.data["agreement"]
    c.matter_settled = ctx.data["matter_settled"]
    c.grievance_settled = ctx.data["grievance_settled"]
    c.result_summary = ctx.data["result"]
    c.resolved_at = timezone.now()
    ctx.event_data = {k: ctx.data[k] for k in ("agreement", "matter_settled", "grievance_settled")}


@action("refer", _("未化解转介"), inputs.ReferInput, public=True)
def _refer(ctx: Ctx) -> None:
    c = ctx.case
    c.referral = ctx.data["referral"]
    c.resolved_at = timezone.now()
    ctx.reason = ctx.data["reason"]
    ctx.event_data = {"referral": c.referral}


@action("rate", _("评价"), inputs.RateInput, public=True)
def _rate(ctx: Ctx) -> None:
    c = ctx.case
    c.satisfaction = ctx.data["satisfaction"]
    if ctx.data.get("matter_settled") is not None:
        c.matter_settled = ctx.data["matter_settled"]
    if ctx.data.get("grievance_settled") is not None:
        c.grievance_settled = ctx.data["grievance_settled"]
    ctx.reason = ctx.data["comment"]
    ctx.event_data = {
        "satisfaction": c.satisfaction,
        "matter_settled": ctx.data.get("matter_settled"),
        "grievance_settled": ctx.data.get("grievance_settled"),
        "unhappy": c.satisfaction == Satisfaction.UNSATISFIED,
    }


@action("return_visit", _("回访"), inputs.ReturnVisitInput)
def _return_visit(ctx: Ctx) -> None:
    c = ctx.case
    c.matter_settled = ctx.data["matter_settled"]
    c.grievance_settled = ctx.data["grievance_settled"]
    ctx.reason = ctx.data["note"]
    ctx.event_data = {k: ctx.data[k] for k in ("method", "matter_settled", "grievance_settled")}


@action("close", _("办结"), inputs.OptionalReasonInput, public=True)
def _close(ctx: Ctx) -> None:
    ctx.case.closed_at = timezone.now()
    ctx.reason = ctx.data["reason"]


@action("reopen", _("重新办理"), inputs.ReasonInput, public=True)
def _reopen(ctx: Ctx) -> None:
    c = ctx.case
    c.closed_at = None
    c.resolved_at = None
    c.referral = ""
    # The citizen rates the new result: the earlier rating stays in its rate event and in this event's
    # "before"; the case waits for a new one (and the reminder after the next resolution).
    c.satisfaction = ""
    c.matter_settled = None
    c.grievance_settled = None
    ctx.reason = ctx.data["reason"]
    if hooks.team is not None and hooks.team.has_team(c):  # the team is still on it: back to 调解中
        ctx.target_state = State.MEDIATING


@action("withdraw", _("撤回"), inputs.OptionalReasonInput, public=True)
def _withdraw(ctx: Ctx) -> None:
    c = ctx.case
    c.pending_unit = None
    c.closed_at = timezone.now()
    ctx.reason = ctx.data["reason"]


@action("merge", _("合并"), inputs.MergeInput, public=True)
def _merge(ctx: Ctx) -> None:
    c = ctx.case
    code = codes.normalise(ctx.data["into"])
    target_qs = Case.objects.filter(code=code).exclude(pk=c.pk)
    if ctx.actor.kind == "staff":
        target_qs = restrict(target_qs, ctx.actor.user)
    target = target_qs.first()
    if target is None or not target.is_open:
        raise ActionInvalid(gettext("目标案件不存在或已结束。"), {"into": [gettext("目标案件不存在或已结束。")]})
    c.merged_into = target
    c.pending_unit = None
    c.closed_at = timezone.now()
    ctx.reason = ctx.data["reason"]
    ctx.event_data = {"into": target.code}


@action("archive", _("归档"), inputs.EmptyInput)
def _archive(ctx: Ctx) -> None:
    ctx.event_data = {}


@action("update", _("修改案件信息"), inputs.UpdateInput)
def _update(ctx: Ctx) -> None:
    c = ctx.case
    for key, value in ctx.data.items():
        if key != "reason":
            setattr(c, key, value)
    ctx.reason = ctx.data["reason"]
    ctx.event_data = {"fields": sorted(k for k in ctx.data if k != "reason")}
    changed = set(ctx.data) & {"category", "domain", "location_unit"}
    if changed:  # subscribers (triage: routing) re-run when the type or the place changes
        for _receiver, extra in hooks.fields_changed.send(sender=Case, case=c, changed=changed):
            if isinstance(extra, dict):
                ctx.event_data.update(extra)


@action("note", _("备注"), inputs.NoteInput)
def _note(ctx: Ctx) -> None:
    ctx.reason = ctx.data["text"]
    ctx.public = ctx.data["public"]
