"""Per-address rate limits for the public and sign-in doors that DRF's throttles do not cover.

A fixed window counted in the cache with ``add`` then ``incr``: both are atomic in Redis and in the
local-memory cache, so concurrent requests can never be counted twice or missed. The client address
is :func:`fengqiao.core.middleware.client_ip` (never a client-chosen X-Forwarded-For) and is kept in
the key only as a keyed hash. Limits are named in ``settings.FENGQIAO_RATE_LIMITS`` ("30/minute").
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext

from fengqiao.core import crypto
from fengqiao.core.middleware import client_ip

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """ "30/minute" → (30, 60)."""
    count, _, period = rate.partition("/")
    return int(count), PERIODS[period.strip()[:1].lower()]


def hit(scope: str, request: HttpRequest, rate: str | None = None) -> tuple[bool, int]:
    """Count one request of ``scope`` from this address; (allowed, seconds until the window ends)."""
    limit, period = parse_rate(rate or settings.FENGQIAO_RATE_LIMITS[scope])
    now = int(time.time())
    window = now // period
    who = crypto.search_hash(client_ip(request) or "unknown", "ip")
    key = f"rl:{scope}:{who}:{window}"
    cache.add(key, 0, period + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.add(key, 1, period + 5)
        count = 1
    return count <= limit, (window + 1) * period - now


def too_many(request: HttpRequest, retry_after: int) -> HttpResponse:
    """The 429 answer: JSON for machines (API paths or a JSON Accept), plain Chinese text otherwise."""
    message = gettext("请求过于频繁，请稍后再试。")
    if request.path.startswith(("/api/", "/open311/")) or "json" in request.headers.get("Accept", ""):
        response: HttpResponse = JsonResponse({"detail": message, "code": "throttled"}, status=429)
    else:
        response = HttpResponse(message, status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(max(1, retry_after))
    return response


def rate_limited(scope: str, methods: tuple[str, ...] = ("POST",)) -> Callable[..., Any]:
    """Decorate a view: requests with one of ``methods`` count towards ``scope``; over the limit → 429."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method in methods:
                allowed, retry_after = hit(scope, request)
                if not allowed:
                    return too_many(request, retry_after)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
