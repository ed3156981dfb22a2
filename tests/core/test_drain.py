from __future__ import annotations

from typing import Any

from fengqiao.core import tasks


class Task:
    """Stands in for a Celery task: ``apply`` is what the in-process runner calls."""

    def __init__(self, name: str, done: list[str], then: Any = None) -> None:
        self.name, self.done, self.then = name, done, then

    def apply(self, args: tuple[Any, ...], throw: bool) -> None:
        self.done.append(self.name)
        if self.then is not None:
            tasks._submit(self.then, ())  # queued while the first pool may already be shutting down


def test_drain_all_waits_for_work_that_work_queued() -> None:
    for _ in range(20):  # the race between a running task and drain() is timing-dependent: try it often
        done: list[str] = []
        tasks._submit(Task("first", done, Task("second", done)), ())
        tasks.drain_all()
        assert done == ["first", "second"]
        with tasks._lock:
            assert tasks._executor is None
