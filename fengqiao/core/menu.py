"""The staff menu as a registry: each app adds its own entries in its ``AppConfig.ready()``.

The ground floor knows no later stage: ``web`` renders whatever is registered, and an app
that owns a page (evaluation, warnings, the map…) declares who may see its menu entry.

    from fengqiao.core.menu import MenuItem, register
    register(MenuItem("eval-ranking", _("考评排名"), "evaluation:ranking", roles={"leader"}, order=60))

``roles`` are role codes (fengqiao.org.choices.Role values); ``staff=True`` also shows the entry to
Django staff (administrators). An entry with neither is shown to nobody.

Entries sit in groups (:data:`GROUPS`: 办理, 受理渠道, 态势, 研判预警, 考评, 监督, 系统), each a drop-down in
the header, so that a county dispatcher's thirty pages fit one line; an entry without ``group`` goes to
the group its ``order`` falls in, and the daily pages (order below 30) stand on their own. A group with
one visible entry is shown as that entry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import pgettext_lazy

#: Menu groups: key → (label, place in the header). The key "" holds the daily pages, shown flat.
GROUPS: dict[str, tuple[str | Promise, int]] = {
    "": ("", 0),
    "handle": (pgettext_lazy("menu group", "办理"), 30),
    "intake": (pgettext_lazy("menu group", "受理"), 40),
    "situation": (pgettext_lazy("menu group", "态势"), 50),
    "warning": (pgettext_lazy("menu group", "研判预警"), 55),
    "evaluation": (pgettext_lazy("menu group", "考评"), 58),
    "supervision": (pgettext_lazy("menu group", "监督"), 70),
    "system": (pgettext_lazy("menu group", "系统"), 90),
}


def _group_by_order(order: int) -> str:
    if order < 30:
        return ""
    if order < 40:
        return "handle"
    if order < 50:
        return "intake"
    if order < 70:
        return "warning"
    if order < 90:
        return "supervision"
    return "system"


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
    group: str = ""  # a key of GROUPS ("" = shown on its own)

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
        group: str | None = None,
    ) -> None:
        group = _group_by_order(order) if group is None else group
        if group not in GROUPS:
            raise ValueError(f"unknown menu group {group!r}")
        object.__setattr__(self, "key", key)
        object.__setattr__(self, "label", label)
        object.__setattr__(self, "url_name", url_name)
        object.__setattr__(self, "roles", frozenset(str(r) for r in roles))
        object.__setattr__(self, "order", order)
        object.__setattr__(self, "staff", staff)
        object.__setattr__(self, "when", when)
        object.__setattr__(self, "allow", allow)
        object.__setattr__(self, "group", group)

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
    """The entries a user with these role codes sees, in the header's order, as ``{"key", "label", "url",
    "group"}`` (an entry with its own ``allow`` check is shown only when ``user`` passes it)."""
    role_set = {str(r) for r in roles}
    out = []
    for item in sorted(_ITEMS.values(), key=lambda i: (GROUPS[i.group][1], i.order, i.key)):
        if not item.visible_to(role_set, is_staff):
            continue
        if item.allow is not None and (user is None or not item.allow(user)):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:  # an app registered an entry whose URLs are not mounted
            continue
        out.append({"key": item.key, "label": str(item.label), "url": url, "group": item.group})
    return out


def grouped(entries: list[dict[str, str]]) -> list[dict[str, Any]]:
    """The header's shape of :func:`items_for`'s entries: a daily page or a group's only entry as
    ``{"label", "url"}``, a group of several as ``{"key", "label", "entries": [...]}``; order kept."""
    out: list[dict[str, Any]] = []
    by_group: dict[str, list[dict[str, str]]] = {}
    for entry in entries:
        by_group.setdefault(entry["group"], []).append(entry)
    seen: set[str] = set()
    for entry in entries:
        key = entry["group"]
        members = by_group[key]
        if not key or len(members) == 1:
            out.append({"label": entry["label"], "url": entry["url"]})
        elif key not in seen:
            seen.add(key)
            out.append({"key": key, "label": str(GROUPS[key][0]), "entries": members})
    return out
