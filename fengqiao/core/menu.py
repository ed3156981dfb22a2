"""The staff menu as a registry: each app adds its own entries in its ``AppConfig.ready()``.

The ground floor knows no later stage: ``web`` renders whatever is registered, and an app
that owns a page (evaluation, warnings, the map…) declares who may see its menu entry.

    from fengqiao.core.menu import MenuItem, register
    register(MenuItem("eval-ranking", _("考评排名"), "evaluation:ranking", roles={"leader"}, order=60))

``roles`` are role codes (fengqiao.org.choices.Role values); ``staff=True`` also shows the entry to
Django staff (administrators). An entry with neither is shown to nobody.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise


@dataclass(frozen=True)
class MenuItem:
    key: str
    label: str | Promise
    url_name: str
    roles: frozenset[str] = field(default_factory=frozenset)
    order: int = 100
    staff: bool = False
    when: Callable[[], bool] | None = None  # shown only while this answers True (e.g. a demo-only page)
    allow: Callable[[Any], bool] | None = None  # the page's own finer check of the user (e.g. county staff only)

    def __init__(
        self,
        key: str,
        label: str | Promise,
        url_name: str,
        roles: Iterable[str] = (),
        order: int = 100,
        staff: bool = False,
        when: Callable[[], bool] | None = None,
        allow: Callable[[Any], bool] | None = None,
    ) -> None:
        object.__setattr__(self, "key", key)
        object.__setattr__(self, "label", label)
        object.__setattr__(self, "url_name", url_name)
        object.__setattr__(self, "roles", frozenset(str(r) for r in roles))
        object.__setattr__(self, "order", order)
        object.__setattr__(self, "staff", staff)
        object.__setattr__(self, "when", when)
        object.__setattr__(self, "allow", allow)

    def visible_to(self, roles: set[str], is_staff: bool) -> bool:
        if self.when is not None and not self.when():
            return False
        return bool(self.roles & roles) or (self.staff and is_staff)


_ITEMS: dict[str, MenuItem] = {}


def register(item: MenuItem) -> MenuItem:
    """Add (or replace, by key) one menu entry."""
    _ITEMS[item.key] = item
    return item


def items_for(roles: Iterable[str], is_staff: bool, user: Any = None) -> list[dict[str, str]]:
    """The entries a user with these role codes sees, in order, as ``{"key", "label", "url"}`` (an
    entry with its own ``allow`` check is shown only when ``user`` passes it)."""
    role_set = {str(r) for r in roles}
    out = []
    for item in sorted(_ITEMS.values(), key=lambda i: (i.order, i.key)):
        if not item.visible_to(role_set, is_staff):
            continue
        if item.allow is not None and (user is None or not item.allow(user)):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:  # an app registered an entry whose URLs are not mounted
            continue
        out.append({"key": item.key, "label": str(item.label), "url": url})
    return out
