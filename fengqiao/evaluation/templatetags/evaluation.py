"""Filters of the evaluation pages, and ``{% star_strip %}``: the scrolling 加星事项 strip any staff
page can show (``{% load evaluation %}{% star_strip %}``) — the stars the viewer may see."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext

from fengqiao.evaluation.metrics import REGISTRY

register = template.Library()

BANDS = {"green": "绿", "yellow": "黄", "red": "红", "grey": "—"}


@register.filter
def keep_kind(kind: str) -> list[tuple[str, str]]:
    return [("kind", kind)]


@register.filter
def score(x: float | None) -> str:
    return "—" if x is None else f"{x:.1f}"


@register.filter
def change(x: float | None) -> str:
    if x is None:
        return "—"
    return f"↑{x:.1f}" if x > 0.05 else (f"↓{-x:.1f}" if x < -0.05 else "0.0")


@register.filter
def band_label(b: str) -> str:
    return gettext(BANDS.get(b, "—"))


@register.filter
def get(d: dict[str, Any] | None, key: str) -> Any:
    return (d or {}).get(key)


@register.filter
def pct0(x: float) -> str:
    return f"{x * 100:.0f}%"


@register.filter
def num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:.1f}"


@register.filter
def is_external(key: str) -> bool:
    m = REGISTRY.get(key)
    return bool(m and m.external)


@register.filter
def dim_band(value: float | None, avg: float | None) -> str:
    if value is None or avg is None:
        return "grey"
    if value >= avg + 5:
        return "green"
    if value <= avg - 5:
        return "red"
    return "yellow"


def stars_for(user: Any, limit: int = 12) -> list[Any]:
    """The context helper behind the strip: active stars on cases ``user`` may see, newest first."""
    from fengqiao.cases import policy
    from fengqiao.cases.models import Case
    from fengqiao.evaluation.models import StarMark

    if not getattr(user, "is_authenticated", False):
        return []
    visible = policy.restrict(Case.objects.all(), user).values("pk")
    return list(StarMark.objects.filter(active=True, case_id__in=visible).select_related("case")[:limit])


@register.inclusion_tag("evaluation/_star_strip.html", takes_context=True)
def star_strip(context: Any) -> dict[str, Any]:
    request = context.get("request")
    return {"stars": stars_for(getattr(request, "user", None))}
