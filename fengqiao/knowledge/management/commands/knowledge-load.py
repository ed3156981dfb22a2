from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from fengqiao.knowledge.seed import ARTICLES_FILE, CASES_FILE, load_articles, load_cases


class Command(BaseCommand):
    help = "Load (or update) the project's knowledge articles and public library entries from the app's data files."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--articles", default=str(ARTICLES_FILE))
        parser.add_argument("--cases", default=str(CASES_FILE))
        parser.add_argument("--draft", action="store_true", help="do not publish new articles")

    def handle(self, *args: Any, **opts: Any) -> None:
        from pathlib import Path

        a = load_articles(Path(opts["articles"]), publish=not opts["draft"])
        c = load_cases(Path(opts["cases"]))
        self.stdout.write(f"articles: {a}\ncases: {c}\n")
