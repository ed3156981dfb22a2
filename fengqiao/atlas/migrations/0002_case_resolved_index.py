"""A partial index on the cases' resolution time, for the screens' "latest resolved" strip and the
resolved trend (ORDER BY resolved_at DESC LIMIT n walks the index instead of sorting every resolved
case). Created from this app so the cases app stays unaware of the atlas; plain SQL that SQLite and
PostgreSQL both accept."""

from django.db import migrations

SQL = "CREATE INDEX IF NOT EXISTS atlas_case_resolved_at ON cases_case (resolved_at) WHERE resolved_at IS NOT NULL"


class Migration(migrations.Migration):
    dependencies = [("atlas", "0001_initial"), ("cases", "0009_alter_caseevent_data")]

    operations = [migrations.RunSQL(SQL, "DROP INDEX IF EXISTS atlas_case_resolved_at")]
