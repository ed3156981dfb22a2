"""Audit rows are written pending (no ``seq``) and chained by a background step (issue #21): ``seq``
may be empty, and on PostgreSQL the append-only trigger lets exactly one update through — the chain
step filling ``seq``, ``prev_hash``, ``hash`` and ``mac`` of a pending row whose content stays as is."""

from django.db import migrations, models

FORWARD = """
CREATE OR REPLACE FUNCTION fengqiao_audit_append_only() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.seq IS NULL AND OLD.hash = '' AND NEW.seq IS NOT NULL AND NEW.hash <> ''
     AND NEW.id = OLD.id AND NEW.at = OLD.at AND NEW.user_id IS NOT DISTINCT FROM OLD.user_id
     AND NEW.username = OLD.username AND NEW.role = OLD.role
     AND NEW.unit_id IS NOT DISTINCT FROM OLD.unit_id AND NEW.ip IS NOT DISTINCT FROM OLD.ip
     AND NEW.request_id = OLD.request_id AND NEW.action = OLD.action AND NEW.object_type = OLD.object_type
     AND NEW.object_id = OLD.object_id AND NEW.result = OLD.result AND NEW.detail = OLD.detail THEN
    RETURN NEW;  -- the chain step sealing a pending row
  END IF;
  RAISE EXCEPTION 'core_auditentry is append-only';
END;
$$ LANGUAGE plpgsql;
"""

BACKWARD = """
CREATE OR REPLACE FUNCTION fengqiao_audit_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'core_auditentry is append-only';
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("core", "0004_audit_key_seal")]

    operations = [
        migrations.AlterModelOptions(
            name="auditentry",
            options={"ordering": ["id"], "verbose_name": "审计日志", "verbose_name_plural": "审计日志"},
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="seq",
            field=models.BigIntegerField(blank=True, null=True, unique=True, verbose_name="序号"),
        ),
        migrations.AddIndex(
            model_name="auditentry",
            index=models.Index(condition=models.Q(seq__isnull=True), fields=["id"], name="core_audit_pending"),
        ),
        migrations.RunPython(forwards, backwards),
    ]
