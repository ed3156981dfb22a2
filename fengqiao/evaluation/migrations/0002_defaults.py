from typing import Any

from django.db import migrations


def forwards(apps: Any, schema_editor: Any) -> None:
    from fengqiao.evaluation.defaults import install

    install(apps.get_model("evaluation", "IndexTree"), apps.get_model("evaluation", "IndexNode"),
            apps.get_model("evaluation", "PointsRule"))


class Migration(migrations.Migration):
    dependencies = [("evaluation", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
