"""Indexes for the drill-down (docs/scaling.md): a metric's cases of one unit for one period are a
range of the unit's subtree on a path column with a condition on one date. A B-tree checks conditions
on any of its key columns inside the index, so one index per path column, carrying the dates the
families filter on (and the id, for joins read from the index alone), finds the unit's cases of the
period without visiting the unit's other cases. 群众满意率 counts a unit's rated cases whose last
rating falls in the period: the rated cases by owner, and the ratings by time and by case, are read
from three small partial indexes alone. Created from this app so the cases app stays unaware of the
evaluation; plain SQL that SQLite and PostgreSQL both accept."""

from django.db import migrations

OWNER = (
    "CREATE INDEX IF NOT EXISTS eval_case_owner_dates ON cases_case "
    "(owner_path, created_at, accepted_at, due_at, resolved_at, closed_at, id)"
)
PLACE = (
    "CREATE INDEX IF NOT EXISTS eval_case_place_dates ON cases_case (location_path, created_at, resolved_at, closed_at)"
)
RATED = "CREATE INDEX IF NOT EXISTS eval_case_rated ON cases_case (owner_path, created_at, id) WHERE satisfaction <> ''"
RATE_AT = "CREATE INDEX IF NOT EXISTS eval_event_rate_at ON cases_caseevent (at, case_id) WHERE code = 'case.rate'"
RATE_CASE = "CREATE INDEX IF NOT EXISTS eval_event_rate_case ON cases_caseevent (case_id, at) WHERE code = 'case.rate'"


class Migration(migrations.Migration):
    dependencies = [("evaluation", "0003_metric_sums"), ("cases", "0010_map_position")]

    operations = [
        migrations.RunSQL(OWNER, "DROP INDEX IF EXISTS eval_case_owner_dates"),
        migrations.RunSQL(PLACE, "DROP INDEX IF EXISTS eval_case_place_dates"),
        migrations.RunSQL(RATED, "DROP INDEX IF EXISTS eval_case_rated"),
        migrations.RunSQL(RATE_AT, "DROP INDEX IF EXISTS eval_event_rate_at"),
        migrations.RunSQL(RATE_CASE, "DROP INDEX IF EXISTS eval_event_rate_case"),
    ]
