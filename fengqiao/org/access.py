"""Who may open each staff page: one role set per page, used by the page's own permission check
and by its menu entry (fengqiao.web.apps._register_menu), so that the menu never offers a page
that would answer 403. tests/polish/test_menu.py walks every role's menu and opens each entry."""

from __future__ import annotations

from fengqiao.org.choices import Role

WORKBENCH = frozenset({Role.DISPATCHER, Role.HANDLER, Role.MEDIATOR, Role.GRID_WORKER})
INTAKE = frozenset({Role.DISPATCHER, Role.HANDLER, Role.GRID_WORKER})
# Reviewing triage (re-routing, confirming the type) is a desk's work, not a grid worker's.
TRIAGE_QUEUE = frozenset({Role.DISPATCHER, Role.HANDLER, Role.LEADER, Role.SYSTEM_ADMIN})
# The hotline screen and ledger imports are centre and department work: a grid worker reports
# what they find through intake, and neither answers the phone line nor imports ledgers.
HOTLINE = frozenset({Role.DISPATCHER, Role.HANDLER})
LEDGER_IMPORT = frozenset({Role.DISPATCHER, Role.HANDLER})
POSTERS = INTAKE
LEADER = frozenset({Role.LEADER})
SUPERVISOR = frozenset({Role.SUPERVISOR})
SYSTEMS = frozenset({Role.DISPATCHER, Role.LEADER, Role.SYSTEM_ADMIN, Role.SUPERVISOR})
