"""Indexes for the drill-down (docs/scaling.md): a metric's cases of one unit for one period are a
range of the unit's subtree on a path column with a condition on one date. A B-tree checks conditions
on any of its key columns inside the index, so one index per path column, carrying the dates the
families filter on (and the id, for joins read from the index alone), finds the unit's cases of the
period without visiting the unit's other cases. The ratings index serves 群众满意率's "last rated in
the period". Created from this app so the cases app stays unaware of the evaluation; plain SQL that
SQLite and PostgreSQL both accept."""

from django.db import migrations

OWNER = (
    "CREATE INDEX IF NOT EXISTS eval_case_owner_dates ON cases_case "
    "(owner_path, created_at, accepted_at, due_at, resolved_at, closed_at, id)"
)
PLACE = (
    "CREATE INDEX IF NOT EXISTS eval_case_place_dates ON cases_case (location_path, created_at, resolved_at, closed_at)"
)
RATED = "CREATE INDEX IF NOT EXISTS eval_event_rate_at ON cases_caseevent (at) WHERE code = 'case.rate'"


class Migration(migrations.Migration):
    dependencies = [("evaluation", "0003_metric_sums"), ("cases", "0010_map_position")]

    operations = [
        migrations.RunSQL(OWNER, "DROP INDEX IF EXISTS eval_case_owner_dates"),
        migrations.RunSQL(PLACE, "DROP INDEX IF EXISTS eval_case_place_dates"),
        migrations.RunSQL(RATED, "DROP INDEX IF EXISTS eval_event_rate_at"),
    ]
