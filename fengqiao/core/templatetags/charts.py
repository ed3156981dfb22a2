"""``{% load charts %}{% plotly_js %}``: the one chart library, served from its installed package."""

from __future__ import annotations

from django import template
from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()


@register.simple_tag
def plotly_js() -> SafeString:
    return format_html('<script src="{}" defer></script>', static("vendor/plotly.min.js"))
