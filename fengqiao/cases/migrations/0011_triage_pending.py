"""The triage drain's work list: a flag on the case, set by registration and cleared by the triage step,
with a partial index that holds only the pending rows. Cases of the last week registered through the action
layer (a ``case.register`` event) that have no triage step yet — what the catch-up job would still have picked
up — start pending; older ones, and rows loaded without registering (fixtures, seeders), are left as they were."""

import datetime as dt

from django.db import migrations, models
from django.utils import timezone


def pending_from_events(apps, schema_editor):  # type: ignore[no-untyped-def]
    Case = apps.get_model("cases", "Case")
    CaseEvent = apps.get_model("cases", "CaseEvent")
    since = timezone.now() - dt.timedelta(days=7)
    registered = CaseEvent.objects.filter(case_id=models.OuterRef("pk"), code="case.register")
    triaged = CaseEvent.objects.filter(case_id=models.OuterRef("pk"), code="case.triage")
    Case.objects.filter(models.Exists(registered), created_at__gte=since).exclude(models.Exists(triaged)).update(
        triage_pending=True
    )


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0010_map_position"),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="triage_pending",
            field=models.BooleanField(default=False, editable=False, verbose_name="待分流"),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(condition=models.Q(("triage_pending", True)), fields=["id"], name="case_triage_pending"),
        ),
        migrations.RunPython(pending_from_events, migrations.RunPython.noop, elidable=True),
    ]
