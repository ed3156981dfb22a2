"""A Redis cache that degrades instead of failing (settings: used whenever ``REDIS_URL`` is set).

Django's ``RedisCache`` raises ``redis.ConnectionError`` on every call while Redis is down, and every
page that reads the cache answered 500 (registration reads the holiday calendar from it; the tracking
page caches its HTML; the portal counts lookups in it). :class:`DegradingRedisCache` catches Redis
connection errors and timeouts on each operation and serves it from a per-process in-memory cache
instead, logging once per outage. After a failure it does not try Redis again for
``RETRY_SECONDS`` (5 s): a request during an outage costs no connect attempt.

What this means for what is kept in the cache (docs/reliability.md, "Degradation"):

* computed values (calendar, tracking page HTML, WeChat access token) are computed again per process
  — correct, only slower;
* the portal's per-IP lookup limits (``portal.views.over_limit``: ``add`` + ``incr``) keep counting,
  per process: with N web processes a client gets at most N × the limit during an outage — still
  bounded (fail-soft, not fail-open). Sign-in lockout does not use the cache (database rows);
* the relay's "already queued" flag lives per process: at worst one extra relay run per process,
  which is harmless (the relay claims rows with ``SKIP LOCKED``).

When Redis comes back, the in-memory values are dropped and Redis is used again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)
RETRY_SECONDS = 5.0
_DOWN = (RedisConnectionError, RedisTimeoutError, ConnectionError, TimeoutError, OSError)


class DegradingRedisCache(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._fallback = LocMemCache(f"fengqiao-fallback-{id(self)}", {"OPTIONS": {"MAX_ENTRIES": 5000}})
        self._down_until = 0.0
        self._state_lock = threading.Lock()

    @property
    def degraded(self) -> bool:
        return time.monotonic() < self._down_until

    def _call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if not self.degraded:
            try:
                result = getattr(super(), name)(*args, **kwargs)
            except _DOWN as exc:
                self._mark_down(exc)
            else:
                if self._fallback_used:
                    self._recovered()
                return result
        return getattr(self._fallback, name)(*args, **kwargs)

    _fallback_used = False

    def _mark_down(self, exc: BaseException) -> None:
        with self._state_lock:
            if not self._fallback_used:
                log.warning("cache: Redis unavailable (%s); serving from process memory", type(exc).__name__)
            self._fallback_used = True
            self._down_until = time.monotonic() + RETRY_SECONDS

    def _recovered(self) -> None:
        with self._state_lock:
            if self._fallback_used:
                log.warning("cache: Redis is back")
                self._fallback_used = False
                self._fallback.clear()

    def ping(self) -> bool:
        """True when Redis itself answers (the readiness check asks this, not the fallback)."""
        try:
            client = self._cache.get_client(None, write=False)
            return bool(client.ping())
        except _DOWN:
            return False


def _delegate(name: str) -> Callable[..., Any]:
    def method(self: DegradingRedisCache, *args: Any, **kwargs: Any) -> Any:
        return self._call(name, *args, **kwargs)

    method.__name__ = name
    method.__doc__ = f"``{name}`` on Redis, or on the process's memory while Redis is down."
    return method


for _name in (
    "add",
    "get",
    "set",
    "touch",
    "delete",
    "get_many",
    "has_key",
    "incr",
    "set_many",
    "delete_many",
    "clear",
):
    setattr(DegradingRedisCache, _name, _delegate(_name))
