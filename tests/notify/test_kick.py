"""Relay runs are coalesced: while one is queued, further commits do not queue another."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache

from fengqiao.notify import templates
from fengqiao.notify.outbox import queue_sms


@pytest.mark.django_db
def test_one_queued_relay_run_at_a_time(monkeypatch: Any, django_capture_on_commit_callbacks: Any) -> None:
    import fengqiao.core.tasks as core_tasks

    cache.delete(templates.RELAY_PENDING_KEY)
    queued: list[Any] = []
    monkeypatch.setattr(core_tasks, "enqueue", lambda task, *a: queued.append(task))
    for i in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            queue_sms(f"1380000000{i}", "x", f"kick:{i}")
            templates.kick_relay()
    assert len(queued) == 1  # three commits, one relay run queued
    from tests.portal import sms_backend

    with pytest.MonkeyPatch.context() as mp:
        from django.conf import settings

        mp.setattr(settings, "FENGQIAO_SMS_BACKEND", "tests.portal.sms_backend.MemorySMSBackend")
        sms_backend.reset()
        assert queued[0]() == {"sent": 3, "failed": 0, "dead": 0}  # that run delivers all three
        sms_backend.reset()
    with django_capture_on_commit_callbacks(execute=True):
        templates.kick_relay()
    assert len(queued) == 2  # the run cleared the flag: the next commit queues a new one
    cache.delete(templates.RELAY_PENDING_KEY)
