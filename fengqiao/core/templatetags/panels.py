from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.simple_tag(takes_context=True)
def case_panels(context: Any, case: Any) -> SafeString:
    """The panels later apps contribute to the case page (fengqiao.core.panels); each renderer
    returns HTML rendered from its own escaped template."""
    from fengqiao.core.panels import render_case_panels

    return mark_safe(render_case_panels(context, case))  # noqa: S308


@register.simple_tag(takes_context=True)
def dashboard_panels(context: Any) -> SafeString:
    """Panels later apps contribute to the county dashboard (fengqiao.core.panels)."""
    from fengqiao.core.panels import render_dashboard_panels

    return mark_safe(render_dashboard_panels(context))  # noqa: S308


@register.simple_tag(takes_context=True)
def map_layers(context: Any) -> SafeString:
    """Map layers later apps contribute to the map page (fengqiao.core.panels)."""
    from fengqiao.core.panels import render_map_layers

    return mark_safe(render_map_layers(context))  # noqa: S308
