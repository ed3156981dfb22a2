"""Accountability detection (问责线索), each record carrying the events that prove it.

- 应录未录 (unregistered): a matter received by another system or a grid worker (``received_at``)
  and registered more than ``register_hours`` later.
- 应调未调 (unmediated): a dispute accepted more than ``mediate_days`` ago with no mediation session.
- 推诿扯皮 (buck passing): a case transferred/returned/declined ``transfer_count`` times or more, or sent
  back and forth between the same two units.
- repeated overdue: a handler, or a unit, with ``overdue_count`` or more overdue cases in the window.

Idempotent: each record has a deduplication key; running the detection again adds only new ones.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from typing import Any

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, Q
from django.utils import timezone

from fengqiao.cases import codes
from fengqiao.cases.models import Case, CaseEvent
from fengqiao.cases.workflow import OPEN_STATES, State
from fengqiao.mediation.models import MediationSession
from fengqiao.supervision.models import AccountabilityKind, AccountabilityRecord

PASSING_CODES = ("case.transfer", "case.return", "case.decline")


def _cfg() -> dict[str, int]:
    return settings.FENGQIAO_ACCOUNTABILITY


def _save(records: list[AccountabilityRecord]) -> int:
    if not records:
        return 0
    existing = set(
        AccountabilityRecord.objects.filter(dedup_key__in=[r.dedup_key for r in records]).values_list(
            "dedup_key", flat=True
        )
    )
    new = [r for r in records if r.dedup_key not in existing]
    AccountabilityRecord.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


def detect_unregistered(now: dt.datetime) -> list[AccountabilityRecord]:
    late = dt.timedelta(hours=_cfg()["register_hours"])
    out = []
    qs = Case.objects.filter(received_at__isnull=False, created_at__gt=F("received_at") + late).exclude(
        pk__in=AccountabilityRecord.objects.filter(kind=AccountabilityKind.UNREGISTERED).values("case_id")
    )
    for case in qs.select_related("owner_unit").only(
        "pk", "code", "received_at", "created_at", "owner_unit", "registered_by_id", "source_system", "channel"
    ):
        event = CaseEvent.objects.filter(case=case, code="case.register").values_list("pk", "actor_unit_id").first()
        hours = round((case.created_at - case.received_at).total_seconds() / 3600, 1)  # type: ignore[operator]
        out.append(
            AccountabilityRecord(
                kind=AccountabilityKind.UNREGISTERED,
                case=case,
                unit_id=(event[1] if event and event[1] else case.owner_unit_id),
                person_id=case.registered_by_id,
                summary=f"案件{codes.display(case.code)}收到后{hours}小时才登记（时限{_cfg()['register_hours']}小时）",
                evidence={
                    "events": [event[0]] if event else [],
                    "received_at": case.received_at.isoformat(),  # type: ignore[union-attr]
                    "registered_at": case.created_at.isoformat(),
                    "delay_hours": hours,
                    "source": case.source_system or case.channel,
                },
                dedup_key=f"unregistered:{case.pk}",
                detected_at=now,
            )
        )
    return out


def detect_unmediated(now: dt.datetime) -> list[AccountabilityRecord]:
    cutoff = now - dt.timedelta(days=_cfg()["mediate_days"])
    qs = (
        Case.objects.filter(
            category__isnull=False,
            accepted_at__lte=cutoff,
            state__in=[State.ACCEPTED, State.IN_PROGRESS, State.RESOLVED, State.UNRESOLVED],
        )
        .filter(~Exists(MediationSession.objects.filter(case=OuterRef("pk"))))
        .exclude(pk__in=AccountabilityRecord.objects.filter(kind=AccountabilityKind.UNMEDIATED).values("case_id"))
    )
    out = []
    for case in qs.only("pk", "code", "accepted_at", "owner_unit_id", "handler_id"):
        accept = CaseEvent.objects.filter(case=case, code__in=["case.accept", "case.assign_person"]).values_list(
            "pk", flat=True
        )
        days = (now - case.accepted_at).days  # type: ignore[operator]
        out.append(
            AccountabilityRecord(
                kind=AccountabilityKind.UNMEDIATED,
                case=case,
                unit_id=case.owner_unit_id,
                person_id=case.handler_id,
                summary=f"纠纷案件{codes.display(case.code)}受理{days}天未开展调解（时限{_cfg()['mediate_days']}天）",
                evidence={"events": list(accept), "accepted_at": case.accepted_at.isoformat(), "days": days},  # type: ignore[union-attr]
                dedup_key=f"unmediated:{case.pk}",
                detected_at=now,
            )
        )
    return out


def detect_buck_passing(now: dt.datetime) -> list[AccountabilityRecord]:
    threshold = _cfg()["transfer_count"]
    done = AccountabilityRecord.objects.filter(kind=AccountabilityKind.BUCK_PASSING).values("case_id")
    candidates = (
        CaseEvent.objects.filter(code__in=PASSING_CODES)
        .exclude(case_id__in=done)
        .values("case_id")
        .annotate(n=Count("id"))
        .filter(n__gte=2)
    )
    by_case: dict[int, list[tuple[int, str, dict[str, Any]]]] = defaultdict(list)
    ids = [c["case_id"] for c in candidates]
    for pk, case_id, code, data in (
        CaseEvent.objects.filter(case_id__in=ids, code__in=PASSING_CODES)
        .order_by("at", "pk")
        .values_list("pk", "case_id", "code", "data")
    ):
        by_case[case_id].append((pk, code, data or {}))
    cases = {
        c.pk: c for c in Case.objects.filter(pk__in=list(by_case)).only("pk", "code", "owner_unit_id", "handler_id")
    }
    out = []
    for case_id, events in by_case.items():
        moves = []
        for _, code, data in events:
            if code == "case.decline":
                moves.append((data.get("declined_by"), data.get("back_to")))
            else:
                moves.append((data.get("from"), data.get("to")))
        pairs = Counter(frozenset(m) for m in moves if None not in m and m[0] != m[1])
        back_and_forth = any(n >= 2 for n in pairs.values())
        if len(events) < threshold and not back_and_forth:
            continue
        case = cases[case_id]
        why = f"转办/退回{len(events)}次" + ("，在两个单位之间来回推送" if back_and_forth else "")
        out.append(
            AccountabilityRecord(
                kind=AccountabilityKind.BUCK_PASSING,
                case=case,
                unit_id=case.owner_unit_id,
                summary=f"案件{codes.display(case.code)}{why}",
                evidence={
                    "events": [e[0] for e in events],
                    "moves": [list(m) for m in moves],
                    "back_and_forth": back_and_forth,
                },
                dedup_key=f"buck:{case_id}",
                detected_at=now,
            )
        )
    return out


def detect_repeat_overdue(now: dt.datetime) -> list[AccountabilityRecord]:
    cfg = _cfg()
    since = now - dt.timedelta(days=cfg["overdue_window_days"])
    overdue = Case.objects.filter(due_at__gte=since).filter(
        Q(state__in=OPEN_STATES, due_at__lt=now) | Q(resolved_at__isnull=False, resolved_at__gt=F("due_at"))
    )
    period = f"{timezone.localtime(now):%Y%m}"
    out = []
    for field, kind, label in (
        ("handler_id", AccountabilityKind.REPEAT_OVERDUE_PERSON, "承办人"),
        ("owner_unit_id", AccountabilityKind.REPEAT_OVERDUE_UNIT, "单位"),
    ):
        groups = (
            overdue.exclude(**{f"{field}__isnull": True})
            .values(field)
            .annotate(n=Count("id"))
            .filter(n__gte=cfg["overdue_count"])
        )
        for g in groups:
            key_id = g[field]
            sample = list(overdue.filter(**{field: key_id}).order_by("due_at").values_list("code", flat=True)[:50])
            events = list(
                CaseEvent.objects.filter(case__code__in=sample, code="case.colour", after__colour="red").values_list(
                    "pk", flat=True
                )[:200]
            )
            out.append(
                AccountabilityRecord(
                    kind=kind,
                    person_id=key_id if field == "handler_id" else None,
                    unit_id=key_id if field == "owner_unit_id" else None,
                    summary=f"{label}近{cfg['overdue_window_days']}天有{g['n']}件案件超期",
                    evidence={"cases": sample, "count": g["n"], "events": events},
                    dedup_key=f"{kind}:{key_id}:{period}",
                    detected_at=now,
                )
            )
    return out


def detect(now: dt.datetime | None = None) -> Counter[str]:
    now = now or timezone.now()
    result: Counter[str] = Counter()
    for name, fn in (
        ("unregistered", detect_unregistered),
        ("unmediated", detect_unmediated),
        ("buck_passing", detect_buck_passing),
        ("repeat_overdue", detect_repeat_overdue),
    ):
        n = _save(fn(now))
        if n:
            result[name] = n
    return result
