"""The embedded scheduler of the demo stops with the server that started it."""

from __future__ import annotations

import io
import os
import time

from django.core.management import call_command


def test_scheduler_stops_when_its_parent_is_gone() -> None:
    gone = os.getppid() + 1_000_000  # not our parent: as if the server had exited
    t = time.monotonic()
    call_command("run-scheduler", with_parent=gone, stdout=io.StringIO())
    assert time.monotonic() - t < 5, "returns before its first tick"
