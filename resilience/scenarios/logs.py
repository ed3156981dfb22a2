"""Secrets out of the logs: after citizens open their tracking pages and staff search by phone number
(the load does), no tracking secret and no phone number may appear in any server log."""

from __future__ import annotations

import re

from resilience.client import Client
from resilience.context import Context
from resilience.report import Row

PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def secrets_in_logs(ctx: Context) -> list[Row]:
    from django.db import close_old_connections

    from fengqiao.cases.models import Case

    close_old_connections()
    secrets = list(Case.objects.order_by("-id").values_list("tracking_secret", flat=True)[:20])
    client = Client(ctx.port, timeout=30)
    statuses = [client.request("GET", f"/portal/t/{secret}/").status for secret in secrets]
    client.close()
    logs = sorted(ctx.stack.logs.glob("*.log"))
    text = "\n".join(p.read_text(errors="replace") for p in logs)
    leaked = sum(text.count(secret) for secret in secrets)
    phones = len(PHONE.findall(text))
    figure = (
        f"{len(secrets)} tracking pages opened ({statuses.count(200)} × 200), {len(logs)} log files: "
        f"{leaked} tracking secrets, {phones} phone numbers in the logs"
    )
    return [Row("secrets out of the logs", figure, bool(secrets) and leaked == 0 and phones == 0)]
