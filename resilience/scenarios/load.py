"""Steady load (40 users, 70% reads / 20% searches / 10% writes) and a spike to 200 users."""

from __future__ import annotations

import threading
import time

from resilience.context import Context
from resilience.load import LoadLog, run_load
from resilience.report import (
    P95_LIMIT_MS,
    RSS_GROWTH_LIMIT,
    Row,
    describe_statuses,
    five_xx,
    only_allowed,
    percentile,
    rss_growth,
    steady_ok,
)

THINK_S = 1.0  # a user reads the page before the next click: 0–2 s, 1 s on average


def steady(ctx: Context) -> list[Row]:
    seconds = ctx.size(1800, 60)
    warmup = max(10.0, seconds * 0.1)
    samples: list[tuple[float, int]] = []
    stop = threading.Event()

    def sample_rss() -> None:  # the web server's memory every 5 s (master + workers)
        t0 = time.monotonic()
        while not stop.wait(5):
            samples.append((time.monotonic() - t0, ctx.stack.web_rss_kb()))

    sampler = threading.Thread(target=sample_rss, daemon=True)
    sampler.start()
    ctx.log(f"40 users for {seconds:.0f}s")
    t0 = time.monotonic()
    log = run_load(ctx.port, ctx.world.load_users, ctx.world.villages, seconds, clients=40, think_s=THINK_S)
    stop.set()
    sampler.join(10)
    after_warmup = [kb for at, kb in samples if at >= warmup]
    before, after = (after_warmup[0], after_warmup[-1]) if after_warmup else (0, 0)
    growth = rss_growth(before, after)
    lat = log.latencies(since=t0)
    p95 = percentile(lat, 95)
    statuses = log.statuses()
    for label, ms in sorted(log.by_label(since=t0).items(), key=lambda kv: -percentile(kv[1], 95)):
        ctx.log(f"  {label}: {len(ms)} req, p50 {percentile(ms, 50):.0f} ms, p95 {percentile(ms, 95):.0f} ms")
    for error in log.errors()[:10]:
        ctx.log(f"  no answer: {error}")
    mix = {k: sum(1 for h in log.hits if h.kind == k) for k in ("read", "search", "write")}
    total = max(1, len(log.hits))
    figure = (
        f"40 users {seconds:.0f}s: {len(log.hits)} req ({mix['read'] * 100 // total}/{mix['search'] * 100 // total}/"
        f"{mix['write'] * 100 // total}% r/s/w), p95 {p95:.0f} ms (<{P95_LIMIT_MS:.0f}), 5xx {five_xx(statuses)}; "
        f"RSS {before // 1024}→{after // 1024} MB ({growth:+.1%}, <{RSS_GROWTH_LIMIT:.0%}); {describe_statuses(statuses)}"
    )
    # A redirect here is a signed-out user sent to the sign-in page: the load would measure nothing.
    signed_out = sum(1 for s in statuses if 300 <= s < 400)
    return [Row("steady load", figure, steady_ok(p95, statuses, growth) and signed_out == 0)]


def spike(ctx: Context) -> list[Row]:
    seconds = ctx.size(120, 30)
    ctx.log(f"200 users for {seconds:.0f}s")
    log: LoadLog = run_load(
        ctx.port, ctx.world.load_users, ctx.world.villages, seconds, clients=200, think_s=THINK_S, timeout=30
    )
    statuses = log.statuses()
    lat = log.latencies()
    ok = bool(statuses) and only_allowed(statuses, {"2xx", "429", "503"})
    figure = f"200 users {seconds:.0f}s: {len(statuses)} req, p95 {percentile(lat, 95):.0f} ms; {describe_statuses(statuses)}"
    return [Row("spike to 200 users", figure, ok)]
