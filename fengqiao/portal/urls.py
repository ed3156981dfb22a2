from collections.abc import Callable
from functools import wraps
from typing import Any

from django.urls import path
from django.utils import translation

from fengqiao.core.registry import door_urls
from fengqiao.portal import posters_page, views, views_track


def zh(view: Callable[..., Any]) -> Callable[..., Any]:
    """The portal is written in plain Chinese: labels and action errors follow it, whatever the
    browser's language (otherwise an English browser gets a half-English timeline)."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        with translation.override("zh-hans"):
            return view(*args, **kwargs)

    return wrapped


app_name = "portal"

urlpatterns = [
    path("", zh(views.home), name="home"),
    path("privacy/", zh(views.privacy), name="privacy"),
    path("submit/", zh(views.submit), name="submit"),
    path("u/<str:unit_code>/", zh(views.submit), name="unit"),
    path("u/<str:unit_code>/poster.png", zh(views.poster), name="poster"),
    path("u/<str:unit_code>/poster.pdf", zh(views.poster), {"fmt": "pdf"}, name="poster_pdf"),
    path("posters/", zh(posters_page.posters), name="posters"),
    path("wx/", zh(views.wechat_entry), name="wechat"),
    path("t/<str:secret>/", zh(views_track.track), name="track"),
    path("t/<str:secret>/receipt/", zh(views_track.receipt), name="receipt"),
    path("t/<str:secret>/note/", zh(views_track.track_note), name="note"),
    path("t/<str:secret>/withdraw/", zh(views_track.track_withdraw), name="withdraw"),
    path("t/<str:secret>/rate/", zh(views_track.track_rate), name="rate"),
    path("track/", zh(views.find), name="find"),
    path("mine/", zh(views.mine), name="mine"),
    *door_urls("portal"),  # pages later apps add to the portal (gridwork: the volunteer pages under v/)
]
