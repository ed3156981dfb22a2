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


# A lookup answers whether the channel's gateway already accepted a message (its id) or not (None), and
# raises DeliveryError when it cannot tell. Channels without one are delivered at least once.
Lookup = Callable[[OutboundMessage], "str | None"]
_LOOKUPS: dict[str, Callable[[], Lookup | None]] = {}


def register_channel(
    channel: str, factory: Callable[[], Sender], lookup: Callable[[], Lookup | None] | None = None
) -> None:
    """Make ``channel`` deliverable by the relay. ``factory`` is called once per relay run (so settings
    changes, e.g. in tests, take effect) and returns the sender for that run; ``lookup``, likewise, returns
    the function that asks the gateway about a message that may already have gone out (or None)."""
    _CHANNELS[channel] = factory
    if lookup is not None:
        _LOOKUPS[channel] = lookup


def _sms(msg: OutboundMessage) -> SMSMessage:
    return SMSMessage(msg.recipient, msg.text, msg.template, msg.dedup_key)


def _sms_sender() -> Sender:
    backend = get_backend()

    def send(msg: OutboundMessage) -> str:
        return backend.send(_sms(msg))

    return send


def _sms_lookup() -> Lookup | None:
    backend = get_backend()
    if not backend.can_look_up:
        return None

    def find(msg: OutboundMessage) -> str | None:
        return backend.find_sent(_sms(msg), msg.created_at - dt.timedelta(minutes=5))

    return find


def _wechat_sender() -> Sender:
    from fengqiao.notify.wechat import wechat_sender

    sender: Sender = wechat_sender()
    return sender


register_channel("sms", _sms_sender, _sms_lookup)
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
    recovered: int = 0  # in doubt, found at the gateway, marked sent without sending again


def _claim(batch: int, now: dt.datetime) -> list[tuple[int, bool]]:
    """Claim due messages: (id, in doubt). A message is in doubt when it has been handed to a gateway
    before: an earlier attempt failed (perhaps after the gateway accepted it: a timeout), or an earlier
    relay claimed it and never came back (killed mid-call)."""
    with transaction.atomic():
        qs = OutboundMessage.objects.filter(
            Q(status=MessageStatus.PENDING, next_attempt_at__lte=now)
            | Q(status=MessageStatus.SENDING, claimed_until__lt=now)
        ).order_by("next_attempt_at")
        rows = list(qs.select_for_update(skip_locked=True).values_list("pk", "status", "attempts")[:batch])
        if rows:
            OutboundMessage.objects.filter(pk__in=[pk for pk, _, _ in rows]).update(
                status=MessageStatus.SENDING, claimed_until=now + dt.timedelta(seconds=CLAIM_SECONDS)
            )
    return [(pk, status == MessageStatus.SENDING or attempts > 0) for pk, status, attempts in rows]


def _failed(pk: int, msg: OutboundMessage, exc: DeliveryError, result: RelayResult) -> None:
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


def _sent(pk: int, msg: OutboundMessage, provider_id: str, result: RelayResult) -> None:
    OutboundMessage.objects.filter(pk=pk, status=MessageStatus.SENDING).update(
        status=MessageStatus.SENT,
        attempts=msg.attempts + 1,
        sent_at=timezone.now(),
        provider_id=provider_id[:80],
        claimed_until=None,
        last_error="",
    )
    result.sent += 1


def relay(batch: int = 100) -> RelayResult:
    """Deliver due messages once each. Safe to run in several processes at once: a message is
    claimed (row lock, skip locked) before it is sent, and only its claimant may mark it sent. A
    message in doubt is first looked up at the gateway (where the channel can) and is not handed over
    again if the gateway already has it; if the gateway cannot say, it waits for the next attempt."""
    result = RelayResult()
    senders: dict[str, Sender] = {}
    lookups: dict[str, Lookup | None] = {}
    now = timezone.now()
    for pk, in_doubt in _claim(batch, now):
        msg = OutboundMessage.objects.get(pk=pk)
        try:
            if msg.channel not in senders:
                if msg.channel not in _CHANNELS:
                    raise DeliveryError(f"no sender registered for channel {msg.channel!r}")
                senders[msg.channel] = _CHANNELS[msg.channel]()
                lookups[msg.channel] = _LOOKUPS[msg.channel]() if msg.channel in _LOOKUPS else None
            find = lookups[msg.channel]
            if in_doubt and find is not None:
                already = find(msg)
                if already is not None:
                    log.info("outbox %s: the gateway already has it; not sent again", pk)
                    result.recovered += 1
                    _sent(pk, msg, already, result)
                    continue
            provider_id = senders[msg.channel](msg)
        except DeliveryError as exc:
            _failed(pk, msg, exc, result)
            continue
        _sent(pk, msg, provider_id, result)
    return result
