"""The periodic jobs of notify, registered in apps.py (fengqiao.core.registry)."""

from __future__ import annotations


def relay() -> str:
    from fengqiao.notify.outbox import relay as run

    result = run()
    if result.sent or result.failed or result.dead:
        return f"sent={result.sent} failed={result.failed} dead={result.dead}"
    return ""


def remind() -> int:
    from fengqiao.notify.reminders import remind_unrated

    return remind_unrated()


def catch_up() -> int:
    from fengqiao.notify.tasks import catch_up_fanout

    return int(catch_up_fanout())
