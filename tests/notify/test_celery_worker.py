"""The notification fan-out through a REAL Celery worker on the REAL Redis broker.

The worker runs in a thread of the test process (``celery.contrib.testing.worker.start_worker``)
and talks to the test database through its own connection, so the test is transactional: the
case must be committed before the worker can read it. Skipped when Redis is not reachable.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from fengqiao.cases.actions import perform, register_case
from fengqiao.celery import app
from fengqiao.notify.models import Notification
from tests.conftest import Org, case_payload

BROKER_URL = "redis://127.0.0.1:6379/14"

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]


def _redis_reachable() -> str | None:
    try:
        import redis

        redis.Redis.from_url(BROKER_URL, socket_connect_timeout=1, socket_timeout=1).ping()
    except Exception as exc:
        return f"Redis broker {BROKER_URL} is not reachable: {exc}"
    return None


def _forget_connections() -> None:
    """Drop the app's connection pool and its producer pool, both bound to the broker they were made for."""
    if app._pool is not None:  # type: ignore[attr-defined]
        app._pool.force_close_all()  # type: ignore[attr-defined]
    app._pool = None  # type: ignore[attr-defined]
    app.amqp._producer_pool = None


@pytest.fixture
def real_worker(settings: Any) -> Iterator[list[tuple[str, tuple[Any, ...], bool, str]]]:
    """A worker thread consuming the Redis queue; yields the runs it made (task, args, eager?, thread)."""
    reason = _redis_reachable()
    if reason:
        pytest.skip(reason)
    from celery.contrib.testing.worker import start_worker
    from celery.signals import task_prerun

    runs: list[tuple[str, tuple[Any, ...], bool, str]] = []

    def seen(sender: Any = None, task: Any = None, args: Any = None, **kwargs: Any) -> None:
        runs.append((task.name, tuple(args or ()), bool(task.request.is_eager), threading.current_thread().name))

    task_prerun.connect(seen, weak=False)
    settings.CELERY_TASK_ALWAYS_EAGER = False  # fengqiao.core.tasks.enqueue: go through the broker
    saved = {key: app.conf[key] for key in ("task_always_eager", "broker_url")}
    app.conf.task_always_eager = False
    app.conf.broker_url = BROKER_URL
    _forget_connections()  # an earlier test may have left pools bound to another broker
    try:
        with app.connection_for_write() as conn:
            conn.default_channel.queue_purge(app.conf.task_default_queue)  # messages of earlier runs
        with start_worker(app, perform_ping_check=False, pool="solo", shutdown_timeout=20):
            yield runs
    finally:
        task_prerun.disconnect(seen)
        for key, value in saved.items():
            app.conf[key] = value
        _forget_connections()


def _wait_for(predicate, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def test_worker_notifies_receiving_unit(org: Org, real_worker: list[tuple[str, tuple[Any, ...], bool, str]]) -> None:
    case, created = register_case(org.actor("dispatcher"), case_payload(org), via="test")
    assert created
    event = perform("assign_unit", case, org.actor("dispatcher"), {"unit": org.dept.pk, "reason": "人社事项"})

    def delivered() -> bool:
        return Notification.objects.filter(event=event, user=org.user("dept_handler")).exists()

    assert _wait_for(delivered), "the worker did not create the notification within 10 s"
    note = Notification.objects.get(event=event, user=org.user("dept_handler"))
    assert note.kind == "to_accept"
    assert note.case_id == case.pk
    # Only the receiving unit's desk hears of the dispatch; the actor never notifies itself.
    assert set(Notification.objects.filter(event=event).values_list("user__username", flat=True)) == {"dept_handler"}
    # The registration event reached the town desk (the subcentre has no staff of its own).
    register_event = case.events.get(code="case.register")
    assert _wait_for(lambda: Notification.objects.filter(event=register_event).count() == 2)
    assert set(Notification.objects.filter(event=register_event).values_list("user__username", flat=True)) == {
        "sub1_dispatcher",
        "handler1",
    }
    # …and it was the worker thread, through the broker, not an eager call in the test's thread.
    fanouts = [run for run in real_worker if run[0].startswith("fengqiao.notify.tasks.fanout_event")]
    assert (event.pk,) in [run[1] for run in fanouts]
    # The registration's fan-out comes with the triage step that follows it (one task for the step's events).
    assert any(run[0].endswith("fanout_events") and register_event.pk in run[1][0] for run in fanouts)
    assert all(not eager and thread != threading.current_thread().name for _, _, eager, thread in fanouts)
