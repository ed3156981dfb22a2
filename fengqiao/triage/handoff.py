"""Triage as a stage that subscribes to registration (``cases.hooks``), after the commit.

``on_registered`` queues a **drain** (Celery with a broker; without one the in-process pool runs it right
away; the tests run the triage of the new cases synchronously). The queueing is coalesced: while a drain
is queued and has not started (a cache flag it clears as it starts), a registration queues nothing —
that drain will find its case. A drain takes the pending cases (``Case.triage_pending``, a partial
index) in batches, oldest first, skipping rows another drain holds, and triages each batch at once
(the models loaded once per process, the lookups and writes set-based), handing the results to the
action layer's :func:`~fengqiao.cases.actions.record_triage`, which records each case's ``case.triage``
event (分流完成) exactly once. Under load the batches grow with the arrival rate, so the cost per case
falls as the load rises. After :data:`DRAIN_SECONDS` a drain queues its successor and returns (the
worker's other tasks — inbox fan-out, the SMS relay — are not held up). The catch-up job (every
minute) triages what a lost hand-off left behind.

What triage may still change, and only while nobody has touched the case (its version is still the
registration's, it is registered and not offered to another unit): the type and domain when they
were left open and the model is confident, the place, a higher risk and priority, and — unless the
registrar named the owner — the owner the routing rules choose (within the registrar's scope:
首接负责), with that owner's level and deadline policy.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.conf import settings

from fengqiao.cases import hooks
from fengqiao.cases.actions import Actor, TriageOutcome, default_owner, level_for, record_triage
from fengqiao.cases.actions.triaged import untriaged
from fengqiao.cases.choices import Level
from fengqiao.cases.models import Case, CaseEvent, Party
from fengqiao.cases.policy import scope_paths
from fengqiao.cases.workflow import State
from fengqiao.org.choices import Role

log = logging.getLogger(__name__)
BATCH = 200
DRAIN_SECONDS = 2.0
#: set while a drain is queued and not yet started (cleared by the drain as it starts)
DRAIN_QUEUED_KEY = "triage:drain-queued"
DRAIN_QUEUED_SECONDS = 10
REGISTRAR_ROLES: set[str] = {Role.DISPATCHER, Role.HANDLER, Role.GRID_WORKER}


def connect() -> None:
    from fengqiao.core.registry import register_job

    hooks.cases_registered.connect(on_registered, dispatch_uid="triage-on-registered")
    hooks.fields_changed.connect(on_fields_changed, dispatch_uid="triage-on-fields-changed")
    register_job("triage catch-up", 60, catch_up, task="fengqiao.triage.tasks.triage_catch_up")


def _synchronous() -> bool:
    return bool(settings.CELERY_TASK_ALWAYS_EAGER and settings.FENGQIAO_INPROCESS_TASKS == "sync")


def on_registered(sender: Any, case_ids: list[int], **_: Any) -> bool:
    """Queue a drain for new cases (coalesced); True when their triage already ran (synchronous mode)."""
    from fengqiao.core.tasks import enqueue
    from fengqiao.triage.tasks import triage_new_cases

    if _synchronous():  # the tests: these cases' triage, here and now
        for start in range(0, len(case_ids), BATCH):
            enqueue(triage_new_cases, case_ids[start : start + BATCH])
        return True
    kick()
    return False


def kick() -> None:
    """Queue a drain unless one is queued and not started yet (that one will find the new cases). A
    lost flag or task costs at most the flag's lifetime or the catch-up job's minute."""
    from django.core.cache import cache

    from fengqiao.core.tasks import enqueue
    from fengqiao.triage.tasks import drain_pending

    try:
        queued = not cache.add(DRAIN_QUEUED_KEY, 1, DRAIN_QUEUED_SECONDS)
    except Exception:  # no cache: queue one per registration (each finds nothing once the first ran)
        log.warning("triage: cache unavailable, drain queued without coalescing", exc_info=True)
        queued = False
    if not queued:
        enqueue(drain_pending)


def drain(seconds: float = DRAIN_SECONDS) -> int:
    """Triage the pending cases in batches until none is left or ``seconds`` have passed (then queue the
    next drain); returns how many were triaged. A batch that fails is retried case by case, so one
    case that cannot be recorded does not hold up the others (the catch-up job retries it)."""
    from django.core.cache import cache

    try:
        cache.delete(DRAIN_QUEUED_KEY)  # before looking: a case committed from now on queues a new drain
    except Exception:
        log.warning("triage: cache unavailable", exc_info=True)
    t, done = time.monotonic(), 0
    while True:
        try:
            got = len(record_triage(None, decide, limit=BATCH))
        except Exception:
            log.exception("triage: a batch failed; recording its cases one by one")
            got = _one_by_one(None)
        done += got
        if got == 0:
            return done
        if time.monotonic() - t > seconds:
            kick()
            return done


def _one_by_one(ids: list[int] | None) -> int:
    if ids is None:
        ids = list(Case.objects.filter(triage_pending=True).order_by("pk").values_list("pk", flat=True)[:BATCH])
    done = 0
    for pk in ids:
        try:
            done += triage([pk])
        except Exception:
            log.exception("triage of case %s failed; the catch-up job retries it", pk)
    return done


def on_fields_changed(sender: Any, case: Case, changed: set[str], **_: Any) -> dict[str, Any] | None:
    """The type or the place changed (``update``): route again; the update event carries the result."""
    from fengqiao.triage.pipeline import after_update

    rerouted = after_update(case, changed)
    return {"triage": rerouted} if rerouted else None


def catch_up() -> int:
    """Triage the cases a lost hand-off left behind (registered over 30 s ago without ``case.triage``)."""
    ids, done = untriaged(), 0
    for i in range(0, len(ids), BATCH):
        try:
            done += triage(ids[i : i + BATCH])
        except Exception:
            log.exception("triage catch-up: a batch failed; recording its cases one by one")
            done += _one_by_one(ids[i : i + BATCH])
    return done


def triage(case_ids: list[int]) -> int:
    """Triage and record these cases (those already triaged are skipped); returns how many were."""
    return len(record_triage(case_ids, decide))


def _histories(cases: list[Case], phones: dict[int, list[str]]) -> dict[int, int]:
    """Earlier cases of each applicant's phones (a repeat complainant weighs in the risk), one query."""
    wanted = {h for hs in phones.values() for h in hs}
    seen: dict[str, set[int]] = {}
    if wanted:
        for h, cid in Party.objects.filter(phone_hash__in=wanted).values_list("phone_hash", "case_id"):
            seen.setdefault(h, set()).add(cid)
    out = {}
    for c in cases:
        ids = set().union(*(seen.get(h, set()) for h in phones.get(c.pk, [])))
        out[c.pk] = len({i for i in ids if i < c.pk})
    return out


def decide(cases: list[Case]) -> list[TriageOutcome]:
    """Triage locked, untriaged cases: classify, locate, weigh the risk, route, then (set-based for the
    batch) duplicates, team proposals and the stored results. Changes the rows; returns the outcomes."""
    from fengqiao.triage import pipeline

    ids = [c.pk for c in cases]
    parties: dict[int, list[dict[str, Any]]] = {}
    phones: dict[int, list[str]] = {}
    for p in Party.objects.filter(case_id__in=ids).order_by("pk"):
        parties.setdefault(p.case_id, []).append({"phone": p.phone, "vulnerable": p.vulnerable, "role": p.role})
        if p.phone_hash:
            phones.setdefault(p.case_id, []).append(p.phone_hash)
    given = set(
        CaseEvent.objects.filter(case_id__in=ids, code="case.register", data__owner="given").values_list(
            "case_id", flat=True
        )
    )
    histories = _histories(cases, phones)
    memo: dict[Any, Any] = {}
    plans: list[Any] = []
    for case in cases:
        values = _values(case, parties.get(case.pk, []))
        plan = pipeline.prepare(values, None, case.created_at, history=histories[case.pk], memo=memo)
        if plan is not None:
            try:
                _apply(case, values, plan, case.pk in given)
            except Exception:  # a failure in triage never blocks the case: it is recorded as failed
                log.exception("applying the triage of case %s failed", case.pk)
        plans.append(plan)
    pipeline.record_many(
        [(plan, case, parties.get(case.pk, [])) for plan, case in zip(plans, cases, strict=True) if plan is not None],
        memo,
    )
    outcomes = []
    for plan in plans:
        if plan is None or plan.result is None:
            outcomes.append(TriageOutcome({"failed": True}))
        else:
            outcomes.append(TriageOutcome(plan.event_data(), after=plan.after_event))
    return outcomes


def _values(case: Case, parties: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "title": case.title,
        "description": case.description,
        "category": case.category,
        "domain": case.domain,
        "location_unit": case.location_unit,
        "standard_address": case.standard_address,
        "address_text": case.address_text,
        "lat": case.lat,
        "lon": case.lon,
        "channel": case.channel,
        "risk": case.risk,
        "priority": case.priority,
        "people_count": case.people_count,
        "parties": parties,
    }


def _apply(case: Case, values: dict[str, Any], plan: Any, owner_given: bool) -> None:
    if case.category_id is None and values.get("category") is not None:
        case.category = values["category"]
    if case.domain_id is None and values.get("domain") is not None:
        case.domain = values["domain"]
    if case.location_unit_id is None and values.get("location_unit") is not None:
        case.location_unit = values["location_unit"]
    if case.standard_address_id is None and values.get("standard_address") is not None:
        case.standard_address = values["standard_address"]
    case.risk = values.get("risk") or case.risk
    case.priority = int(values.get("priority") or case.priority)
    untouched = case.version == 1 and case.state == State.REGISTERED and not case.pending_unit_id
    if not untouched:
        return  # a person has acted on the case already: triage informs, it does not move it
    location = case.location_unit
    routed = plan.owner
    if not owner_given:
        user = case.registered_by
        actor = Actor.staff(user) if user is not None else Actor.citizen()
        owner = routed or default_owner(location, actor)
        if user is not None:
            paths = scope_paths(user, REGISTRAR_ROLES)
            if not any(owner.path.startswith(p) for p in paths):
                owner = case.owner_unit  # first contact: the registrar's unit keeps it (首接负责)
        case.owner_unit = owner
    level = level_for(location or case.owner_unit, Level.BLUE)
    if plan.level and routed is not None and case.owner_unit_id == routed.pk:
        level = plan.level  # the routing rule's level
    case.level = level
    if hooks.deadlines is not None:
        hooks.deadlines.initial(case, case.created_at)
    plan.apply_deadlines(case, case.created_at)
