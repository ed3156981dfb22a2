"""A partial index over the open cases by owner path, carrying what the screens' "open now" figures
read, so a town screen's live counts read only the town's open cases (the receiving and lead units'
open cases come through the existing path indexes). PostgreSQL only (INCLUDE), like 0004."""

from typing import Any

from django.db import migrations

OPEN = "('registered','dispatched','accepted','in_progress','mediating','paused')"
SQL = (
    "CREATE INDEX IF NOT EXISTS atlas_case_open_owner ON cases_case (owner_path) "
    f"INCLUDE (state, due_at, colour, red_at, yellow_at) WHERE state IN {OPEN}"
)


def forward(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SQL)


def backward(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS atlas_case_open_owner")


class Migration(migrations.Migration):
    dependencies = [("atlas", "0006_town_rollups")]

    operations = [migrations.RunPython(forward, backward)]
