"""Size limits of what people type and upload, stated once and enforced gracefully.

Django refuses a request body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (or with more than
``DATA_UPLOAD_MAX_NUMBER_FIELDS`` fields) by raising while the form is read, which ends as a bare
English "Bad Request (400)". :class:`RequestLimitsMiddleware` reads a form post first (before the
CSRF check does) and, when Django refuses it, sends the person back to the form with a plain
Chinese message instead. The pages state the limits beside the fields and a small script
(``core/limits.js``) counts characters and checks file sizes before anything is sent, so that with
JavaScript on, nothing typed is lost to a refusal.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext

DESCRIPTION_MAX = 5000  # characters of a case description (cases.inputs.RegisterInput)
# A refused over-long text is sent back to be shortened, but never more than this much of it.
ECHO_MAX = 4 * DESCRIPTION_MAX
FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


def upload_limit_mb() -> int:
    return max(1, int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE) // (1024 * 1024))


def too_big_message() -> str:
    return gettext("提交的内容过大（文字超过 %(mb)s MB 或栏目过多），未能保存。请缩短描述、减少附件后重新提交。") % {
        "mb": upload_limit_mb()
    }


def echo(text: str, limit: int = ECHO_MAX) -> str:
    """What of a refused text is put back into the form: all of it, unless it is absurdly long."""
    return text if len(text) <= limit else text[:limit]


class RequestLimitsMiddleware:
    """Turns Django's refusal of an oversized form post into a redirect back with a message."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view: Any, args: Any, kwargs: Any) -> HttpResponse | None:
        if request.method != "POST" or request.content_type not in FORM_TYPES:
            return None
        try:
            request.POST  # noqa: B018 - reading it is the point: Django checks the limits here
        except (RequestDataTooBig, TooManyFieldsSent):
            return self.refused(request)
        return None

    @staticmethod
    def refused(request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", ""):
            return JsonResponse({"error": "too_large", "message": too_big_message()}, status=413)
        referer = request.headers.get("Referer", "")
        back = (
            referer
            if url_has_allowed_host_and_scheme(
                referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
            )
            else request.path
        )
        messages.error(request, too_big_message())
        return HttpResponseRedirect(back, status=303)
