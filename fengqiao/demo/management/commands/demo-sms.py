from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from fengqiao.demo import sms


class Command(BaseCommand):
    help = "Print the demo's most recent SMS (verification codes included); development SMS backends only."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--phone", default="", help="only the messages to this phone number")
        parser.add_argument("-n", type=int, default=10, help="how many (newest first)")

    def handle(self, *args: Any, **options: Any) -> None:
        if not sms.available():
            raise CommandError("只在演示/开发环境（控制台或文件短信通道）可用。")
        found = sms.rows(options["phone"], max(1, min(options["n"], 200)))
        if not found:
            self.stdout.write("还没有短信。")
        for r in reversed(found):  # oldest first, so the newest ends up right above the prompt
            self.stdout.write(f"{r['at']:%m-%d %H:%M:%S}  {r['to']}  {r['text']}")
