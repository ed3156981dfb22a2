"""The surge models test every series together with Benjamini–Hochberg control: the parameter
``p_value`` (a per-series level) becomes ``fdr`` (a false discovery rate), ``min_excess`` is new, and
the domain model's level thresholds move to 1.3 / 1.6 / 2 / 3 (a county-wide type 30 % above its
baseline is already a signal). A row an administrator had tuned keeps its tuned values: only values
still at the old defaults are replaced."""

from django.db import migrations

OLD_DOMAIN_THRESHOLDS = {"blue": 2, "yellow": 3, "orange": 5, "red": 8}
NEW_DOMAIN_THRESHOLDS = {"blue": 1.3, "yellow": 1.6, "orange": 2, "red": 3}


def forwards(apps, schema_editor):
    WarningModel = apps.get_model("early_warning", "WarningModel")
    for m in WarningModel.objects.filter(code__in=["area_surge", "domain_surge"]):
        params = dict(m.params or {})
        old = params.pop("p_value", None)
        # a tuned per-series level keeps its strictness as the false discovery rate
        params.setdefault("fdr", 0.01 if old in (None, 0.001) else min(0.2, max(0.0001, float(old))))
        params.setdefault("min_excess", 3)
        params.setdefault("recent_days", 3)
        m.params = params
        if m.code == "domain_surge" and m.thresholds == OLD_DOMAIN_THRESHOLDS:
            m.thresholds = NEW_DOMAIN_THRESHOLDS
        m.save(update_fields=["params", "thresholds"])


def backwards(apps, schema_editor):
    WarningModel = apps.get_model("early_warning", "WarningModel")
    for m in WarningModel.objects.filter(code__in=["area_surge", "domain_surge"]):
        params = dict(m.params or {})
        fdr = params.pop("fdr", 0.01)
        params.pop("min_excess", None)
        params.pop("recent_days", None)
        params["p_value"] = 0.001 if fdr == 0.01 else fdr
        m.params = params
        if m.code == "domain_surge" and m.thresholds == NEW_DOMAIN_THRESHOLDS:
            m.thresholds = OLD_DOMAIN_THRESHOLDS
        m.save(update_fields=["params", "thresholds"])


class Migration(migrations.Migration):
    dependencies = [("early_warning", "0002_path_collation_and_models")]
    operations = [migrations.RunPython(forwards, backwards)]
