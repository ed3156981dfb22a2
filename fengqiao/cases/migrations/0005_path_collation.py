"""PostgreSQL: path columns compare byte-wise ("C" collation) so subtree range scans use the index."""

from django.db import migrations

COLUMNS = [
    ("org_unit", "path"),
    ("cases_case", "owner_path"),
    ("cases_case", "pending_path"),
    ("cases_case", "lead_path"),
    ("cases_case", "location_path"),
    ("cases_caseunit", "unit_path"),
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, column in COLUMNS:
        schema_editor.execute(f'ALTER TABLE {table} ALTER COLUMN {column} TYPE varchar(255) COLLATE "C"')


class Migration(migrations.Migration):
    dependencies = [("cases", "0004_path_columns"), ("org", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
