"""The ``fengqiao`` console command: Django's management commands plus the project's own."""

from __future__ import annotations

import os
import sys

SERVING_COMMANDS = {"runserver", "demo-serve"}


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fengqiao.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else argv)
    args[0] = "fengqiao"
    if len(args) > 1 and args[1] not in SERVING_COMMANDS:
        # Migrations, imports, demo builds and benchmarks may run long: no statement timeout unless
        # FENGQIAO_DB_COMMAND_STATEMENT_TIMEOUT_MS says otherwise (the web default is 15 s, settings.py).
        os.environ.setdefault(
            "FENGQIAO_DB_STATEMENT_TIMEOUT_MS", os.environ.get("FENGQIAO_DB_COMMAND_STATEMENT_TIMEOUT_MS", "0")
        )
    execute_from_command_line(args)


if __name__ == "__main__":
    main()
