"""Where later floors plug into the action layer, so that ``cases/`` imports none of them.

* ``events_committed`` (``event_ids``): sent after the transaction that wrote case events commits —
  notify fans them out to inboxes (one task per action, not per recipient).
* ``cases_registered`` (``case_ids``): sent after a registration commits — triage subscribes and
  records its step (``case.triage``, 分流完成) on its own, after the answer.
* ``fields_changed`` (``case``, ``changed``): sent inside the ``update`` action when the type, domain
  or place changed; each receiver may return a dict merged into the update event's data (triage
  routes again).
* ``cases_saved`` (``cases``): sent inside the transaction by the action layer's set-based writes (the
  triage step's one UPDATE for a batch), which bypass ``Model.save`` and its ``pre_save``/``post_save``;
  receivers that keep figures derived from case rows (evaluation's sums, the atlas rollups) mark what
  the batch may have moved, once.
* :data:`deadlines`: the deadline keeper (supervision sets it in its ``ready()``); without one a
  case simply has no deadlines.
* :data:`team`: the case's mediation team (mediation sets it in its ``ready()``; its tables, the
  mediator register and the team members, are mediation's). The access rules (``policy``) ask it
  which cases a mediator is on the team of, ``reopen`` whether a team is still on the case, and
  ``perform`` has it recount the mediators' cases in hand; without one no case has a team.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from django.db import transaction
from django.dispatch import Signal

events_committed = Signal()
cases_registered = Signal()
fields_changed = Signal()
cases_saved = Signal()


class DeadlineKeeper(Protocol):
    def initial(self, case: Any, now: dt.datetime) -> None: ...

    def shift_after_pause(self, case: Any, paused_at: dt.datetime, now: dt.datetime) -> None: ...


deadlines: DeadlineKeeper | None = None


def set_deadline_keeper(keeper: DeadlineKeeper) -> None:
    global deadlines
    deadlines = keeper


class CaseTeam(Protocol):
    def memberships(self, user: Any) -> Any:
        """A queryset of rows with a ``case_id``: the cases whose team ``user`` is on."""

    def is_member(self, case: Any, user: Any) -> bool: ...

    def has_team(self, case: Any) -> bool: ...

    def recount(self, case: Any, extra: Iterable[int]) -> None:
        """Recount the cases in hand of ``case``'s team and of the mediators ``extra`` (inside the
        action's transaction, after the case's new state is saved)."""


team: CaseTeam | None = None


def set_case_team(keeper: CaseTeam) -> None:
    global team
    team = keeper


def after_commit(fn: Callable[[], Any]) -> None:
    """Run ``fn`` once the current transaction has committed: queued with ``on_commit`` inside a
    transaction, at once in autocommit. A test's own wrapping transaction (pytest-django's ``db``,
    Django's ``TestCase``) counts as committed — it is never committed, and what the test checks is
    what a committed write leads to; a test that opens its own ``transaction.atomic()`` sees the
    moment before."""
    conn = transaction.get_connection()
    if conn.in_atomic_block and not all(getattr(b, "_from_testcase", False) for b in conn.atomic_blocks):
        transaction.on_commit(fn, robust=True)
    else:
        fn()
