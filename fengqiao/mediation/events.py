"""Mediation's own steps on the case timeline.

They are :class:`~fengqiao.cases.models.CaseEvent` rows with ``mediation.*`` codes, written by
:func:`record` (this app's actions only) with an audit row in the same transaction; the case's
version is bumped so cached citizen pages are rebuilt. Their labels join the case labels when the
app is ready (:func:`register_labels`), so the staff timeline, the citizen page and the 一事一档 PDF
read them like any other step."""

from __future__ import annotations

from typing import Any

from django.db.models import F
from django.utils.translation import gettext_lazy as _

from fengqiao.cases.models import Case, CaseEvent
from fengqiao.core import audit

LABELS: dict[str, Any] = {
    "mediation.agreement_draft": _("拟定调解协议书"),
    "mediation.agreement_confirm": _("当事人确认调解协议"),
    "mediation.agreement_refuse": _("当事人拒绝调解协议"),
    "mediation.agreement_sealed": _("调解协议封存"),
    "mediation.court_apply": _("申请司法确认"),
    "mediation.court_ruling": _("司法确认结果"),
    "mediation.session_schedule": _("安排调解"),
    "mediation.session_cancel": _("取消调解安排"),
    "mediation.difficult_flag": _("列为疑难案件"),
    "mediation.difficult_review": _("疑难案件复核"),
    "mediation.difficult_close": _("疑难案件销号"),
    "mediation.library_propose": _("推荐入案例库"),
}

PUBLIC: dict[str, Any] = {
    "mediation.agreement_draft": _("调解协议书已拟定，请各方当事人确认"),
    "mediation.agreement_confirm": _("一方当事人已确认调解协议"),
    "mediation.agreement_refuse": _("一方当事人拒绝了调解协议"),
    "mediation.agreement_sealed": _("调解协议已经各方确认并封存"),
    "mediation.court_apply": _("已向法院申请司法确认"),
    "mediation.court_ruling": _("法院已作出司法确认裁定"),
    "mediation.session_schedule": _("已安排调解"),
    "mediation.session_cancel": _("调解安排已取消"),
}


# Kinds of the staff inbox notifications this app writes (fengqiao.mediation.notices.inbox).
INBOX_KINDS: dict[str, Any] = {
    "agreement": _("调解协议待确认"),
    "agreement_confirmed": _("当事人确认协议"),
    "agreement_refused": _("当事人拒绝协议"),
    "agreement_sealed": _("协议已封存"),
    "court_ruling": _("司法确认结果"),
    "session_scheduled": _("调解安排"),
}


def register_labels() -> None:
    from fengqiao.cases import events

    events.EVENT_LABELS.update(LABELS)
    events.PUBLIC_WORDING.update(PUBLIC)
    from fengqiao.core import adminlabels

    adminlabels.register("inbox_kind", INBOX_KINDS)  # the staff inbox reads its kinds' labels there too


def record(
    case: Case,
    code: str,
    *,
    user: Any = None,
    role: str = "",
    unit: Any = None,
    via: str = "",
    public: bool = False,
    reason: str = "",
    data: dict[str, Any] | None = None,
    actor_name: str = "",
) -> CaseEvent:
    """Write one mediation step (call inside the action's transaction, the case row locked)."""
    Case.objects.filter(pk=case.pk).update(version=F("version") + 1)
    version = Case.objects.filter(pk=case.pk).values_list("version", flat=True).get()
    event = CaseEvent.objects.create(
        case=case,
        code=code,
        actor=user,
        actor_role=role,
        actor_unit=unit,
        via=via,
        state_before=case.state,
        state_after=case.state,
        reason=reason,
        data=data or {},
        public=public,
        version=version,
    )
    case.version = version
    audit.record(
        code,
        user=user,
        username="" if user else actor_name,
        role=role,
        unit_id=unit.pk if unit is not None else None,
        obj=case,
        detail={"event": event.pk, "version": version},
    )
    return event
