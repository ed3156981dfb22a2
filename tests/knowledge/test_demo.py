"""The demo step and the load command: the legal aid centre and its handler, the articles published
once (a second load changes nothing)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command

from fengqiao.knowledge import legalaid
from fengqiao.knowledge.demo import seed_knowledge
from fengqiao.knowledge.models import Article, ArticleVersion, ExemplaryCase
from fengqiao.org.choices import UnitKind
from fengqiao.org.models import User
from tests.conftest import Org, make_unit

pytestmark = pytest.mark.django_db


def test_demo_step_and_reload(org: Org, reference: Any) -> None:
    make_unit("331024-SFJ", "仙居县司法局", UnitKind.DEPARTMENT, org.county)
    out = seed_knowledge()
    assert out["centre"] == "仙居县法律援助中心"
    assert legalaid.centre().name == "仙居县法律援助中心"  # type: ignore[union-attr]
    assert User.objects.get(username="flyz_chengban").has_role("handler")
    assert out["articles"]["created"] >= 100 and out["articles"]["published"] == out["articles"]["created"]
    assert Article.objects.public().count() >= 98 and ExemplaryCase.objects.approved().count() >= 15
    versions = ArticleVersion.objects.count()
    buf = io.StringIO()
    call_command("knowledge-load", stdout=buf)
    assert "'unchanged': " in buf.getvalue() and ArticleVersion.objects.count() == versions
