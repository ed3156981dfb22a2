"""Supervision keeps the cases' deadlines for the action layer (``cases.hooks.deadlines``)."""

from __future__ import annotations

import datetime as dt
from typing import Any


class Deadlines:
    def initial(self, case: Any, now: dt.datetime) -> None:
        from fengqiao.supervision.deadlines import apply_policy

        apply_policy(case, now)

    def shift_after_pause(self, case: Any, paused_at: dt.datetime, now: dt.datetime) -> None:
        from fengqiao.supervision.deadlines import shift_after_pause

        shift_after_pause(case, paused_at, now)
