from django.db import migrations


def forwards(apps, schema_editor):
    from fengqiao.cases.taxonomy import seed

    seed(apps.get_model("cases", "Category"), apps.get_model("cases", "Domain"))


class Migration(migrations.Migration):
    dependencies = [("cases", "0002_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
