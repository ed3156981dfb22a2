"""Template helpers of the staff pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.utils import timezone

from fengqiao.web.views.common import relative

register = template.Library()


@register.filter
def countdown(value: dt.datetime | None) -> str:
    """"剩余 …" / "已超期 …" relative to now (the page script keeps it ticking)."""
    return relative(value, timezone.now()) if value else ""


@register.filter
def is_past(value: dt.datetime | None) -> bool:
    return bool(value and value < timezone.now())


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    try:
        return mapping.get(key, "")
    except AttributeError:
        return ""


@register.filter
def getlist(querydict: Any, key: str) -> list[str]:
    getter = getattr(querydict, "getlist", None)
    if getter is not None:
        return list(getter(key))
    value = querydict.get(key) if isinstance(querydict, dict) else None
    return [str(value)] if value not in (None, "") else []


@register.filter
def stringformat_id(value: Any) -> str:
    return str(value) if value is not None else ""
