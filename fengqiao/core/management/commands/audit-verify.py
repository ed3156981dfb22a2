from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from fengqiao.core.anchors import check_anchors
from fengqiao.core.audit import chain_pending, verify_chain


class Command(BaseCommand):
    help = (
        "Walk the audit chain (hashes and the audit key's seals) and name the first row that was edited, "
        "inserted or deleted; then check the external anchors, if any."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--no-chain", action="store_true", help="do not chain the pending rows first (verify them as pending)"
        )
        parser.add_argument("--anchors", default="", help="anchor file (default: FENGQIAO_AUDIT_ANCHOR_FILE)")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["no_chain"]:
            chain_pending()  # what the background step would do next: a changed pending row stays pending
        count, problem = verify_chain()
        if problem:
            raise CommandError(f"audit chain broken at row #{problem.seq} ({problem.kind}): {problem.message}")
        anchors, anchor_problem = check_anchors(options["anchors"] or None)
        if anchor_problem:
            raise CommandError(f"audit chain broken at row #{anchor_problem.seq} (anchor): {anchor_problem.message}")
        suffix = f", {anchors} anchors matched" if anchors else ""
        self.stdout.write(self.style.SUCCESS(f"audit chain intact: {count} rows verified{suffix}"))
