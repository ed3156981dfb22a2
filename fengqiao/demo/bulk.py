"""Synthetic load for benchmarks: many cases inserted in bulk (with their register event).

This is fixture loading for measurements, not a way to change cases: it only inserts new rows
as they would look right after registration, and it is never called by the product itself.
"""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from fengqiao.cases import codes
from fengqiao.cases.models import Case, CaseEvent, Category
from fengqiao.cases.workflow import State
from fengqiao.org.choices import UnitKind
from fengqiao.org.models import Unit

STATES = [
    State.REGISTERED,
    State.ACCEPTED,
    State.IN_PROGRESS,
    State.MEDIATING,
    State.RESOLVED,
    State.CLOSED,
    State.ARCHIVED,
]


def generate_cases(
    total: int,
    owner_units: list[Unit] | None = None,
    batch: int = 5000,
    seed: int = 7,
    days: int = 365,
    open_only: bool = False,
    with_events: bool = True,
    now: dt.datetime | None = None,
) -> int:
    rng = random.Random(seed)
    categories = list(Category.objects.filter(parent__isnull=False))
    if owner_units is None:
        owner_units = list(Unit.objects.filter(kind__in=[UnitKind.SUBCENTRE, UnitKind.DEPARTMENT]))
    villages = list(Unit.objects.filter(kind=UnitKind.VILLAGE)[:2000]) or owner_units
    now = now or timezone.now()
    states = [State.REGISTERED, State.ACCEPTED, State.IN_PROGRESS, State.MEDIATING] if open_only else STATES
    made = 0
    while made < total:
        n = min(batch, total - made)
        cases = []
        for _ in range(n):
            created = now - dt.timedelta(seconds=rng.randint(0, days * 86400))
            owner = rng.choice(owner_units)
            village = rng.choice(villages)
            cat = rng.choice(categories)
            cases.append(
                Case(
                    code=codes.new_code(),
                    title=f"{cat.name}纠纷",
                    description=f"{cat.name}：测试负载数据 {made}",
                    category=cat,
                    channel="import",
                    owner_unit=owner,
                    owner_path=owner.path,
                    location_unit=village,
                    location_path=village.path,
                    state=rng.choice(states),
                    created_at=created,
                    accept_due=created + dt.timedelta(days=1),
                    contact_due=created + dt.timedelta(days=3),
                    due_at=created + dt.timedelta(days=15),
                    yellow_at=created + dt.timedelta(days=7),
                    red_at=created + dt.timedelta(days=14),
                    reminded_accept_at=created,
                    reminded_contact_at=created,
                    first_contact_at=created + dt.timedelta(hours=5),
                )
            )
        with transaction.atomic():
            Case.objects.bulk_create(cases, batch_size=1000)
            if not with_events:
                made += n
                continue
            saved = {c.code: c.pk for c in Case.objects.filter(code__in=[c.code for c in cases]).only("id", "code")}
            CaseEvent.objects.bulk_create(
                [
                    CaseEvent(
                        case_id=saved[c.code],
                        code="case.register",
                        at=c.created_at,
                        state_after=State.REGISTERED,
                        via="bench",
                        public=True,
                    )
                    for c in cases
                ],
                batch_size=1000,
            )
        made += n
    return made
