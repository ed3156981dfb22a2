"""PostgreSQL: path columns compare byte-wise ("C" collation) so subtree ranges are correct and
indexed (as cases 0005); and one WarningModel row per built-in model, with its defaults."""

from django.db import migrations

COLUMNS = [
    ("early_warning_warning", "owner_path"),
    ("early_warning_warning", "assignee_path"),
    ("early_warning_noticerecipient", "unit_path"),
    ("early_warning_classproblem", "lead_path"),
]


def collation(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, column in COLUMNS:
        schema_editor.execute(f'ALTER TABLE {table} ALTER COLUMN {column} TYPE varchar(255) COLLATE "C"')


def seed_models(apps, schema_editor):
    from fengqiao.early_warning.detectors import REGISTRY

    WarningModel = apps.get_model("early_warning", "WarningModel")
    for i, (code, d) in enumerate(sorted(REGISTRY.items())):
        WarningModel.objects.get_or_create(
            code=code,
            defaults={
                "name": str(d.name),
                "kind": d.kind,
                "params": d.defaults(),
                "thresholds": dict(d.thresholds),
                "sort": i,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("early_warning", "0001_initial")]
    operations = [
        migrations.RunPython(collation, migrations.RunPython.noop),
        migrations.RunPython(seed_models, migrations.RunPython.noop),
    ]
