"""Sessions planned ahead (安排调解) and return visits due after a case ends (回访计划).

* :func:`schedule_session` / :func:`cancel_session` are actions (case locked, grant checked, one
  ``mediation.*`` event, audit). A plan must lie in the future; its notice goes out at once to each
  party and to the team (SMS, and the inbox), :func:`remind_sessions` reminds them
  ``REMIND_BEFORE`` ahead. Recording the session as held (the case action ``record_session``, which
  refuses a time in the future) marks the plan held.
* Return visits: when a case ends (``case.resolve`` / ``case.refer``) one plan per day count of
  ``FENGQIAO_RETURN_VISIT_DAYS`` (7 and 30) is written; a recorded ``case.return_visit`` completes the
  earliest open one; ``case.reopen`` cancels the open ones. :func:`remind_visits` texts the handler
  once when a visit falls due. Both jobs are plain functions, idempotent (dedup keys / flags).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from fengqiao.cases.actions import ActionForbidden, ActionInvalid, InvalidTransition
from fengqiao.cases.models import Case, CaseEvent
from fengqiao.cases.workflow import WORKING_STATES
from fengqiao.core.inputcheck import control_errors
from fengqiao.mediation import events, notices, policy
from fengqiao.mediation.models import Agreement, AgreementStatus, PlanStatus, SessionPlan, VisitPlan, VisitStatus
from fengqiao.notify.outbox import queue_sms
from fengqiao.notify.templates import kick_relay

REMIND_BEFORE = dt.timedelta(hours=24)
MAX_AHEAD = dt.timedelta(days=180)


def visit_days() -> tuple[int, ...]:
    return tuple(getattr(settings, "FENGQIAO_RETURN_VISIT_DAYS", (7, 30)))


def _lock(pk: int) -> Case:
    return Case.objects.select_for_update(of=("self",)).select_related("owner_unit").get(pk=pk)


def clean_plan(data: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    refused = control_errors(data)
    if refused:
        raise ActionInvalid(_("输入有误，请检查后重试。"), refused)
    errors: dict[str, list[str]] = {}
    raw = data.get("starts_at")
    starts = raw if isinstance(raw, dt.datetime) else parse_datetime(str(raw or "").strip())
    if starts is None:
        errors["starts_at"] = [_("请填写调解的日期和时间。")]
    else:
        if timezone.is_naive(starts):
            starts = timezone.make_aware(starts)
        if starts <= now:
            errors["starts_at"] = [_("安排的调解时间须在当前时间之后；已经举行的调解请用“记录调解”。")]
        elif starts > now + MAX_AHEAD:
            errors["starts_at"] = [_("只能安排180天以内的调解。")]
    place = str(data.get("place") or "").strip()
    url = str(data.get("online_url") or "").strip()
    note = str(data.get("note") or "").strip()
    if len(place) > 120:
        errors["place"] = [_("不能超过120字。")]
    if url and (not url.startswith("https://") or len(url) > 200 or " " in url):
        errors["online_url"] = [_("线上调解室链接须以 https:// 开头。")]
    if not place and not url:
        errors["place"] = [_("请填写调解地点或线上调解室链接。")]
    if len(note) > 200:
        errors["note"] = [_("不能超过200字。")]
    if errors:
        raise ActionInvalid(_("调解安排有误，请检查后重试。"), errors)
    return {"starts_at": starts, "place": place, "online_url": url, "note": note}


def schedule_session(user: Any, case: Case | int, data: dict[str, Any], *, via: str = "web") -> SessionPlan:
    pk = case.pk if isinstance(case, Case) else case
    with transaction.atomic():
        c = _lock(pk)
        if c.state not in WORKING_STATES:
            raise InvalidTransition(_("案件当前状态为「%(s)s」，不能安排调解。") % {"s": c.get_state_display()})
        g = policy.grant(user, "schedule_session", c)
        if g is None:
            raise ActionForbidden(_("您没有对该案件执行此操作的权限。"))
        values = clean_plan(data, timezone.now())
        plan = SessionPlan.objects.create(case=c, created_by=user, **values)
        event = events.record(
            c,
            "mediation.session_schedule",
            user=user,
            role=g.role,
            unit=g.unit,
            via=via,
            public=True,
            data={
                "plan": plan.pk,
                "starts_at": plan.starts_at.isoformat(),
                "place": plan.place,
                "online": bool(plan.online_url),
            },
        )
        notices.session_sms(c, plan, "notice")
        notices.inbox(c, event, "session_scheduled")
    return plan


def cancel_session(user: Any, plan: SessionPlan | int, reason: str, *, via: str = "web") -> SessionPlan:
    pk = plan.pk if isinstance(plan, SessionPlan) else plan
    reason = str(reason or "").strip()
    if not reason:
        raise ActionInvalid(_("请填写取消原因。"), {"reason": [_("请填写取消原因。")]})
    if len(reason) > 200:
        raise ActionInvalid(_("内容过长。"), {"reason": [_("不能超过200字。")]})
    with transaction.atomic():
        found = SessionPlan.objects.get(pk=pk)
        c = _lock(found.case_id)
        g = policy.grant(user, "cancel_session", c)
        if g is None:
            raise ActionForbidden(_("您没有对该案件执行此操作的权限。"))
        p = SessionPlan.objects.select_for_update().get(pk=pk)
        if p.status != PlanStatus.SCHEDULED:
            raise InvalidTransition(_("该调解安排已%(s)s，不能取消。") % {"s": p.get_status_display()})
        p.status, p.cancel_reason = PlanStatus.CANCELLED, reason
        p.save(update_fields=["status", "cancel_reason"])
        events.record(
            c,
            "mediation.session_cancel",
            user=user,
            role=g.role,
            unit=g.unit,
            via=via,
            public=True,
            reason=reason,
            data={"plan": p.pk},
        )
    return p


def remind_sessions(now: dt.datetime | None = None) -> int:
    """Remind parties and team of sessions starting within ``REMIND_BEFORE``; returns plans reminded."""
    now = now or timezone.now()
    done = 0
    due = SessionPlan.objects.filter(
        status=PlanStatus.SCHEDULED, reminded_at=None, starts_at__gt=now, starts_at__lte=now + REMIND_BEFORE
    ).select_related("case")
    for plan in due.order_by("starts_at")[:500]:
        with transaction.atomic():
            if SessionPlan.objects.filter(pk=plan.pk, reminded_at=None).update(reminded_at=now):
                notices.session_sms(plan.case, plan, "remind")
                done += 1
    return done


# --------------------------------------------------------------------------------------------- subscribers


def on_case_event(event: CaseEvent) -> None:
    """Called for each new case event (post_save, inside the action's transaction)."""
    code = event.code
    if code == "case.record_session":
        held = parse_datetime(str((event.data or {}).get("held_at") or ""))
        plans = SessionPlan.objects.filter(case_id=event.case_id, status=PlanStatus.SCHEDULED)
        if held is not None:
            plans = plans.filter(starts_at__lte=held + dt.timedelta(hours=12))
        first = plans.order_by("starts_at").first()
        if first is not None:
            SessionPlan.objects.filter(pk=first.pk).update(status=PlanStatus.HELD)
    elif code in ("case.resolve", "case.refer"):
        schedule_visits(event.case_id, event.at)
    elif code == "case.return_visit":
        visit = VisitPlan.objects.filter(case_id=event.case_id, status=VisitStatus.DUE).order_by("due_at").first()
        if visit is not None:
            VisitPlan.objects.filter(pk=visit.pk).update(status=VisitStatus.DONE, done_at=event.at)
    elif code == "case.edit_party":
        # A party added or corrected: an agreement still waiting for confirmations names the parties as
        # they were, so it is superseded (the mediator drafts a new version listing every party).
        Agreement.objects.filter(case_id=event.case_id, status=AgreementStatus.SIGNING).update(
            status=AgreementStatus.SUPERSEDED
        )
    if code in ("case.close", "case.withdraw", "case.merge"):
        from fengqiao.mediation.desk import on_case_end

        on_case_end(event.case_id)
    if code in ("case.reopen", "case.withdraw", "case.merge"):
        VisitPlan.objects.filter(case_id=event.case_id, status=VisitStatus.DUE).update(status=VisitStatus.CANCELLED)
        if code != "case.reopen":
            SessionPlan.objects.filter(case_id=event.case_id, status=PlanStatus.SCHEDULED).update(
                status=PlanStatus.CANCELLED, cancel_reason="案件已结束"
            )
    if code in ("case.resolve", "case.refer"):
        SessionPlan.objects.filter(case_id=event.case_id, status=PlanStatus.SCHEDULED).update(
            status=PlanStatus.CANCELLED, cancel_reason="案件已化解或转介"
        )


def schedule_visits(case_id: int, ended_at: dt.datetime) -> int:
    rows = [
        VisitPlan(case_id=case_id, days=d, ended_at=ended_at, due_at=ended_at + dt.timedelta(days=d))
        for d in visit_days()
    ]
    return len(VisitPlan.objects.bulk_create(rows, ignore_conflicts=True))


def remind_visits(now: dt.datetime | None = None) -> int:
    """Text the handler once when a return visit falls due (the due list shows it in any case)."""
    from fengqiao.org.models import User

    now = now or timezone.now()
    sent = 0
    for plan in VisitPlan.objects.filter(status=VisitStatus.DUE, reminded_at=None, due_at__lte=now).select_related(
        "case"
    )[:500]:
        with transaction.atomic():
            if not VisitPlan.objects.filter(pk=plan.pk, reminded_at=None).update(reminded_at=now):
                continue
            case = plan.case
            mobile = (
                User.objects.filter(pk=case.handler_id).values_list("mobile", flat=True).first()
                if case.handler_id
                else ""
            )
            if mobile:
                queue_sms(
                    str(mobile),
                    f"【枫桥】回访提醒：案件{case.display_code}「{case.title[:16]}」结案{plan.days}天回访已到期，请及时回访。",
                    f"visit:{plan.pk}:remind",
                    case=case,
                    template="visit",
                )
                sent += 1
    if sent:
        kick_relay()
    return sent


def run_jobs() -> dict[str, int]:
    """The periodic job of this app (every few minutes): session reminders and due return visits."""
    return {"sessions": remind_sessions(), "visits": remind_visits()}
