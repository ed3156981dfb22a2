"""Extra panels on the staff case page, contributed by later apps (a registry like ``core.menu``).

The case page renders ``{% load panels %}{% case_panels case %}``; an installed app registers a
renderer in its ``AppConfig.ready()``:

    register_case_panel("early_warning", "fengqiao.early_warning.similar.case_panel")

The renderer is called with the template context and the case and returns HTML (or "" for nothing).
The case page itself imports nothing from the later app; an app that is not installed adds nothing."""

from __future__ import annotations

from typing import Any

from django.utils.module_loading import import_string

_PANELS: dict[str, str] = {}


def register_case_panel(key: str, renderer: str) -> None:
    _PANELS[key] = renderer


def render_case_panels(context: Any, case: Any) -> str:
    parts = []
    for key in sorted(_PANELS):
        parts.append(str(import_string(_PANELS[key])(context, case) or ""))
    return "".join(parts)
