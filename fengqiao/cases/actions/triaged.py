"""The recorded triage step (分流完成) that follows a registration, after its commit.

Triage (a later floor, subscribed to ``hooks.cases_registered``) computes its results and hands them
to :func:`record_triage`, which writes them like any action: the case rows locked, the change, one
event ``case.triage`` and one audit row per case, the version bumped, the side effects queued — those of the registration
event too (the inbox fan-out of a registration that triage follows waits for this step: one fan-out for
the batch, to the desk of the unit that holds the case after triage).

Exactly once per case: the rows are locked and a case that already has its ``case.triage`` event is
skipped, so a retried task, a second worker or the catch-up sweep (cases registered a while ago
without the event) never records it twice; a worker that dies mid-way rolls the whole step back and
the retry (or the sweep) does it again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from fengqiao.cases import hooks, inputs
from fengqiao.cases.actions.base import Actor, audit_rows, diff, queue_side_effects
from fengqiao.cases.models import Case, CaseEvent

TRIAGE_EVENT = "case.triage"
REGISTER_EVENT = "case.register"
TRIAGE_ACTOR = Actor.system("triage")


@dataclass
class TriageOutcome:
    """What triage decided for one case: ``apply`` changes the locked row (fields it may set), ``data``
    goes into the event (``data["triage"]``), ``after`` runs with the event written (notifications)."""

    data: dict[str, Any] = field(default_factory=dict)
    after: Callable[[Case, CaseEvent], None] | None = None


def record_triage(
    case_ids: list[int] | None, decide: Callable[[list[Case]], list[TriageOutcome]], *, limit: int = 200
) -> list[CaseEvent]:
    """Lock the cases, keep those not yet triaged, let ``decide`` change them and return their
    outcomes, and write the step: one event and one audit row per case, the rows updated in one
    statement. ``case_ids=None``: the pending cases (``triage_pending``, oldest first, at most
    ``limit``) that no other worker holds locked — the drain. Returns the events written."""
    with transaction.atomic():
        rows = Case.objects.select_related(
            "owner_unit", "location_unit", "category", "domain", "standard_address", "registered_by"
        )
        if case_ids is None:  # rows another drain holds are skipped: it records them
            rows = rows.select_for_update(of=("self",), skip_locked=True).filter(triage_pending=True)
            locked = list(rows.order_by("pk")[:limit])
        else:
            locked = list(rows.select_for_update(of=("self",)).filter(pk__in=case_ids).order_by("pk"))
        if not locked:
            return []
        done: set[int] = set()
        registered: dict[int, int] = {}  # case -> its registration event, whose fan-out comes with this step
        for case_id, code, pk in CaseEvent.objects.filter(
            case_id__in=[c.pk for c in locked], code__in=(TRIAGE_EVENT, REGISTER_EVENT)
        ).values_list("case_id", "code", "pk"):
            if code == TRIAGE_EVENT:
                done.add(case_id)
            else:
                registered[case_id] = pk
        stale = [c.pk for c in locked if c.pk in done and c.triage_pending]
        if stale:  # recorded already (a flag left behind): only the flag is cleared
            Case.objects.filter(pk__in=stale).update(triage_pending=False)
        todo = [c for c in locked if c.pk not in done]
        if not todo:
            return []
        befores = [inputs.case_field_snapshot(c) for c in todo]
        outcomes = decide(todo)
        now = timezone.now()
        fields = set(ALWAYS_WRITTEN)
        events = []
        for case, before, outcome in zip(todo, befores, outcomes, strict=True):
            case.version += 1
            case.triage_pending = False
            case.updated_at = now
            case.fill_paths()
            b, a = diff(before, inputs.case_field_snapshot(case))
            fields.update(a)
            events.append(
                CaseEvent(
                    case=case,
                    code=TRIAGE_EVENT,
                    actor=None,
                    actor_role="system",
                    via="triage",
                    at=now,
                    state_before=case.state,
                    state_after=case.state,
                    before=b,
                    after=a,
                    data={"triage": outcome.data},
                    public=False,
                    version=case.version,
                )
            )
        # One statement for the batch (no per-row save): the receivers that watch case rows hear of it once.
        update_rows(todo, sorted(fields))
        hooks.cases_saved.send(sender=Case, cases=todo)
        CaseEvent.objects.bulk_create(events)
        audit_rows(TRIAGE_EVENT, TRIAGE_ACTOR, [(None, c, e) for c, e in zip(todo, events, strict=True)])
        for case, event, outcome in zip(todo, events, outcomes, strict=True):
            if outcome.after is not None:
                outcome.after(case, event)
        queue_side_effects([*events, *(CaseEvent(pk=registered[c.pk]) for c in todo if c.pk in registered)])
    return events


def update_rows(cases: list[Case], names: list[str]) -> None:
    """Write these columns of these rows: one parametrised UPDATE run for all rows at once
    (``executemany``: psycopg pipelines it, SQLite steps one prepared statement) — without the ORM's
    ``bulk_update`` and its CASE WHEN expression per row and column, which cost more CPU than triage."""
    conn = transaction.get_connection()
    fields: list[Any] = [Case._meta.get_field(n) for n in names]  # concrete columns of the case
    qn = conn.ops.quote_name
    sets = ", ".join(f"{qn(f.column)} = %s" for f in fields)
    sql = f"UPDATE {qn(Case._meta.db_table)} SET {sets} WHERE {qn(Case._meta.pk.column)} = %s"  # noqa: S608 (names from the model, quoted; values bound)
    rows = [[f.get_db_prep_save(getattr(c, f.attname), conn) for f in fields] + [c.pk] for c in cases]
    with conn.cursor() as cur:
        cur.executemany(sql, rows)


#: Columns the step always writes (besides those triage changed): the version, the flag, the paths and
#: map position ``fill_paths`` keeps in step with the units and the address.
ALWAYS_WRITTEN = (
    "version",
    "triage_pending",
    "updated_at",
    "owner_path",
    "pending_path",
    "lead_path",
    "location_path",
    "map_lat",
    "map_lon",
)


def untriaged(older_than_seconds: float = 30, limit: int = 500) -> list[int]:
    """Cases registered a while ago that still wait for their triage step (the hand-off was lost: the
    process stopped between the commit and the queueing, the broker was down, a task died for good).
    Read from the partial index of pending cases."""
    since = timezone.now() - dt.timedelta(seconds=older_than_seconds)
    return list(
        Case.objects.filter(triage_pending=True, created_at__lt=since)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


def pending_count() -> int:
    return Case.objects.filter(triage_pending=True).count()
