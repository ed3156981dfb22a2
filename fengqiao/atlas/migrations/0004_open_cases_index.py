"""A partial index over the open cases carrying the columns the screens' "open now" figures read
(state, deadline, colour and its thresholds), so those counts are an index-only scan of the open
cases rather than a visit of every open row (docs/scaling.md). PostgreSQL only (INCLUDE); created
from this app so the cases app stays unaware of the atlas."""

from typing import Any

from django.db import migrations

OPEN = "('registered','dispatched','accepted','in_progress','mediating','paused')"
SQL = (
    "CREATE INDEX IF NOT EXISTS atlas_case_open ON cases_case (state) "
    f"INCLUDE (due_at, colour, red_at, yellow_at) WHERE state IN {OPEN}"
)


def forward(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SQL)


def backward(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS atlas_case_open")


class Migration(migrations.Migration):
    dependencies = [("atlas", "0003_rollup")]

    operations = [migrations.RunPython(forward, backward)]
