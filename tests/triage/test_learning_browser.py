"""The triage quality and override pages in a browser (charts drawn by Plotly from a static file, no
raw codes), at 1366×900 and 390×844; screenshots go to docs/screenshots/."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from fengqiao.triage.models import TrainingLabel, TriageResult
from tests.browser.conftest import browser, open_session  # noqa: F401 - fixtures
from tests.conftest import Org
from tests.triage.test_overrides_quality import _history

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDE = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


def _data(org: Org) -> None:
    _history(org)
    now = timezone.now()
    for week in range(12):
        at = now - dt.timedelta(weeks=week, hours=1)
        for i in range(10):
            right = i < 6 + week % 4
            TrainingLabel.objects.create(
                task="type", text="x", label="0201" if right else "0202", predicted="0201", created_at=at
            )
    TriageResult.objects.update(confident=False)


def test_quality_and_override_pages(org: Org, open_session: Any) -> None:  # noqa: F811
    _data(org)
    for suffix, viewport in (("", WIDE), ("-phone", PHONE)):
        s = open_session(viewport)
        s.page.set_default_timeout(60_000)
        s.login("dispatcher")
        s.goto("/staff/triage/quality/")
        s.page.wait_for_selector("[data-tl-chart=line] .main-svg")
        s.page.wait_for_selector("[data-tl-chart=bar] .main-svg")
        text = s.page.inner_text("main")
        assert "每周准确率" in text and "类型混淆" in text and "噪音扰民" in text
        for raw in ("None", "undefined", "NaN", "0202"):
            assert raw not in text
        s.no_horizontal_scroll()
        s.shot(f"triage-quality{suffix}")
        s.goto("/staff/triage/overrides/")
        text = s.page.inner_text("main")
        assert "多数改派至 仙居县住房和城乡建设局（5 次）" in text and "新增规则" in text
        s.no_horizontal_scroll()
        s.shot(f"triage-overrides{suffix}")
