"""The database stopped for 60 s, and Redis stopped for 2 minutes, under load: the answers during the
outage must be 503s (never a 500 or a hang), nothing half-written, and service back within 30 s of
the restart."""

from __future__ import annotations

import time
from collections.abc import Callable

from resilience.client import Client
from resilience.context import Context
from resilience.load import LoadLog, Write, background_load
from resilience.report import RECOVERY_LIMIT_S, Row, describe_statuses, server_errors, status_class


def wait_recovered(ctx: Context, limit: float = 90.0) -> float | None:
    """Seconds until /healthz and a signed-in API read both answer 200 (None: not within ``limit``)."""
    user = ctx.world.load_users[0]
    client = Client(ctx.port, timeout=5, token=user.token)
    t0 = time.monotonic()
    try:
        while time.monotonic() - t0 < limit:
            health = client.request("GET", "/healthz")
            me = client.request("GET", "/api/me/", api=True)
            if health.status == 200 and me.status == 200:
                return time.monotonic() - t0
            time.sleep(0.5)
        return None
    finally:
        client.close()


def integrity(writes: list[Write]) -> dict[str, int]:
    """What the database holds for each write the load sent.

    lost: answered 2xx but not stored. half: stored although the answer said it failed (5xx or no
    answer: a client that retries writes it twice), stored twice, plus cases stored without their history
    event.
    audit: 1 if the audit chain does not verify."""
    from django.db import close_old_connections
    from django.db.models import Count

    from fengqiao.cases.models import Case, CaseEvent
    from fengqiao.core.audit import verify_chain

    close_old_connections()
    regs = [w.marker for w in writes if w.kind == "register"]
    notes = [w.marker for w in writes if w.kind == "note"]
    stored = set(Case.objects.filter(title__in=regs).values_list("title", flat=True))
    stored |= set(CaseEvent.objects.filter(code="case.note", reason__in=notes).values_list("reason", flat=True))
    lost = half = 0
    for w in writes:
        there = w.marker in stored
        if 200 <= w.status < 300 and not there:
            lost += 1
        if (w.status == 0 or w.status >= 500) and there:
            half += 1
    half += Case.objects.filter(title__in=regs, events__isnull=True).count()
    # Stored twice: the client sent a write again after a reset connection (as browsers do on a kept-alive
    # connection the server closed) although the first one had reached the server.
    half += Case.objects.filter(title__in=regs).values("title").annotate(n=Count("id")).filter(n__gt=1).count()
    twice = CaseEvent.objects.filter(code="case.note", reason__in=notes).values("reason").annotate(n=Count("id"))
    half += twice.filter(n__gt=1).count()
    _count, problem = verify_chain()
    return {"lost": lost, "half": half, "audit": int(problem is not None)}


def outage(ctx: Context, name: str, seconds: float, stop: Callable[[], None], start: Callable[[], None]) -> Row:
    clients = 20
    before, after = 10.0, 45.0
    thread, flag, log = background_load(
        ctx.port, ctx.world.load_users, ctx.world.villages, before + seconds + after + 120, clients
    )
    time.sleep(before)
    t_down = time.monotonic()
    stop()
    ctx.log(f"{name} stopped for {seconds:.0f}s under {clients} users")
    time.sleep(seconds)
    start()
    t_up = time.monotonic()
    recovery = wait_recovered(ctx)
    ctx.log(f"{name} restarted; service back after " + ("never" if recovery is None else f"{recovery:.1f}s"))
    time.sleep(after if recovery is not None else 5)
    flag.set()
    thread.join(60)
    during = log.statuses(t_down, t_up + (recovery or 0))
    after_recovery = log.statuses(t_up + (recovery or 0) + 5)
    facts = integrity(log.writes)
    hung = sum(1 for s in during if status_class(s) == "no answer")
    ok = (
        bool(during)
        and server_errors(during) == 0
        and hung == 0
        and facts["half"] == 0
        and facts["lost"] == 0
        and facts["audit"] == 0
        and recovery is not None
        and recovery <= RECOVERY_LIMIT_S
        and server_errors(after_recovery) == 0
    )
    figure = (
        f"{name} down {seconds:.0f}s, {clients} users: during {describe_statuses(during)}; "
        f"back {'never' if recovery is None else f'{recovery:.1f}s'} after restart (≤{RECOVERY_LIMIT_S:.0f}); "
        f"after: {describe_statuses(after_recovery)}; writes {len(log.writes)}: {facts['lost']} lost, "
        f"{facts['half']} half-written/answered-failed-but-stored; audit chain {'BROKEN' if facts['audit'] else 'intact'}"
    )
    return Row(f"{name} outage under load", figure, ok)


def database_outage(ctx: Context) -> list[Row]:
    seconds = ctx.size(60, 20)
    return [outage(ctx, "PostgreSQL", seconds, lambda: ctx.stack.stop_postgres(mode="fast"), ctx.stack.start_postgres)]


def redis_outage(ctx: Context) -> list[Row]:
    seconds = ctx.size(120, 30)
    return [outage(ctx, "Redis", seconds, ctx.stack.stop_redis, ctx.stack.start_redis)]


__all__ = ["LoadLog", "database_outage", "redis_outage"]
