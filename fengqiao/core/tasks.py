"""Queueing background work.

With a broker (``CELERY_BROKER_URL``) tasks go to Celery workers. Without one, they run in-process:
in a small thread pool after the response (``FENGQIAO_INPROCESS_TASKS=thread``, the embedded
default) or synchronously (``sync``, used by the tests so effects can be asserted at once).
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from celery import shared_task
from django.conf import settings
from django.db import close_old_connections, connections

log = logging.getLogger(__name__)
_executor: ThreadPoolExecutor | None = None
_lock = threading.Lock()


def _pool() -> ThreadPoolExecutor:
    global _executor
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="fengqiao-task")
        return _executor


def _submit(task: Any, args: tuple[Any, ...]) -> None:
    """Run ``task`` in the pool. A pool that :func:`drain` shut down meanwhile is replaced by a fresh one;
    when no thread can start any more (the interpreter is exiting), the work runs here and now."""
    global _executor
    for _ in range(3):
        executor = _pool()
        try:
            executor.submit(_run_inline, task, args)
            return
        except RuntimeError:
            with _lock:
                if _executor is executor:
                    _executor = None
    _run_inline(task, args)


def _run_inline(task: Any, args: tuple[Any, ...]) -> None:
    close_old_connections()
    try:
        task.apply(args=args, throw=True)
    except Exception:
        log.exception("in-process task %s failed", task.name)
    finally:
        connections.close_all()


def enqueue(task: Any, *args: Any) -> None:
    """Queue ``task``. Never raises for an unreachable broker: queueing runs after a commit, and a
    committed action must not be answered 500 (a client retrying would write it twice). The work
    then runs in this process's pool instead, and the periodic sweeps (outbox relay every 5 s, the
    fan-out catch-up every 5 minutes) pick up whatever this process could not finish."""
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        try:
            task.delay(*args)
        except Exception as exc:  # kombu.OperationalError, redis/socket errors: the broker is down
            log.warning("broker unavailable (%s): running %s in-process", type(exc).__name__, task.name)
            _submit(task, args)
    elif settings.FENGQIAO_INPROCESS_TASKS == "thread":
        _submit(task, args)
    else:
        task.apply(args=args, throw=True)


def drain(timeout: float = 10.0) -> None:
    """Wait for queued in-process work (used at shutdown and by tests of the thread mode)."""
    global _executor
    with _lock:
        executor, _executor = _executor, None
    if executor is not None:
        executor.shutdown(wait=True, cancel_futures=False)


def drain_all(rounds: int = 10) -> None:
    """Wait until in-process work is done, including work that the finished work queued (a command that
    exits right after its last action, e.g. demo-setup, must not leave triage or fan-out half-queued)."""
    for _ in range(rounds):
        with _lock:
            idle = _executor is None
        if idle:
            return
        drain()


@shared_task(acks_late=True)
def chain_audit() -> int:
    """The audit chain step (fengqiao.core.audit.chain_pending), run by beat every second."""
    from fengqiao.core.audit import chain_pending

    return chain_pending()
