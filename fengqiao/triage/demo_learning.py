"""Demo data of triage learning: twelve weeks of simulated dispatcher decisions on the demo cases (the
stored top type confirmed, or corrected to the case's type), then one run of the nightly retraining,
so the quality and versions pages have something to show."""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone


def seed_learning() -> str:
    from fengqiao.triage import learning
    from fengqiao.triage.models import TrainingLabel, TriageResult

    if TrainingLabel.objects.filter(source__in=["confirmation", "correction"]).count() >= 100:
        return "已有训练标签，跳过"
    rng = random.Random(20)
    rows = list(
        TriageResult.objects.filter(case__category__parent__isnull=False)
        .select_related("case", "case__category")
        .order_by("case_id")[:600]
    )
    now = timezone.now()
    labels = []
    for i, r in enumerate(rows):
        top = r.type_top[0] if r.type_top else {}
        predicted = str(top.get("code", ""))
        truth = r.case.category.code if r.case.category else ""
        at = now - dt.timedelta(days=84 * (len(rows) - i) / max(1, len(rows)), hours=rng.random())
        labels.append(
            TrainingLabel(
                task="type",
                text=f"{r.case.title}\n{r.case.description}"[:5100],
                label=truth,
                predicted=predicted[:16],
                score=top.get("p"),
                source="confirmation" if predicted == truth else "correction",
                case=r.case,
                created_at=at,
            )
        )
    TrainingLabel.objects.bulk_create(labels)
    out = learning.nightly(("type",), in_process=True)
    return f"训练标签 {len(labels)} 条；重训：{'；'.join(str(o['reason']) for o in out)}"
