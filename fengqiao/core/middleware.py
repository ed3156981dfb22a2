from __future__ import annotations

import ipaddress
import re
import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from fengqiao.core.context import client_ip_var, new_request_id, request_id_var

_SAFE_ID = re.compile(r"^[A-Za-z0-9\-]{8,64}$")


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: REMOTE_ADDR (behind nginx, set it from X-Real-IP there: docs/deployment.md).
    X-Forwarded-For counts only when the request comes from an address in ``FENGQIAO_TRUSTED_PROXIES``:
    then the right-most entry that is not itself a trusted proxy, never a value the client chose."""
    remote = request.META.get("REMOTE_ADDR")
    trusted = getattr(settings, "FENGQIAO_TRUSTED_PROXIES", ())
    if not trusted or remote not in trusted:
        return remote
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if hop not in trusted:
            return hop if _looks_like_ip(hop) else remote
    return remote


def _looks_like_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


class RequestIdMiddleware:
    """Gives each request an id (or keeps a well-formed X-Request-ID) and records the client IP."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        rid = incoming if _SAFE_ID.match(incoming) else new_request_id()
        request.request_id = rid  # type: ignore[attr-defined]
        t1 = request_id_var.set(rid)
        t2 = client_ip_var.set(client_ip(request))
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(t1)
            client_ip_var.reset(t2)
        response["X-Request-ID"] = rid
        return response


# The idle timeout (SESSION_COOKIE_AGE, 30 minutes) slides with activity. Saving the session on every
# request (SESSION_SAVE_EVERY_REQUEST) costs a write transaction per page; touching it at most once a
# minute keeps the timeout within a minute of exact for a fraction of the writes.
SESSION_TOUCH_SECONDS = 60
TOUCH_KEY = "_touched"


def _now() -> float:
    return time.time()


class SlidingSessionMiddleware:
    """Extends a non-empty session's expiry when it was last saved more than a minute ago (placed
    after SessionMiddleware, which then saves it with a new expiry and cookie)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or session.modified or session.is_empty():
            return response
        now = int(_now())
        if now - int(session.get(TOUCH_KEY, 0)) >= SESSION_TOUCH_SECONDS:
            session[TOUCH_KEY] = now
        return response


NO_STORE = "private, no-store, max-age=0"


class NoStoreMiddleware:
    """``Cache-Control: no-store`` on every response to a signed-in user and on every API response:
    staff pages, exports (export.xlsx), the 一事一档 file.pdf, case detail and reveal may carry personal
    data, which no browser or proxy cache may keep. Anonymous public pages keep their own headers."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if request.path.startswith("/api/") or (user is not None and user.is_authenticated):
            if "no-store" not in response.get("Cache-Control", ""):
                response["Cache-Control"] = NO_STORE
            response["Pragma"] = "no-cache"
        return response
