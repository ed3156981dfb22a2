"""A value built once per process and rebuilt after a while or when told (the triage gazetteer, the
map's area index): thread-safe, the first caller builds while the others wait for it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class ProcessCache(Generic[T]):
    def __init__(self, build: Callable[[], T], ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._build, self._ttl, self._clock = build, ttl, clock
        self._value: T | None = None
        self._built = 0.0
        self._lock = threading.Lock()

    def get(self) -> T:
        value = self._value
        if value is not None and self._clock() - self._built <= self._ttl:
            return value
        with self._lock:
            if self._value is None or self._clock() - self._built > self._ttl:
                self._value, self._built = self._build(), self._clock()
            return self._value

    def forget(self, **_: Any) -> None:
        """Drop the value (also usable as a signal receiver): the next ``get`` builds it again."""
        self._value = None
