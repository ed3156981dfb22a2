"""Queue and relay outbound messages (SMS and other channels)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from fengqiao.notify.backends import DeliveryError, PermanentDeliveryError, SMSMessage, get_backend
from fengqiao.notify.models import MessageStatus, OutboundMessage

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
CLAIM_SECONDS = 120


# A sender delivers one message of its channel and returns the provider's id, or raises DeliveryError.
Sender = Callable[[OutboundMessage], str]
_CHANNELS: dict[str, Callable[[], Sender]] = {}


def register_channel(channel: str, factory: Callable[[], Sender]) -> None:
    """Make ``channel`` deliverable by the relay. ``factory`` is called once per relay run (so settings
    changes, e.g. in tests, take effect) and returns the sender for that run."""
    _CHANNELS[channel] = factory


def _sms_sender() -> Sender:
    backend = get_backend()

    def send(msg: OutboundMessage) -> str:
        return backend.send(SMSMessage(msg.recipient, msg.text, msg.template, msg.dedup_key))

    return send


def _wechat_sender() -> Sender:
    from fengqiao.notify.wechat import wechat_sender

    sender: Sender = wechat_sender()
    return sender


register_channel("sms", _sms_sender)
register_channel("wechat", _wechat_sender)


def queue(channel: str, recipient: str, text: str, dedup_key: str, *, case: Any = None, template: str = "") -> None:
    """Queue one message inside the caller's transaction (it is sent only if that transaction commits);
    a repeated ``dedup_key`` is ignored, so a message is queued at most once."""
    if not recipient:
        return
    OutboundMessage.objects.bulk_create(
        [
            OutboundMessage(
                channel=channel, recipient=recipient, text=text, dedup_key=dedup_key[:160], case=case, template=template
            )
        ],
        ignore_conflicts=True,
    )


def queue_sms(phone: str, text: str, dedup_key: str, *, case: Any = None, template: str = "") -> None:
    """Queue one SMS inside the caller's transaction; a repeated ``dedup_key`` is ignored."""
    queue("sms", phone, text, dedup_key, case=case, template=template)


def backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(3600, 10 * 2 ** max(0, attempts - 1)))


@dataclass
class RelayResult:
    sent: int = 0
    failed: int = 0
    dead: int = 0


def _claim(batch: int, now: dt.datetime) -> list[int]:
    with transaction.atomic():
        qs = OutboundMessage.objects.filter(
            Q(status=MessageStatus.PENDING, next_attempt_at__lte=now)
            | Q(status=MessageStatus.SENDING, claimed_until__lt=now)
        ).order_by("next_attempt_at")
        ids = list(qs.select_for_update(skip_locked=True).values_list("pk", flat=True)[:batch])
        if ids:
            OutboundMessage.objects.filter(pk__in=ids).update(
                status=MessageStatus.SENDING, claimed_until=now + dt.timedelta(seconds=CLAIM_SECONDS)
            )
    return ids


def relay(batch: int = 100) -> RelayResult:
    """Deliver due messages once each. Safe to run in several processes at once: a message is
    claimed (row lock, skip locked) before it is sent, and only its claimant may mark it sent."""
    result = RelayResult()
    senders: dict[str, Sender] = {}
    now = timezone.now()
    for pk in _claim(batch, now):
        msg = OutboundMessage.objects.get(pk=pk)
        try:
            if msg.channel not in senders:
                if msg.channel not in _CHANNELS:
                    raise DeliveryError(f"no sender registered for channel {msg.channel!r}")
                senders[msg.channel] = _CHANNELS[msg.channel]()
            provider_id = senders[msg.channel](msg)
        except DeliveryError as exc:
            attempts = msg.attempts + 1
            dead = attempts >= MAX_ATTEMPTS or isinstance(exc, PermanentDeliveryError)
            OutboundMessage.objects.filter(pk=pk, status=MessageStatus.SENDING).update(
                status=MessageStatus.DEAD if dead else MessageStatus.PENDING,
                attempts=attempts,
                next_attempt_at=timezone.now() + backoff(attempts),
                last_error=str(exc)[:300],
                claimed_until=None,
            )
            result.dead += int(dead)
            result.failed += int(not dead)
            continue
        OutboundMessage.objects.filter(pk=pk, status=MessageStatus.SENDING).update(
            status=MessageStatus.SENT,
            attempts=msg.attempts + 1,
            sent_at=timezone.now(),
            provider_id=provider_id[:80],
            claimed_until=None,
            last_error="",
        )
        result.sent += 1
    return result
