"""Who may read and who may edit the knowledge base.

* Citizens (no login) read published public articles and approved library entries.
* Any signed-in staff member with a role (or Django staff) also reads published staff-only articles
  and sees the unanswered-questions list.
* Editors write, submit, publish and withdraw articles and library entries: the dispatchers
  (受理员) and handlers (承办人) of the county level (a role granted on the county itself or on the
  county centre), and system administrators. The county centre answers for what the public reads;
  town staff propose topics through the unanswered-questions list and their county colleagues.
"""

from __future__ import annotations

from typing import Any

from fengqiao.org.choices import Role, UnitKind

EDITOR_ROLES = frozenset({Role.DISPATCHER, Role.HANDLER})
COUNTY_KINDS = frozenset({UnitKind.COUNTY, UnitKind.CENTRE})


def _grants(user: Any) -> list[Any]:
    if not getattr(user, "is_authenticated", False) or not hasattr(user, "role_grants"):
        return []
    return list(user.role_grants())


def is_staff_reader(user: Any) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(getattr(user, "is_staff", False) or _grants(user))


def can_edit(user: Any) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if getattr(user, "is_superuser", False):
        return True
    for g in _grants(user):
        if g.role == Role.SYSTEM_ADMIN:
            return True
        if g.role in EDITOR_ROLES and g.unit.kind in COUNTY_KINDS:
            return True
    return False


def editor_grant(user: Any) -> tuple[str, int | None]:
    """(role, unit id) recorded on the audit row of an editor's action."""
    for g in _grants(user):
        if g.role == Role.SYSTEM_ADMIN or (g.role in EDITOR_ROLES and g.unit.kind in COUNTY_KINDS):
            return str(g.role), g.unit_id
    return ("superuser" if getattr(user, "is_superuser", False) else ""), getattr(user, "unit_id", None)
