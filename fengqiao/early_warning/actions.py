"""The only writer of warnings, work notices and class problems (每月一题).

Each function takes the acting ``actor`` (a staff user, or None for the system), runs in one
transaction, locks the row, checks the transition and the actor's grant (fengqiao.early_warning.policy),
writes the change, exactly one :class:`WarningEvent` and one audit row. Errors are the case action
layer's (plain Chinese message, errors per field), so views and the API handle them the same way."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.cases import policy as case_policy
from fengqiao.cases.actions import ActionForbidden, ActionInvalid, InvalidTransition
from fengqiao.cases.models import Case
from fengqiao.core import audit
from fengqiao.early_warning.deadlines import due_for
from fengqiao.early_warning.models import (
    ClassProblem,
    NoticeRecipient,
    ProblemStatus,
    Status,
    Warning,
    WarningEvent,
    WorkNotice,
)
from fengqiao.early_warning.policy import Grant, grant_in, warning_grant
from fengqiao.org.models import Unit

S = Status
# action → (statuses it applies to, status after)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "assign": (frozenset({S.ISSUED, S.ASSIGNED}), S.ASSIGNED),
    "verify": (frozenset({S.ASSIGNED}), S.VERIFIED),
    "dismiss": (frozenset({S.ISSUED, S.ASSIGNED, S.VERIFIED}), S.DISMISSED),
    "measures": (frozenset({S.VERIFIED, S.MEASURES}), S.MEASURES),
    "close": (frozenset({S.MEASURES}), S.CLOSED),
}
TERMINAL = {S.DISMISSED, S.CLOSED}


def _text(data: dict[str, Any], key: str, label: str, required: bool = True, limit: int = 4000) -> str:
    value = str(data.get(key) or "").strip()
    if required and not value:
        raise ActionInvalid(
            _("请填写%(label)s。") % {"label": label}, {key: [_("请填写%(label)s。") % {"label": label}]}
        )
    if len(value) > limit:
        raise ActionInvalid(_("内容过长。"), {key: [_("不能超过%(n)s字。") % {"n": limit}]})
    return value


def _unit(data: dict[str, Any], key: str, grant: Grant, label: str) -> Unit:
    raw = data.get(key)
    unit = Unit.objects.filter(pk=int(str(raw)), is_active=True).first() if str(raw or "").isdigit() else None
    if unit is None:
        raise ActionInvalid(
            _("请选择%(label)s。") % {"label": label}, {key: [_("请选择%(label)s。") % {"label": label}]}
        )
    if not unit.path.startswith(grant.unit.path):
        raise ActionInvalid(
            _("只能选择本单位辖区内的单位。"), {key: [_("%(unit)s不在您的辖区内。") % {"unit": unit.name}]}
        )
    return unit


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def _record(
    obj: Any, code: str, actor: Any, grant: Grant | None, before: str, after: str, reason: str = "", **data: Any
) -> WarningEvent:
    kwargs: dict[str, Any] = {"warning": None, "notice": None, "problem": None}
    kwargs[{Warning: "warning", WorkNotice: "notice", ClassProblem: "problem"}[type(obj)]] = obj
    event = WarningEvent.objects.create(
        code=code,
        actor=_user(actor),
        actor_role=grant.role if grant else "",
        actor_unit=grant.unit if grant else None,
        status_before=before,
        status_after=after,
        reason=reason,
        data=data,
        **kwargs,
    )
    audit.record(
        code,
        user=_user(actor),
        role=grant.role if grant else "",
        unit_id=grant.unit.pk if grant else None,
        obj=obj,
        username="" if _user(actor) else "system:early_warning",
        detail={"event": event.pk, "before": before, "after": after, **data},
    )
    return event


def perform(name: str, warning: Warning, actor: Any, data: dict[str, Any] | None = None) -> Warning:
    """Move ``warning`` through its loop: assign, verify, dismiss (reason required), measures, close."""
    data = data or {}
    if name not in TRANSITIONS:
        raise ActionInvalid(_("没有这个操作。"))
    with transaction.atomic():
        w = (
            Warning.objects.select_for_update(of=("self",))
            .select_related("owner_unit", "assignee_unit", "model")
            .get(pk=warning.pk)
        )
        froms, after = TRANSITIONS[name]
        grant = warning_grant(actor, name, w)
        if grant is None:
            raise ActionForbidden(_("您无权对该预警执行此操作。"))
        if w.status not in froms:
            raise InvalidTransition(_("预警当前状态为“%(s)s”，不能执行此操作。") % {"s": w.get_status_display()})
        before = w.status
        now = timezone.now()
        reason = ""
        extra: dict[str, Any] = {}
        if name == "assign":
            unit = _unit(data, "unit", grant, _("承办单位"))
            reason = _text(data, "note", _("交办要求"), required=False, limit=2000)
            w.assignee_unit = unit
            extra["unit"] = unit.pk
        elif name == "verify":
            w.verification = reason = _text(data, "verification", _("核实情况"))
        elif name == "dismiss":
            w.dismiss_reason = reason = _text(data, "reason", _("排除理由"), limit=2000)
        elif name == "measures":
            w.measures = reason = _text(data, "measures", _("处置措施"))
        elif name == "close":
            reason = _text(data, "summary", _("办结情况"), limit=2000)
        w.status = after
        w.reminded_at = None
        if after in TERMINAL:
            w.closed_at = now
            w.due_at = None
        else:
            w.due_at = due_for(w.level, now)
        w.version += 1
        w.save()
        _record(w, f"warning.{name}", actor, grant, before, after, reason, **extra)
    return w


def issue_notice(actor: Any, warning: Warning, data: dict[str, Any]) -> WorkNotice:
    """工作提示: from an open warning to units within the actor's scope, each to acknowledge it."""
    with transaction.atomic():
        w = Warning.objects.select_for_update(of=("self",)).select_related("owner_unit").get(pk=warning.pk)
        grant = warning_grant(actor, "notice", w)
        if grant is None:
            raise ActionForbidden(_("您无权就该预警发布工作提示。"))
        if not w.is_open:
            raise InvalidTransition(_("预警已结束，不能再发布工作提示。"))
        title = _text(data, "title", _("标题"), limit=100)
        text = _text(data, "text", _("提示内容"))
        raw_units = data.get("units") or []
        if not isinstance(raw_units, list | tuple) or not raw_units:
            raise ActionInvalid(_("请选择接收单位。"), {"units": [_("请选择接收单位。")]})
        units = [_unit({"u": u}, "u", grant, _("接收单位")) for u in raw_units]
        try:
            days = int(data.get("due_days") or 3)
        except (TypeError, ValueError):
            raise ActionInvalid(_("签收时限须为天数。"), {"due_days": [_("请填写1至30之间的天数。")]}) from None
        if not 1 <= days <= 30:
            raise ActionInvalid(_("签收时限须为天数。"), {"due_days": [_("请填写1至30之间的天数。")]})
        notice = WorkNotice.objects.create(
            warning=w,
            title=title,
            text=text,
            issued_by=actor,
            issued_unit=grant.unit,
            due_at=timezone.now() + dt.timedelta(days=days),
        )
        for u in {u.pk: u for u in units}.values():
            NoticeRecipient.objects.create(notice=notice, unit=u)
        _record(notice, "notice.issue", actor, grant, "", "", title, units=[u.pk for u in units])
        _record(w, "warning.notice", actor, grant, w.status, w.status, title, notice=notice.pk)
    return notice


def acknowledge(actor: Any, recipient: NoticeRecipient, data: dict[str, Any]) -> NoticeRecipient:
    with transaction.atomic():
        r = (
            NoticeRecipient.objects.select_for_update(of=("self",))
            .select_related("unit", "notice")
            .get(pk=recipient.pk)
        )
        grant = grant_in(actor, "acknowledge", [r.unit])
        if grant is None:
            raise ActionForbidden(_("只有接收单位的工作人员可以签收。"))
        if r.acknowledged_at is not None:
            raise InvalidTransition(_("该工作提示已签收。"))
        r.reply = _text(data, "reply", _("落实情况"), limit=2000)
        r.acknowledged_at = timezone.now()
        r.acknowledged_by = actor
        r.save()
        _record(r.notice, "notice.acknowledge", actor, grant, "", "", r.reply, unit=r.unit_id)
    return r


def take_problem(actor: Any, data: dict[str, Any]) -> ClassProblem:
    """每月一题: a leader takes a cluster of similar cases as one class problem with a lead unit."""
    with transaction.atomic():
        grant = grant_in(actor, "take_problem", [g.unit for g in actor.role_grants()] if _user(actor) else [])
        if grant is None:
            raise ActionForbidden(_("只有领导可以立题。"))
        title = _text(data, "title", _("题目"), limit=100)
        description = _text(data, "description", _("问题描述"))
        lead = _unit(data, "lead_unit", grant, _("牵头单位"))
        ids = [int(c) for c in (data.get("cases") or []) if str(c).isdigit()]
        cases = list(case_policy.restrict(Case.objects.filter(pk__in=ids), actor))
        if not cases:
            raise ActionInvalid(_("请至少关联一件可见的案件。"), {"cases": [_("请至少关联一件可见的案件。")]})
        problem = ClassProblem.objects.create(
            title=title,
            description=description,
            lead_unit=lead,
            created_by=actor,
            due_at=timezone.now() + dt.timedelta(days=30),
        )
        problem.cases.set(cases)
        _record(problem, "problem.open", actor, grant, "", ProblemStatus.OPEN, title, cases=[c.pk for c in cases])
    return problem


def problem_progress(actor: Any, problem: ClassProblem, data: dict[str, Any]) -> ClassProblem:
    with transaction.atomic():
        p = ClassProblem.objects.select_for_update(of=("self",)).select_related("lead_unit").get(pk=problem.pk)
        grant = grant_in(actor, "problem_progress", [p.lead_unit])
        if grant is None:
            raise ActionForbidden(_("只有牵头单位可以填报推进情况。"))
        if p.status != ProblemStatus.OPEN:
            raise InvalidTransition(_("该题目已办结。"))
        text = _text(data, "progress", _("推进情况"))
        p.progress = (p.progress + "\n" if p.progress else "") + text
        p.save()
        _record(p, "problem.progress", actor, grant, p.status, p.status, text)
    return p


def close_problem(actor: Any, problem: ClassProblem, data: dict[str, Any]) -> ClassProblem:
    with transaction.atomic():
        p = ClassProblem.objects.select_for_update(of=("self",)).select_related("lead_unit").get(pk=problem.pk)
        grant = grant_in(actor, "close_problem", [p.lead_unit])
        if grant is None:
            raise ActionForbidden(_("您无权办结该题目。"))
        if p.status != ProblemStatus.OPEN:
            raise InvalidTransition(_("该题目已办结。"))
        p.policy_change = _text(data, "policy_change", _("制度成果"))
        p.status = ProblemStatus.CLOSED
        p.closed_at = timezone.now()
        p.save()
        _record(p, "problem.close", actor, grant, ProblemStatus.OPEN, ProblemStatus.CLOSED, p.policy_change)
    return p
