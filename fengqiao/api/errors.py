from __future__ import annotations

from typing import Any

from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from fengqiao.cases.actions import ActionError


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ActionError):
        body: dict[str, Any] = {"detail": exc.message, "code": exc.code}
        if exc.errors:
            body["errors"] = exc.errors
        return Response(body, status=exc.status)
    return drf_exception_handler(exc, context)
