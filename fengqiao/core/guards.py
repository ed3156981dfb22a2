"""Refuse malformed input at the door, before any view (and so any query) sees it.

:class:`InputGuardMiddleware` answers 400, in Chinese, when

* the path, a query-string key or value, or a field of a url-encoded form post holds a NUL or another
  C0 control character (``fengqiao.core.inputcheck.CONTROL_RE``) — PostgreSQL cannot store or compare
  text with NUL and raised inside the view (a 500);
* a JSON body is nested deeper than ``FENGQIAO_JSON_MAX_DEPTH`` (default 32) or is not UTF-8 — every
  JSON reader then works on a bounded document, whichever parser it uses (DRF's, a view's own).

The answer is JSON (``{"detail", "code"}``) under ``/api/`` and wherever the client sent or asked for
JSON, otherwise the plain ``400.html`` page. Multipart bodies (uploads) are left to the views: reading
them here would consume the stream before a view could set its upload handlers.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext

from fengqiao.core import inputcheck

JSON_PATH_PREFIXES = ("/api/", "/open311/")


def wants_json(request: HttpRequest) -> bool:
    if request.path.startswith(JSON_PATH_PREFIXES) or "/lookup/" in request.path:
        return True
    if (request.content_type or "").endswith("json"):
        return True
    accept = request.headers.get("Accept", "")
    return "json" in accept and "html" not in accept


def refuse(request: HttpRequest, message: str, code: str, status: int = 400) -> HttpResponse:
    if wants_json(request):
        return JsonResponse({"detail": message, "code": code}, status=status, json_dumps_params={"ensure_ascii": False})
    body = loader.render_to_string(f"{status}.html", {"message": message})
    return HttpResponse(body, status=status, content_type="text/html; charset=utf-8")


def _query_has_control(request: HttpRequest) -> bool:
    return any(inputcheck.has_control(k) or any(inputcheck.has_control(v) for v in vs) for k, vs in request.GET.lists())


class InputGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        refused = self.check(request)
        return refused if refused is not None else self.get_response(request)

    def check(self, request: HttpRequest) -> HttpResponse | None:
        if inputcheck.has_control(request.path) or _query_has_control(request):
            return refuse(
                request, gettext("网址或查询条件%(why)s") % {"why": inputcheck.CONTROL_MESSAGE}, "control_characters"
            )
        if request.method not in ("POST", "PUT", "PATCH", "DELETE"):
            return None
        ctype = request.content_type or ""
        if ctype == "application/x-www-form-urlencoded":
            errors = inputcheck.control_errors(request.POST)
            if errors:
                return refuse(
                    request, gettext("表单内容%(why)s") % {"why": inputcheck.CONTROL_MESSAGE}, "control_characters"
                )
        elif ctype.endswith("json"):
            try:
                inputcheck.check_json(
                    request.body, getattr(settings, "FENGQIAO_JSON_MAX_DEPTH", inputcheck.MAX_JSON_DEPTH)
                )
            except inputcheck.JSONInputError as exc:
                return refuse(request, str(exc), "invalid_json")
        return None
