"""Difficult cases (疑难案件) and canned replies (常用语).

* :func:`flag` marks a case difficult with a reason and a review cycle; :func:`review` records a
  review and sets the next one; :func:`close` takes it off the list. A case that is closed,
  withdrawn or merged leaves the list by itself (subscriber). Each step is one ``mediation.*`` event.
* :func:`replies_for` gives the canned replies usable on a case (its owner unit's chain, its type
  and the type's parent), with the placeholders filled from the case."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.cases.actions import ActionForbidden, ActionInvalid, InvalidTransition
from fengqiao.cases.models import Case
from fengqiao.cases.workflow import ENDED_STATES, OPEN_STATES
from fengqiao.core.inputcheck import control_errors
from fengqiao.mediation import events, policy
from fengqiao.mediation.models import CannedReply, DifficultCase, DifficultReview, DifficultStatus


def _lock(pk: int) -> Case:
    return Case.objects.select_for_update(of=("self",)).select_related("owner_unit").get(pk=pk)


def _note(value: Any, key: str, label: str, limit: int) -> str:
    text = str(value or "").strip()
    if control_errors({key: text}):
        raise ActionInvalid(_("输入有误，请检查后重试。"), {key: [_("含有不可见的控制字符。")]})
    if not text:
        raise ActionInvalid(_("请填写%(l)s。") % {"l": label}, {key: [_("请填写%(l)s。") % {"l": label}]})
    if len(text) > limit:
        raise ActionInvalid(_("内容过长。"), {key: [_("不能超过%(n)s字。") % {"n": limit}]})
    return text


def _grant(user: Any, case: Case) -> Any:
    g = policy.grant(user, "flag_difficult", case)
    if g is None:
        raise ActionForbidden(_("您没有对该案件执行此操作的权限。"))
    return g


def flag(user: Any, case: Case | int, reason: str, review_days: Any = 7, *, via: str = "web") -> DifficultCase:
    reason = _note(reason, "reason", "疑难原因", 1000)
    try:
        days = 7 if review_days in (None, "") else int(review_days)
    except (TypeError, ValueError):
        days = 0
    if not 1 <= days <= 90:
        raise ActionInvalid(_("复核周期有误。"), {"review_days": [_("复核周期须为1到90天。")]})
    with transaction.atomic():
        c = _lock(case.pk if isinstance(case, Case) else case)
        if c.state not in OPEN_STATES | ENDED_STATES:
            raise InvalidTransition(_("案件当前状态为「%(s)s」，不能标记疑难。") % {"s": c.get_state_display()})
        g = _grant(user, c)
        if DifficultCase.objects.filter(case=c, status=DifficultStatus.OPEN).exists():
            raise InvalidTransition(_("该案件已在疑难案件清单中。"))
        now = timezone.now()
        d = DifficultCase.objects.create(
            case=c, reason=reason, review_days=days, next_review_at=now + dt.timedelta(days=days), flagged_by=user
        )
        events.record(
            c,
            "mediation.difficult_flag",
            user=user,
            role=g.role,
            unit=g.unit,
            via=via,
            reason=reason,
            data={"difficult": d.pk, "review_days": days},
        )
    return d


def _open_for_update(user: Any, pk: int) -> tuple[DifficultCase, Any, Any]:
    """The open difficult case ``pk`` locked with its case (case first, as every action locks), and the
    user's grant on the case; inside the caller's transaction."""
    d = DifficultCase.objects.get(pk=pk)
    c = _lock(d.case_id)
    g = _grant(user, c)
    d = DifficultCase.objects.select_for_update().get(pk=pk)
    if d.status != DifficultStatus.OPEN:
        raise InvalidTransition(_("该疑难案件已销号。"))
    return d, c, g


def review(user: Any, difficult: DifficultCase | int, note: str, *, via: str = "web") -> DifficultReview:
    note = _note(note, "note", "复核情况", 2000)
    pk = difficult.pk if isinstance(difficult, DifficultCase) else difficult
    with transaction.atomic():
        d, c, g = _open_for_update(user, pk)
        r = DifficultReview.objects.create(difficult=d, note=note, by=user)
        d.next_review_at = timezone.now() + dt.timedelta(days=d.review_days)
        d.save(update_fields=["next_review_at"])
        events.record(
            c,
            "mediation.difficult_review",
            user=user,
            role=g.role,
            unit=g.unit,
            via=via,
            reason=note,
            data={"difficult": d.pk},
        )
    return r


def close(user: Any, difficult: DifficultCase | int, note: str, *, via: str = "web") -> DifficultCase:
    note = _note(note, "note", "销号说明", 2000)
    pk = difficult.pk if isinstance(difficult, DifficultCase) else difficult
    with transaction.atomic():
        d, c, g = _open_for_update(user, pk)
        DifficultReview.objects.create(difficult=d, note=note, by=user)
        d.status, d.closed_at = DifficultStatus.CLOSED, timezone.now()
        d.save(update_fields=["status", "closed_at"])
        events.record(
            c,
            "mediation.difficult_close",
            user=user,
            role=g.role,
            unit=g.unit,
            via=via,
            reason=note,
            data={"difficult": d.pk},
        )
    return d


def on_case_end(case_id: int) -> None:
    DifficultCase.objects.filter(case_id=case_id, status=DifficultStatus.OPEN).update(
        status=DifficultStatus.CLOSED, closed_at=timezone.now()
    )


# --------------------------------------------------------------------------------------------- 常用语


class _Safe(dict):  # type: ignore[type-arg]
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def fill(text: str, case: Case) -> str:
    handler = (getattr(case.handler, "display_name", "") or "工作人员") if case.handler_id else "工作人员"
    today = timezone.localdate()
    values = _Safe(
        code=case.display_code,
        title=case.title,
        unit=case.owner_unit.name if case.owner_unit_id else "",
        handler=handler,
        date=f"{today.year}年{today.month}月{today.day}日",
    )
    try:
        return text.format_map(values)
    except (ValueError, IndexError):  # a stray brace in an admin's text: show it as written
        return text


def replies_for(case: Case) -> list[dict[str, str]]:
    chain = [int(x) for x in (case.owner_path or "").strip("/").split("/") if x]
    cats: list[int] = []
    if case.category_id:
        cats.append(case.category_id)
        if case.category is not None and case.category.parent_id:
            cats.append(case.category.parent_id)
    qs = CannedReply.objects.filter(is_active=True).filter(Q(unit=None) | Q(unit_id__in=chain))
    qs = qs.filter(Q(category=None) | Q(category_id__in=cats))
    return [{"title": r.title, "text": fill(r.text, case)} for r in qs.order_by("sort", "pk")[:50]]
