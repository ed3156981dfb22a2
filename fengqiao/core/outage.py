"""When the database (or Redis) is unavailable or too slow: a 503 in Chinese with Retry-After.

* :func:`is_unavailable` says whether an exception means "try again shortly": Django's
  ``OperationalError`` / ``InterfaceError`` (PostgreSQL unreachable or restarting, the statement or lock
  timeout of settings.py cancelling a query — ``QueryCanceled`` / ``LockNotAvailable`` —, SQLite's
  "database is locked") and Redis connection errors and timeouts, anywhere in the exception chain.
* :class:`UnavailableMiddleware` turns such an exception raised by a view (DRF re-raises what it does
  not handle) into the 503; :func:`server_error` (``handler500``) does the same for exceptions raised in
  other middleware — a session or user lookup with the database down — and otherwise renders the
  plain Chinese 500 page. Neither touches the database.
* :class:`QueueDeadlineMiddleware` sheds load: a request that waited in the queue in front of the
  workers longer than ``FENGQIAO_QUEUE_DEADLINE_S`` (from the proxy's ``X-Request-Start``, as nginx sets
  it in docs/deployment.md) gets the same 503 at once instead of its page, so in a spike the queue drains
  and every client gets an answer — the pattern of rack-timeout's ``wait_timeout`` and Heroku's router.
* JSON under ``/api/`` (``{"detail", "code": "unavailable"}``), the ``503.html`` page elsewhere.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.db.backends.signals import connection_created
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext

log = logging.getLogger(__name__)


def _redis_errors() -> tuple[type[BaseException], ...]:
    try:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError
    except ImportError:  # pragma: no cover - redis is a dependency
        return ()
    return (RedisConnectionError, RedisTimeoutError)


def _driver_errors() -> tuple[type[BaseException], ...]:
    """The drivers' own classes, for code that uses a raw cursor (Django wraps the rest)."""
    import sqlite3

    found: list[type[BaseException]] = [sqlite3.OperationalError]
    try:
        import psycopg

        found += [psycopg.OperationalError, psycopg.InterfaceError]
    except ImportError:  # pragma: no cover - SQLite-only installs
        pass
    return tuple(found)


def is_unavailable(exc: BaseException | None) -> bool:
    seen = 0
    unavailable: tuple[type[BaseException], ...] = (
        OperationalError,
        InterfaceError,
        *_driver_errors(),
        *_redis_errors(),
    )
    while exc is not None and seen < 10:
        if isinstance(exc, unavailable):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def kind_of(exc: BaseException) -> str:
    """A short, data-free name for the log: which failure made the 503."""
    text = f"{type(exc.__cause__ or exc).__name__}"
    if "statement timeout" in str(exc):
        return f"{text} (statement timeout)"
    if "lock timeout" in str(exc):
        return f"{text} (lock timeout)"
    return text


def _wants_json(request: HttpRequest) -> bool:
    from fengqiao.core.guards import wants_json

    return wants_json(request)


def unavailable_response(request: HttpRequest) -> HttpResponse:
    retry = int(getattr(settings, "FENGQIAO_RETRY_AFTER", 30))
    message = gettext("系统繁忙或正在维护，请 %(s)d 秒后重试。您刚才的操作如未显示成功，请重新提交。") % {"s": retry}
    response: HttpResponse
    if _wants_json(request):
        response = JsonResponse(
            {"detail": message, "code": "unavailable"}, status=503, json_dumps_params={"ensure_ascii": False}
        )
    else:
        body = loader.render_to_string("503.html", {"message": message, "retry_after": retry})
        response = HttpResponse(body, status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(retry)
    response["Cache-Control"] = "no-store"
    return response


class UnavailableMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_unavailable(exception):
            return None
        log.warning("503 for %s %s: %s", request.method, request.path, kind_of(exception))
        return unavailable_response(request)


def queued_seconds(header: str, now: float) -> float | None:
    """Seconds since the proxy received the request, from ``X-Request-Start``: ``t=<seconds>.<ms>``
    (nginx's ``$msec``) or an integer in milliseconds or microseconds (other routers); ``None`` when the
    header is missing, malformed or in the future (clocks apart)."""
    value = header.strip()
    if value.startswith("t="):
        value = value[2:]
    try:
        start = float(value)
    except ValueError:
        return None
    if start > 1e14:  # microseconds
        start /= 1e6
    elif start > 1e11:  # milliseconds
        start /= 1e3
    waited = now - start
    return waited if 0 <= waited < 86400 else None


class QueueDeadlineMiddleware:
    """A 503 with Retry-After, without touching the database, for a request that has already waited
    longer than the deadline: its client is about to give up, and answering it would only make the
    requests behind it wait longer."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        self.deadline = float(getattr(settings, "FENGQIAO_QUEUE_DEADLINE_S", 0) or 0)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        header = request.META.get("HTTP_X_REQUEST_START", "")
        if self.deadline and header:
            waited = queued_seconds(header, time.time())
            if waited is not None and waited > self.deadline:
                log.warning(
                    "503 for %s %s: queued %.1fs (> %.0fs)", request.method, request.path, waited, self.deadline
                )
                return unavailable_response(request)
        return self.get_response(request)


def server_error(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """``handler500``: a 503 when the failure is an outage (see module doc), else the 500 page."""
    exc = sys.exc_info()[1]
    if is_unavailable(exc):
        assert exc is not None
        log.warning("503 for %s %s: %s", request.method, request.path, kind_of(exc))
        return unavailable_response(request)
    message = gettext("服务器内部错误，已记录，请稍后重试。")
    if _wants_json(request):
        return JsonResponse(
            {"detail": message, "code": "server_error"}, status=500, json_dumps_params={"ensure_ascii": False}
        )
    return HttpResponse(loader.render_to_string("500.html", {"message": message}), status=500)


def use_statement_timeout(ms: int) -> None:
    """Every new PostgreSQL connection of this process gets ``statement_timeout = ms`` (0: none),
    overriding the web default of settings.py (used by Celery workers)."""

    def _set(sender: Any, connection: Any, **_: Any) -> None:
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("SELECT set_config('statement_timeout', %s, false)", [str(int(ms))])

    connection_created.connect(_set, weak=False, dispatch_uid="fengqiao-worker-statement-timeout")


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """``handler404``: JSON under /api/ (and wherever JSON is wanted), the plain Chinese page elsewhere."""
    message = gettext("您要找的内容不存在或已被移除。")
    if _wants_json(request):
        return JsonResponse(
            {"detail": message, "code": "not_found"}, status=404, json_dumps_params={"ensure_ascii": False}
        )
    return HttpResponse(loader.render_to_string("404.html", {"message": message}), status=404)
