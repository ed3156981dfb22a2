from __future__ import annotations

import logging
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from fengqiao.core.tasks import drain_all
from fengqiao.demo.seed import DEMO_PASSWORD, DemoBuilder


class Command(BaseCommand):
    help = "Build the demo county (Xianju): organisation, users per role, mediators and ~300 cases. Idempotent."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--cases", type=int, default=300)
        parser.add_argument("--seed", type=int, default=20261123)

    def handle(self, *args: Any, **options: Any) -> None:
        builder = DemoBuilder(seed=options["seed"], cases=options["cases"], out=self.stdout)
        # The ~1,700 messages of the seeded history stay off the terminal (the console backend would print
        # each); `fengqiao demo-sms` and /staff/demo/sms/ list them, and a citizen's live code later.
        sms_log = logging.getLogger("fengqiao.sms")
        level = sms_log.level
        sms_log.setLevel(logging.WARNING)
        try:
            builder.build()
            drain_all()  # triage and fan-out of the last actions run in this process's pool: let them finish
        finally:
            sms_log.setLevel(level)
        from fengqiao.core.dbmaint import optimize

        optimize()
        self.stdout.write(self.style.SUCCESS(f"演示数据就绪。登录账号（密码均为 {DEMO_PASSWORD}）："))
        for username, label, unit in builder.logins.rows:
            self.stdout.write(f"  {username:<14} {label}（{unit}）")
