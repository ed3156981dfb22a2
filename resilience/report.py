"""Rows of the resilience table, the pass/fail rules, and the table itself (pure: no servers)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    scenario: str
    figure: str
    ok: bool

    @property
    def verdict(self) -> str:
        return "PASS" if self.ok else "FAIL"


def error_row(scenario: str, exc: BaseException) -> Row:
    """A scenario that could not run to its end is a failure, with the reason as its figure."""
    text = f"{type(exc).__name__}: {exc}".replace("\n", " ")
    return Row(scenario, f"did not complete — {text[:160]}", False)


def format_table(rows: Iterable[Row]) -> str:
    rows = list(rows)
    head = ("scenario", "figure", "result")
    body = [(r.scenario, r.figure, r.verdict) for r in rows]
    widths = [max(len(h), *(len(b[i]) for b in body)) if body else len(h) for i, h in enumerate(head)]
    lines = [" | ".join(h.ljust(w) for h, w in zip(head, widths, strict=True))]
    lines.append("-+-".join("-" * w for w in widths))
    lines += [" | ".join(c.ljust(w) for c, w in zip(b, widths, strict=True)) for b in body]
    failed = sum(not r.ok for r in rows)
    lines.append(f"{len(rows) - failed} passed, {failed} failed")
    return "\n".join(lines)


# --- status codes -----------------------------------------------------------------------------------


def status_class(status: int) -> str:
    """``"2xx"`` … ``"5xx"``; 429, 503 and 500 keep their own name (they decide most verdicts); 0 is a
    request that got no HTTP answer (refused, reset, timed out)."""
    if status == 0:
        return "no answer"
    if status in (429, 503):
        return str(status)
    return f"{status // 100}xx"


def describe_statuses(statuses: Iterable[int]) -> str:
    counts = Counter(status_class(s) for s in statuses)
    order = ["2xx", "3xx", "4xx", "429", "503", "5xx", "no answer"]
    return ", ".join(f"{k} {counts[k]}" for k in order if counts.get(k))


def only_allowed(statuses: Iterable[int], allowed: set[str]) -> bool:
    """Every answer's class is one of ``allowed`` (e.g. {"2xx", "429", "503"})."""
    return all(status_class(s) in allowed for s in statuses)


def server_errors(statuses: Iterable[int]) -> int:
    """Answers 500–599 other than 503 (an outage must be a 503, never a bare 500)."""
    return sum(1 for s in statuses if 500 <= s <= 599 and s != 503)


def five_xx(statuses: Iterable[int]) -> int:
    return sum(1 for s in statuses if 500 <= s <= 599)


# --- rules ------------------------------------------------------------------------------------------

P95_LIMIT_MS = 500.0
RSS_GROWTH_LIMIT = 0.10
RECOVERY_LIMIT_S = 30.0
PITR_LOSS_LIMIT_S = 60.0


def steady_ok(p95_ms: float, statuses: list[int], rss_growth: float) -> bool:
    return bool(statuses) and p95_ms < P95_LIMIT_MS and five_xx(statuses) == 0 and rss_growth < RSS_GROWTH_LIMIT


def outage_ok(statuses_during: list[int], half_written: int, recovery_s: float | None) -> bool:
    return (
        server_errors(statuses_during) == 0
        and half_written == 0
        and recovery_s is not None
        and recovery_s <= RECOVERY_LIMIT_S
    )


def exactly_once(sent_counts: dict[str, int], committed: Iterable[str]) -> tuple[int, int, int]:
    """(sent once, never sent, sent more than once) over the committed message keys."""
    once = lost = dup = 0
    for key in committed:
        n = sent_counts.get(key, 0)
        if n == 1:
            once += 1
        elif n == 0:
            lost += 1
        else:
            dup += 1
    return once, lost, dup


def rss_growth(before_kb: int, after_kb: int) -> float:
    return (after_kb - before_kb) / before_kb if before_kb else float("inf")


def percentile(values: list[float], p: float) -> float:
    """Linear-interpolated percentile (as bench/common.py); NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)
