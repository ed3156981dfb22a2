from __future__ import annotations

import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from fengqiao.core.context import client_ip_var, new_request_id, request_id_var

_SAFE_ID = re.compile(r"^[A-Za-z0-9\-]{8,64}$")


def client_ip(request: HttpRequest) -> str | None:
    # REMOTE_ADDR only: behind nginx, set it from X-Real-IP there (docs/deployment.md).
    return request.META.get("REMOTE_ADDR")


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
