"""Pages, API and commands: the permission matrix of drill-downs (404 outside the user's units),
every page renders in Chinese, Excel exports, reports (.docx and PDF), and the JSON of the commands."""

from __future__ import annotations

import io
import json
import re

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from fengqiao.evaluation.models import Report
from tests.conftest import client_for
from tests.evaluation.histories import build

pytestmark = pytest.mark.django_db

P = "?period=2026-10"


def web(user):  # type: ignore[no-untyped-def]
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def hist(org):  # type: ignore[no-untyped-def]
    return build(org)


@pytest.mark.parametrize(
    ("who", "unit", "status"),
    [
        ("county_leader", "town1", 200),
        ("county_leader", "dept", 200),
        ("leader1", "town1", 200),
        ("leader1", "town2", 404),
        ("leader1", "dept", 404),
        ("supervisor", "town2", 200),
        ("sysadmin", "town1", 200),
        ("handler1", "town1", 403),
        ("dispatcher", "town1", 403),
        ("nobody", "town1", 403),
    ],
)
def test_drilldown_matrix(org, hist, who, unit, status):  # type: ignore[no-untyped-def]
    u = getattr(org, unit)
    page = web(org.user(who)).get(reverse("evaluation:drilldown", args=[u.pk, "ontime_rate"]) + P)
    assert page.status_code == status
    api = client_for(org.user(who)).get(f"/api/evaluation/units/{u.code}/metrics/ontime_rate/{P}")
    assert api.status_code == status
    card = web(org.user(who)).get(reverse("evaluation:scorecard", args=[u.pk]) + P)
    assert card.status_code == status


def test_drilldown_lists_exact_cases(org, hist):  # type: ignore[no-untyped-def]
    api = client_for(org.user("leader1")).get(f"/api/evaluation/units/{org.town1.code}/metrics/ontime_rate/{P}")
    body = api.json()
    from fengqiao.cases import codes

    assert sorted(body["denominator_cases"]) == sorted(codes.display(c.code) for c in (hist.a, hist.b, hist.h))
    assert sorted(body["numerator_cases"]) == sorted(codes.display(c.code) for c in (hist.a, hist.b))
    assert body["metric"]["formula"].startswith("按期办结件数")
    page = web(org.user("leader1")).get(reverse("evaluation:drilldown", args=[org.town1.pk, "ontime_rate"]) + P)
    html = page.content.decode()
    assert hist.a.display_code in html and hist.f.display_code not in html


def test_pages_render_in_chinese(org, hist):  # type: ignore[no-untyped-def]
    c = web(org.user("county_leader"))
    for url in [
        reverse("evaluation:ranking") + P,
        reverse("evaluation:ranking") + P + "&kind=department",
        reverse("evaluation:scorecard", args=[org.town1.pk]) + P,
        reverse("evaluation:points") + P,
        reverse("evaluation:points") + P + "&who=cadre",
        reverse("evaluation:supervisions"),
        reverse("evaluation:reports"),
        reverse("evaluation:stars"),
    ]:
        r = c.get(url)
        assert r.status_code == 200, url
        html = r.content.decode()
        assert "<script>" not in html and "onclick" not in html
        text = re.sub(r"<[^>]+>", " ", re.sub(r"<script.*?</script>", " ", html, flags=re.S))
        for raw in ("ontime_rate", "None", "high_risk", "mediator", "cadre", "closed"):
            assert raw not in text, (url, raw)
    html = c.get(reverse("evaluation:scorecard", args=[org.town1.pk]) + P).content.decode()
    assert "六边雷达图" in html and "按期办结件数 ÷ 本期办结件数" in html and "建议口径" in html
    assert c.get(reverse("evaluation:figures")).status_code == 403  # administrators only
    assert web(org.user("sysadmin")).get(reverse("evaluation:figures")).status_code == 200


def test_future_period_is_refused_on_the_page_and_api(org, hist):  # type: ignore[no-untyped-def]
    r = web(org.user("county_leader")).get(reverse("evaluation:ranking") + "?period=2099-01")
    assert "不能晚于今天" in r.content.decode()
    api = client_for(org.user("county_leader")).get("/api/evaluation/index/?period=2099-01")
    assert api.status_code == 400 and "不能晚于今天" in json.dumps(api.json(), ensure_ascii=False)


def test_excel_exports(org, hist):  # type: ignore[no-untyped-def]
    c = web(org.user("county_leader"))
    for url in [
        reverse("evaluation:ranking") + P + "&format=xlsx",
        reverse("evaluation:scorecard", args=[org.town1.pk]) + P + "&format=xlsx",
        reverse("evaluation:drilldown", args=[org.town1.pk, "ontime_rate"]) + P + "&format=xlsx",
        reverse("evaluation:points") + P + "&format=xlsx",
        reverse("evaluation:supervisions") + "?format=xlsx",
    ]:
        r = c.get(url)
        assert r.status_code == 200, url
        wb = load_workbook(io.BytesIO(r.content))
        assert wb.active.max_row >= 1
    r = c.get(reverse("evaluation:drilldown", args=[org.town1.pk, "ontime_rate"]) + P + "&format=xlsx")
    rows = list(load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))
    assert rows[0][0] == "案件编码" and len(rows) == 4  # header + A B H


def test_monthly_report_docx_and_pdf(org, hist, tmp_path, settings):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path
    c = web(org.user("county_leader"))
    r = c.post(reverse("evaluation:reports"), {"unit": org.town1.pk, "period": "2026-10"})
    assert r.status_code == 302
    report = Report.objects.get()
    pdf = c.get(reverse("evaluation:report_file", args=[report.pk, "pdf"]))
    body = b"".join(pdf.streaming_content)
    assert body.startswith(b"%PDF")
    assert b"FontFile2" in body or b"STSong-Light" in body  # a CJK font, embedded where one is installed
    docx = c.get(reverse("evaluation:report_file", args=[report.pk, "docx"]))
    from docx import Document

    text = "\n".join(p.text for p in Document(io.BytesIO(b"".join(docx.streaming_content))).paragraphs)
    assert "白塔镇" in text and "矛盾纠纷化解工作月报" in text
    assert web(org.user("leader1")).get(reverse("evaluation:report_file", args=[report.pk, "pdf"])).status_code == 200
    other = web(org.user("handler2"))
    assert other.get(reverse("evaluation:report_file", args=[report.pk, "pdf"])).status_code == 403
    bad = c.post(reverse("evaluation:reports"), {"unit": org.town1.pk, "period": "2026-Q4"})
    assert "月度报告的期间应为月份" in bad.content.decode()


def test_commands_json(org, hist):  # type: ignore[no-untyped-def]
    out = io.StringIO()
    call_command("metrics", "--unit", org.town1.code, "--period", "2026-10", "--json", stdout=out)
    data = json.loads(out.getvalue())
    m = {x["key"]: x for x in data["metrics"]}
    assert m["ontime_rate"]["numerator"] == 2 and m["ontime_rate"]["denominator"] == 3
    assert {"numerator", "denominator", "value", "formula"} <= set(m["success_rate"])
    out = io.StringIO()
    call_command("index", "--period", "2026-10", "--json", stdout=out)
    data = json.loads(out.getvalue())
    towns = [u for u in data["units"] if u["kind"] == "town"]
    assert {u["unit"] for u in towns} == {org.town1.code, org.town2.code}
    assert all({"unit", "score", "rank"} <= set(u) for u in data["units"])
    from fengqiao.evaluation.services import ranking

    rows = ranking("2026-10", "town")
    assert {r["unit_code"] for r in rows} == {org.town1.code, org.town2.code}
    assert all(set(r) >= {"unit", "score", "rank", "change"} for r in rows)


def test_schema_lists_the_evaluation_api(org):  # type: ignore[no-untyped-def]
    r = client_for(org.user("county_leader")).get("/api/schema/?format=json")
    paths = r.json()["paths"]
    assert "/api/evaluation/index/" in paths and "/api/evaluation/units/{code}/metrics/{key}/" in paths
