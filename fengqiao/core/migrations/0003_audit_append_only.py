"""On PostgreSQL the database itself refuses UPDATE and DELETE on the audit log."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION fengqiao_audit_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'core_auditentry is append-only';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS core_auditentry_append_only ON core_auditentry;
CREATE TRIGGER core_auditentry_append_only BEFORE UPDATE OR DELETE ON core_auditentry
  FOR EACH ROW EXECUTE FUNCTION fengqiao_audit_append_only();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS core_auditentry_append_only ON core_auditentry;
DROP FUNCTION IF EXISTS fengqiao_audit_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("core", "0002_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
