from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.templatetags.static import static


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html")


def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico → the hashed SVG. Resolved per request: at import time the static manifest may not exist
    yet (``check --deploy`` on a fresh checkout runs before collectstatic)."""
    return HttpResponsePermanentRedirect(static("core/favicon.svg"))
