"""Extra panels on the staff case page, contributed by later apps (a registry like ``core.menu``).

The case page renders ``{% load panels %}{% case_panels case %}``; an installed app registers a
renderer in its ``AppConfig.ready()``:

    register_case_panel("early_warning", "fengqiao.early_warning.similar.case_panel")

The renderer is called with the template context and the case and returns HTML (or "" for nothing).
The context holds ``request`` and ``visible_q``, the user's scope (``cases.policy.visible_q``) computed once
for the page: pass it to ``policy.restrict(…, visible=…)`` instead of computing it again.
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


# --- the county dashboard and the map -------------------------------------------------------------
# The same pattern for the dashboard (``{% dashboard_panels %}``) and the map page (``{% map_layers %}``):
# a later app registers a renderer called with the template context that returns HTML — a panel, or a
# map layer's switch and its own static script, which adds its traces through ``window.FengqiaoMapLayers``
# (see atlas/static/atlas/map.js). The dashboard and the map import nothing from the later app.

_DASHBOARD: dict[str, str] = {}
_MAP_LAYERS: dict[str, str] = {}


def register_dashboard_panel(key: str, renderer: str) -> None:
    _DASHBOARD[key] = renderer


def register_map_layer(key: str, renderer: str) -> None:
    _MAP_LAYERS[key] = renderer


def render_dashboard_panels(context: Any) -> str:
    return "".join(str(import_string(_DASHBOARD[k])(context) or "") for k in sorted(_DASHBOARD))


def render_map_layers(context: Any) -> str:
    return "".join(str(import_string(_MAP_LAYERS[k])(context) or "") for k in sorted(_MAP_LAYERS))
