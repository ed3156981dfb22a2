"""SMS to the applicant at each public step of a case.

A ``post_save`` receiver on :class:`~fengqiao.cases.models.CaseEvent` writes the message into the
outbox in the SAME transaction as the event (so a rolled-back action sends nothing); the relay is
only nudged after commit. The wording lives in :class:`~fengqiao.notify.models.MessageTemplate`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest
from django.urls import reverse

from fengqiao.cases.choices import PartyRole
from fengqiao.cases.models import Case, CaseEvent
from fengqiao.notify.models import MessageTemplate
from fengqiao.notify.outbox import queue

# Seed wording (also used by the data migration). Kept short: one SMS is 70 characters.
DEFAULTS: dict[str, tuple[str, str]] = {
    "case.register": ("registered", "【枫桥】您反映的事项「{title}」已登记，编号{code}，可凭编号查询进度：{link}"),
    "case.accept": ("accepted", "【枫桥】您的事项{code}已由{unit}受理，我们会尽快办理。"),
    "case.assign_person": ("assigned", "【枫桥】您的事项{code}已安排{unit}的{handler}办理，工作人员将与您联系。"),
    "case.record_session": ("session", "【枫桥】您的事项{code}已安排调解，请留意工作人员的通知。进度：{link}"),
    "case.resolve": ("resolved", "【枫桥】您的事项{code}已化解。请对办理情况进行评价：{link}"),
    "case.refer": ("referred", "【枫桥】您的事项{code}已引导通过其他途径解决，详情请查看：{link}"),
    "case.close": ("closed", "【枫桥】您的事项{code}已办结。请为我们的工作评价：{link}"),
    "case.reopen": ("reopened", "【枫桥】您的事项{code}已重新办理，{unit}将继续跟进。"),
    # Not a case event: sent by fengqiao.notify.reminders three days after resolution without a rating.
    "portal.rate_reminder": (
        "rate_reminder",
        "【枫桥】您的事项{code}已办理3天，还没有收到您的评价。满意不满意都请告诉我们，不满意可申请重新办理：{link}",
    ),
}


def seed_message_templates() -> int:
    """Create the default template of each step that has none (admin edits are kept); returns how many."""
    created = 0
    for code, (name, text) in DEFAULTS.items():
        created += int(MessageTemplate.objects.get_or_create(event_code=code, defaults={"name": name, "text": text})[1])
    return created


class _Safe(dict):
    def __missing__(self, key: str) -> str:
        return ""


def tracking_link(case: Case, request: HttpRequest | None = None) -> str:
    """The citizen's tracking page of ``case``: absolute under FENGQIAO_PUBLIC_URL when it is set,
    else under the address ``request`` came to (a printed QR code must hold a full URL)."""
    base = getattr(settings, "FENGQIAO_PUBLIC_URL", "") or os.environ.get("FENGQIAO_PUBLIC_URL", "")
    path = reverse("portal:track", args=[case.tracking_secret])
    if not base and request is not None:
        return request.build_absolute_uri(path)
    return base.rstrip("/") + path


def applicant_phone(case: Case) -> str:
    # A case registered in this transaction carries its parties (cases.actions.registration): no query.
    known = getattr(case, "registered_parties", None)
    parties = (
        [p for p in known if p.role == PartyRole.APPLICANT and p.phone_hash]
        if known is not None
        else case.parties.filter(role=PartyRole.APPLICANT).exclude(phone_hash="").order_by("pk")
    )
    for party in parties:
        if party.phone:
            return str(party.phone)
    return ""


def render(template: str, case: Case) -> str:
    handler = ""
    if case.handler_id and case.handler is not None:
        handler = getattr(case.handler, "display_name", "") or "工作人员"
    values = _Safe(
        code=case.display_code,
        title=case.title[:20],
        handler=handler or "工作人员",
        unit=case.owner_unit.name if case.owner_unit_id else "",
        link=tracking_link(case),
    )
    return template.format_map(values)


# The active template per event code, per process: one query per TEMPLATE_TTL seconds instead of one
# per event. An edit in this process is seen at once (signals); other processes see it within the TTL.
TEMPLATE_TTL = 30.0
_templates: dict[str, Any] = {}


def active_template(event_code: str) -> MessageTemplate | None:
    import time

    loaded = _templates.get("at")
    if loaded is None or time.monotonic() - loaded > TEMPLATE_TTL:
        by_code: dict[str, MessageTemplate] = {}
        for tpl in MessageTemplate.objects.filter(is_active=True).order_by("-pk"):
            by_code[tpl.event_code] = tpl  # the oldest active one wins, as .first() did
        _templates.clear()
        _templates.update(by_code=by_code, at=time.monotonic())
    return _templates["by_code"].get(event_code)  # type: ignore[no-any-return]


def forget_templates(**_: Any) -> None:
    _templates.clear()


post_save.connect(forget_templates, sender=MessageTemplate, dispatch_uid="notify-templates-saved")
post_delete.connect(forget_templates, sender=MessageTemplate, dispatch_uid="notify-templates-deleted")


# Events written by a bulk import of history (Excel ledgers): the applicants are not texted about
# matters registered long ago.
SILENT_VIA = frozenset({"import"})


def queue_for_event(event: CaseEvent) -> bool:
    """Queue the applicant's SMS for one public event; True when a message was written."""
    if not event.public or event.via in SILENT_VIA:
        return False
    tpl = active_template(event.code)
    if tpl is None:
        return False
    case = event.case
    channel, recipient = applicant_channel(case)
    if not recipient:
        return False
    queue(channel, recipient, render(tpl.text, case), f"evt:{event.pk}", case=case, template=tpl.name)
    kick_relay()
    return True


#: Where else an applicant may be reached, asked before SMS: functions ``case -> (channel, address)``
#: or ``None``, registered by the doors that know (the portal: the WeChat OpenID of a submission).
APPLICANT_ADDRESSES: list[Callable[[Case], tuple[str, str] | None]] = []


def applicant_channel(case: Case) -> tuple[str, str]:
    """Where the applicant hears from us: WeChat when they submitted through our WeChat account (we
    hold their OpenID), otherwise SMS to the applicant's phone; ("", "") when neither is known."""
    # A case registered in this very transaction has no other address recorded yet (the portal stores
    # the submission after the registration): the lookups are skipped.
    for lookup in APPLICANT_ADDRESSES if getattr(case, "registered_parties", None) is None else []:
        found = lookup(case)
        if found:
            return found
    phone = applicant_phone(case)
    return ("sms", phone) if phone else ("", "")


RELAY_PENDING_KEY = "notify:relay-pending"
RELAY_PENDING_SECONDS = 10


def kick_relay() -> None:
    """Ask for a relay run once the current transaction has committed. Coalesced: while a run is
    already queued (a cache flag the run clears as it starts, before it claims), no second one is
    queued — that run will pick this message up too. Under load this turns one relay per submission
    into one per batch; the periodic relay (every 5 s) covers a lost flag or task."""
    from django.core.cache import cache

    from fengqiao.core.tasks import enqueue
    from fengqiao.notify.tasks import relay_outbox

    def go() -> None:
        if cache.add(RELAY_PENDING_KEY, 1, RELAY_PENDING_SECONDS):
            enqueue(relay_outbox)

    transaction.on_commit(go, robust=True)  # the periodic relay (every 5 s) covers a failed kick


def on_event_saved(sender: Any, instance: CaseEvent, created: bool, raw: bool = False, **kwargs: Any) -> None:
    if created and not raw and instance.public:
        queue_for_event(instance)
