from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from fengqiao.cases.workflow import mermaid


class Command(BaseCommand):
    help = "Print the case state diagram (Mermaid), generated from the declared transitions."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--markdown", action="store_true", help="wrap in a ```mermaid block")

    def handle(self, *args: Any, **options: Any) -> None:
        text = mermaid()
        if options["markdown"]:
            text = f"```mermaid\n{text}\n```"
        self.stdout.write(text)
