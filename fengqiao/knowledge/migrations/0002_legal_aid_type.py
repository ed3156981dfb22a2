from django.db import migrations


def forwards(apps, schema_editor):
    from fengqiao.knowledge.reference import seed

    seed(apps.get_model("cases", "Category"), apps.get_model("supervision", "DeadlinePolicy"))


class Migration(migrations.Migration):
    dependencies = [
        ("knowledge", "0001_initial"),
        ("cases", "0003_seed_taxonomy"),
        ("supervision", "0003_seed_calendar_policies"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
