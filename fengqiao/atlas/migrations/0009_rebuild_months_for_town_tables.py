"""The per-town tables (0006, 0008) start empty on a database that already has cases: every month already
built is marked dirty, so the minute-ly refresh (atlas.tasks.refresh_rollups) fills them within minutes of
the upgrade instead of the nightly rebuild a day later. One UPDATE; the rebuild itself runs in the job."""

from django.db import migrations


def mark_every_month_dirty(apps, schema_editor):  # type: ignore[no-untyped-def]
    apps.get_model("atlas", "RollupMonth").objects.update(dirty=True)


class Migration(migrations.Migration):
    dependencies = [("atlas", "0008_town_stat")]

    operations = [migrations.RunPython(mark_every_month_dirty, migrations.RunPython.noop)]
