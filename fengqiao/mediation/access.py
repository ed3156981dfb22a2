"""Role sets of mediation's staff pages (in the style of fengqiao.org.access)."""

from __future__ import annotations

from fengqiao.org.choices import Role

# The calendar of planned sessions and the return-visit due list: the people who mediate and follow up.
DUE_LISTS = frozenset({Role.DISPATCHER, Role.HANDLER, Role.MEDIATOR, Role.GRID_WORKER, Role.LEADER})
# The 疑难案件 list: the county centre's desks, leaders and supervisors (each within their scope).
DIFFICULT_LIST = frozenset({Role.DISPATCHER, Role.HANDLER, Role.LEADER, Role.SUPERVISOR})
