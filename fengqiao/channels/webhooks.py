"""Status webhooks back to the system a case came from.

A ``post_save`` receiver on public :class:`~fengqiao.cases.models.CaseEvent` rows writes one outbox
message (channel ``webhook``, recipient = the system's id, dedup key = the event) in the SAME
transaction as the event, so a rolled-back action sends nothing and a delivered event is never sent
twice. The outbox relay delivers it with retries, backoff and a dead letter; each delivery is a
signed POST (same HMAC scheme as inbound requests, with the system's secret).
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from django.utils import timezone

from fengqiao.cases.events import public_wording
from fengqiao.cases.models import Case, CaseEvent
from fengqiao.channels import signing
from fengqiao.channels.models import ExternalSystem, PreLitigation, PrelitOutcome
from fengqiao.notify.backends import DeliveryError
from fengqiao.notify.models import OutboundMessage
from fengqiao.notify.outbox import Sender, queue

_CACHE: dict[str, Any] = {"at": 0.0, "systems": {}}
CACHE_SECONDS = 30.0


def forget_systems(**_: Any) -> None:
    _CACHE["at"] = 0.0


def _systems() -> dict[str, tuple[int, str]]:
    """code → (pk, webhook_url) of active systems with a webhook (cached per process, 30 s)."""
    now = time.monotonic()
    if now - _CACHE["at"] > CACHE_SECONDS:
        _CACHE["systems"] = {
            code: (pk, url)
            for code, pk, url in ExternalSystem.objects.filter(is_active=True)
            .exclude(webhook_url="")
            .values_list("code", "pk", "webhook_url")
        }
        _CACHE["at"] = now
    return dict(_CACHE["systems"])


def status_payload(case: Case, event: CaseEvent) -> dict[str, Any]:
    return {
        "type": "case.status",
        "event_id": event.pk,
        "event": event.code,
        "text": public_wording(event.code),
        "external_ref": case.external_ref,
        "case_code": case.display_code,
        "state": case.state,
        "state_label": str(case.get_state_display()),
        "version": event.version,
        "at": event.at.isoformat(),
        "due_at": case.due_at.isoformat() if case.due_at else None,
    }


def on_event_saved(sender: Any, instance: CaseEvent, created: bool, raw: bool = False, **kwargs: Any) -> None:
    if not created or raw or not instance.public:
        return
    case = instance.case
    if not case.source_system:
        return
    target = _systems().get(case.source_system)
    if target is None:
        return
    payload = status_payload(case, instance)
    from fengqiao.channels import prelit

    payload.update(prelit.payload_for_event(case, instance))
    queue("webhook", str(target[0]), json.dumps(payload, ensure_ascii=False), f"wh:{instance.pk}", case=case)
    from fengqiao.notify.templates import kick_relay

    kick_relay()


def deliver(system: ExternalSystem, body: bytes, timeout: float = 5.0) -> str:
    """POST ``body`` to the system's webhook, signed; returns the receiver's answer (or raises DeliveryError)."""
    url = system.webhook_url
    parts = urlsplit(url)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    headers = signing.sign_headers(system.key_id, str(system.secret), "POST", path, body)
    headers["Content-Type"] = "application/json; charset=utf-8"
    if parts.scheme not in ("http", "https"):
        raise DeliveryError("webhook URL must be http(s)")
    req = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - checked above
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - admin-configured URL
            return f"http {resp.status}"
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"http {exc.code}") from None
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        raise DeliveryError(f"unreachable: {exc}") from None


def webhook_sender() -> Sender:
    systems: dict[int, ExternalSystem | None] = {}

    def send(msg: OutboundMessage) -> str:
        pk = int(str(msg.recipient))
        if pk not in systems:
            systems[pk] = ExternalSystem.objects.filter(pk=pk, is_active=True).first()
        system = systems[pk]
        if system is None or not system.webhook_url:
            raise DeliveryError("system inactive or without webhook")
        return deliver(system, msg.text.encode())

    return send


def mark_outcome(case: Case, outcome: str) -> None:
    PreLitigation.objects.filter(case=case, outcome=PrelitOutcome.OPEN).update(
        outcome=outcome, concluded_at=timezone.now()
    )
