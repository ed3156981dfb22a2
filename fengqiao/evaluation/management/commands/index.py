from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from fengqiao.evaluation import periods, services


class Command(BaseCommand):
    help = "Compute (and store) the 矛调指数 of every town and department for a period; print the ranking."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--period", default="", help="2026-11 … (default: this month)")
        parser.add_argument("--kind", choices=[*services.KINDS, "all"], default="all")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            period = periods.parse(options["period"]) if options["period"] else periods.current_month()
        except periods.PeriodError as exc:
            raise CommandError(str(exc)) from exc
        kinds = list(services.KINDS) if options["kind"] == "all" else [options["kind"]]
        units = []
        for kind in kinds:
            services.compute_index(period, kind)
            for r in services.ranking_rows(period, kind):
                units.append(
                    {
                        "kind": kind,
                        "unit": r.unit.code,
                        "unit_name": r.unit.name,
                        "score": None if r.score is None else round(r.score, 4),
                        "rank": r.rank,
                        "change": None if r.change is None else round(r.change, 4),
                    }
                )
        if options["json"]:
            self.stdout.write(json.dumps({"period": period.code, "units": units}, ensure_ascii=False, indent=2))
            return
        for u in units:
            score = "—" if u["score"] is None else f"{u['score']:.1f}"
            self.stdout.write(f"{u['kind']:<10} {u['rank'] or '—':>3} {score:>6} {u['unit_name']}")
