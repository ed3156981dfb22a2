from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from fengqiao.demo.seed import DEMO_PASSWORD, DemoBuilder


class Command(BaseCommand):
    help = "Build the demo county (Xianju): organisation, users per role, mediators and ~300 cases. Idempotent."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--cases", type=int, default=300)
        parser.add_argument("--seed", type=int, default=20261123)

    def handle(self, *args: Any, **options: Any) -> None:
        builder = DemoBuilder(seed=options["seed"], cases=options["cases"], out=self.stdout)
        builder.build()
        from fengqiao.core.dbmaint import optimize

        optimize()
        self.stdout.write(self.style.SUCCESS(f"演示数据就绪。登录账号（密码均为 {DEMO_PASSWORD}）："))
        for username, label, unit in builder.logins.rows:
            self.stdout.write(f"  {username:<14} {label}（{unit}）")
