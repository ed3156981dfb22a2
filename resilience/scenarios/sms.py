"""The SMS gateway failing 30% of the time with 3 s latency, and the relay (the Celery worker) killed
twice in the middle of a batch: every committed message must reach the gateway exactly once."""

from __future__ import annotations

import signal
import time
import uuid

from resilience.context import Context
from resilience.report import Row, exactly_once


def _outbox(prefix: str = "") -> dict[str, int]:
    from django.db import close_old_connections
    from django.db.models import Count

    from fengqiao.notify.models import OutboundMessage

    close_old_connections()
    qs = OutboundMessage.objects.all()
    if prefix:
        qs = qs.filter(dedup_key__startswith=prefix)
    return {row["status"]: row["n"] for row in qs.values("status").annotate(n=Count("id"))}


def _settled(prefix: str) -> bool:
    counts = _outbox(prefix)
    return not counts.get("pending", 0) and not counts.get("sending", 0)


def _wait(ctx: Context, until: float, cond: object, step: float = 1.0) -> bool:
    while time.monotonic() < until:
        if cond():  # type: ignore[operator]
            return True
        time.sleep(step)
    return False


def gateway_and_relay(ctx: Context) -> list[Row]:
    from django.db import transaction

    from fengqiao.notify.outbox import queue_sms
    from fengqiao.notify.templates import kick_relay

    # Whatever the earlier scenarios queued goes out first, at full speed.
    ctx.gateway.configure(0.0, 0.0)
    _wait(ctx, time.monotonic() + 180, lambda: _settled(""), 2)
    n = int(ctx.size(40, 10))
    prefix = f"res-sms:{uuid.uuid4().hex[:8]}:"
    keys = [f"{prefix}{i}" for i in range(n)]
    ctx.gateway.configure(fail_rate=0.3, latency_s=3.0)
    for i, key in enumerate(keys):
        with transaction.atomic():  # one committed transaction per message, as an action would
            queue_sms(f"1380000{i:04d}", f"【枫桥】您的事项有新进展（{i}）。", key, template="progress")
            kick_relay()
    ctx.log(f"{n} messages committed; gateway 30% failures, 3 s latency")
    kills = 0
    deadline = time.monotonic() + ctx.size(1200, 480)
    for _ in range(2):
        # Mid-batch: the relay has been talking to the gateway for a few messages.
        seen = ctx.gateway.requests_for(prefix)
        if not _wait(ctx, deadline, lambda s=seen: ctx.gateway.requests_for(prefix) >= s + 2, 0.5):
            break
        time.sleep(1.0)  # inside the next 3-second call
        ctx.stack.stop("worker", signal.SIGKILL)
        kills += 1
        ctx.log(f"relay killed ({kills}) after {ctx.gateway.requests_for(prefix)} gateway calls")
        ctx.stack.start_worker()
    settled = _wait(ctx, deadline, lambda: _settled(prefix), 2)
    ctx.gateway.configure(0.0, 0.0)
    once, lost, dup = exactly_once(ctx.gateway.sent(prefix), keys)
    status = _outbox(prefix)
    figure = (
        f"{n} committed, relay killed {kills}× mid-batch, {ctx.gateway.requests_for(prefix)} gateway calls: "
        f"{once} sent once, {lost} never, {dup} more than once; outbox {dict(sorted(status.items()))}"
        + ("" if settled else " (not settled in time)")
    )
    return [Row("SMS gateway 30% failing, 3 s; relay killed twice", figure, kills == 2 and once == n)]
