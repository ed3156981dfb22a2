from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from fengqiao.org.choices import Role


def staff(request: HttpRequest) -> dict[str, Any]:
    """Header data for staff pages: unread notifications and which menus the user's roles open."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not hasattr(user, "role_grants"):
        return {}
    # Panels of later apps render their own templates with the same request (core.panels): the header's
    # data is read once per request, not once per panel.
    cached = getattr(request, "_fq_staff_header", None)
    if cached is not None:
        return cached
    request._fq_staff_header = data = _header(user)  # type: ignore[attr-defined]
    return data


def _header(user: Any) -> dict[str, Any]:
    from fengqiao.core.menu import grouped, items_for
    from fengqiao.notify.models import Notification
    from fengqiao.org import access

    roles = {g.role for g in user.role_grants()}
    return {
        "unread_count": Notification.objects.filter(user=user, read_at__isnull=True).count(),
        "nav": {
            "workbench": bool(roles & access.WORKBENCH),
            "intake": bool(roles & access.INTAKE),
            "leader": Role.LEADER in roles,
            "supervisor": Role.SUPERVISOR in roles,
            "admin": user.is_staff,
        },
        "menu": grouped(items_for(roles, user.is_staff, user)),
    }
