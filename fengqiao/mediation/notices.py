"""Messages of mediation's steps, through notify's existing channels: SMS (the outbox, one message
per dedup key, sent after commit by the relay) and the staff inbox (a Notification per event)."""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from fengqiao.cases.models import Case, CaseEvent
from fengqiao.notify.models import Notification
from fengqiao.notify.outbox import queue_sms
from fengqiao.notify.templates import kick_relay


def public_url(path: str) -> str:
    base = getattr(settings, "FENGQIAO_PUBLIC_URL", "") or os.environ.get("FENGQIAO_PUBLIC_URL", "")
    return base.rstrip("/") + path


def sign_link(signature: Any) -> str:
    return public_url(reverse("mediation_portal:sign", args=[signature.token]))


def when_text(at: Any) -> str:
    local = timezone.localtime(at)
    return f"{local.month}月{local.day}日{local:%H:%M}"


def invite_to_sign(case: Case, signature: Any) -> bool:
    phone = str(signature.party.phone or "")
    if not phone:
        return False
    queue_sms(
        phone,
        f"【枫桥】您的事项{case.display_code}的调解协议书（第{signature.agreement.version}版）已拟定，"
        f"请查看全文并确认：{sign_link(signature)}",
        f"agr:{signature.pk}:invite",
        case=case,
        template="agreement",
    )
    kick_relay()
    return True


def court_result(case: Case, agreement: Any) -> int:
    """Tell each party the court's decision (SMS with their private link, where the ruling is shown)."""
    word = "确认有效" if agreement.court_status == "confirmed" else "不予确认"
    sent = 0
    for s in agreement.signatures.select_related("party"):
        phone = str(s.party.phone or "")
        if phone:
            queue_sms(
                phone,
                f"【枫桥】您的事项{case.display_code}的调解协议，法院已裁定{word}。详情：{sign_link(s)}",
                f"agr:{agreement.pk}:court:{s.party_id}:{agreement.court_status}",
                case=case,
                template="court",
            )
            sent += 1
    if sent:
        kick_relay()
    return sent


def team_user_ids(case: Case) -> set[int]:
    ids = set(case.team.exclude(mediator__user=None).values_list("mediator__user", flat=True))
    if case.handler_id:
        ids.add(case.handler_id)
    return ids


def inbox(case: Case, event: CaseEvent, kind: str) -> int:
    """One inbox notification per team member and the handler (not the actor)."""
    ids = team_user_ids(case) - {event.actor_id}
    Notification.objects.bulk_create(
        [Notification(user_id=uid, case=case, event=event, kind=kind) for uid in sorted(ids) if uid],
        ignore_conflicts=True,
    )
    return len(ids)


def session_sms(case: Case, plan: Any, stage: str) -> int:
    """The notice (``stage="notice"``) or the reminder (``"remind"``) of a planned session: exactly one
    SMS per party with a phone and per team member with a mobile (dedup key per plan, person, stage)."""
    from fengqiao.org.models import User

    where = plan.place or "线上调解室"
    link = f"，线上调解室：{plan.online_url}" if plan.online_url else ""
    head = "调解通知" if stage == "notice" else "调解提醒"
    text = f"【枫桥】{head}：您的事项{case.display_code}定于{when_text(plan.starts_at)}在{where}调解{link}。"
    if plan.note:
        text += plan.note[:60]
    sent = 0
    for party in case.parties.exclude(phone_hash="").order_by("pk"):
        if party.phone:
            queue_sms(str(party.phone), text, f"plan:{plan.pk}:p{party.pk}:{stage}", case=case, template="session")
            sent += 1
    staff_text = (
        f"【枫桥】{head}：案件{case.display_code}「{case.title[:16]}」定于{when_text(plan.starts_at)}在{where}调解。"
    )
    for uid in sorted(team_user_ids(case)):
        mobile = User.objects.filter(pk=uid).values_list("mobile", flat=True).first()
        if mobile:
            queue_sms(str(mobile), staff_text, f"plan:{plan.pk}:u{uid}:{stage}", case=case, template="session")
            sent += 1
    if sent:
        kick_relay()
    return sent
