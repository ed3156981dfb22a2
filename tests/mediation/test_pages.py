"""Staff pages: the case-page panel, the agreement form (errors under their fields), files, the
schedule form, the calendar and the due list, each checked in and out of scope."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from fengqiao.mediation import schedule
from fengqiao.mediation.models import Agreement, SessionPlan
from tests.conftest import Org
from tests.mediation.conftest import drafted, mediating_case

pytestmark = pytest.mark.django_db


def form_post(case: Any, **over: str) -> dict[str, str]:
    respondent = case.parties.get(role="respondent")
    data = {
        "facts": "相邻建房采光纠纷。",
        "responsibilities": "",
        "performance": "转账支付。",
        "organisation": "白塔镇人民调解委员会",
        "obl_0_party": str(respondent.pk),
        "obl_0_content": "支付补偿款",
        "obl_0_amount": "3000",
        "obl_0_deadline": "2026-12-31",
    }
    data.update(over)
    return data


def test_panel_and_agreement_form(org: Org, client: Any) -> None:
    case = mediating_case(org)
    url = f"/staff/cases/{case.display_code}/"
    client.force_login(org.user("handler1"))
    html = client.get(url).content.decode()
    assert 'id="mediation"' in html and "拟定调解协议书" in html and "安排调解" in html
    form_url = f"/staff/mediation/cases/{case.display_code}/agreement/"
    page = client.get(form_url)
    assert page.status_code == 200 and "白塔镇综治中心人民调解委员会" in page.content.decode()
    bad = client.post(form_url, form_post(case, obl_0_amount="三千", facts=""))
    text = bad.content.decode()
    assert bad.status_code == 400 and "金额须为数字。" in text and "请填写纠纷主要事实、争议事项。" in text
    assert "支付补偿款" in text  # what was typed is kept
    assert not Agreement.objects.exists()
    ok = client.post(form_url, form_post(case))
    assert ok.status_code == 302 and ok["Location"].endswith("#mediation")
    a = Agreement.objects.get()
    assert "金额人民币3,000.00元" in a.text
    html = client.get(url).content.decode()
    assert "第1版" in html and "待当事人确认" in html and "下载 Word" in html
    docx = client.get(f"/staff/mediation/agreements/{a.pk}/file.docx")
    assert docx.status_code == 200 and docx.content[:2] == b"PK"
    pdf = client.get(f"/staff/mediation/agreements/{a.pk}/file.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert client.get(f"/staff/mediation/agreements/{a.pk}/file.exe").status_code == 404


def test_out_of_scope_staff_get_nothing(org: Org, client: Any) -> None:
    case, a = drafted(org)
    client.force_login(org.user("handler2"))
    assert client.get(f"/staff/mediation/cases/{case.display_code}/agreement/").status_code == 404
    assert client.get(f"/staff/mediation/agreements/{a.pk}/file.pdf").status_code == 404
    assert client.get(f"/staff/mediation/cases/{case.display_code}/schedule/").status_code == 404
    client.force_login(org.user("dispatcher"))  # sees the case, may not draft
    assert client.get(f"/staff/mediation/cases/{case.display_code}/agreement/").status_code == 403
    html = client.get(f"/staff/cases/{case.display_code}/").content.decode()
    assert '/agreement/"' not in html and "修改协议（生成新版本）" not in html
    client.force_login(org.user("nobody"))
    assert client.get("/staff/mediation/calendar/").status_code == 403
    assert client.get("/staff/mediation/visits/").status_code == 403


def test_schedule_form_and_calendar(org: Org, client: Any) -> None:
    case = mediating_case(org)
    client.force_login(org.user("handler1"))
    url = f"/staff/mediation/cases/{case.display_code}/schedule/"
    past = timezone.localtime(timezone.now() - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    r = client.post(url, {"starts_at": past, "place": "调解室"})
    assert r.status_code == 400 and "安排的调解时间须在当前时间之后" in r.content.decode()
    when = timezone.localtime(timezone.now() + dt.timedelta(days=1)).replace(hour=15, minute=0)
    r = client.post(url, {"starts_at": when.strftime("%Y-%m-%dT%H:%M"), "place": "白塔镇调解室"})
    assert r.status_code == 302
    plan = SessionPlan.objects.get()
    cal = client.get("/staff/mediation/calendar/", {"view": "day", "date": when.date().isoformat()}).content.decode()
    assert "15:00" in cal and case.title in cal and "白塔镇调解室" in cal
    week = client.get("/staff/mediation/calendar/", {"date": when.date().isoformat()}).content.decode()
    assert case.title in week
    client.force_login(org.user("handler2"))
    assert (
        case.title not in client.get("/staff/mediation/calendar/", {"date": when.date().isoformat()}).content.decode()
    )
    client.force_login(org.user("handler1"))
    r = client.post(f"/staff/mediation/plans/{plan.pk}/cancel/", {"reason": ""}, follow=True)
    assert "请填写取消原因" in r.content.decode()
    client.post(f"/staff/mediation/plans/{plan.pk}/cancel/", {"reason": "改期"})
    assert SessionPlan.objects.get().status == "cancelled"
    assert schedule.remind_sessions(now=plan.starts_at - dt.timedelta(hours=1)) == 0


def test_menu_lists_the_pages(org: Org, client: Any) -> None:
    client.force_login(org.user("mediator_user"))
    html = client.get("/staff/mediation/calendar/").content.decode()
    assert "调解日程" in html and "回访计划" in html


def test_demo_seed(org: Org) -> None:
    from fengqiao.mediation.demo import seed_mediation

    for _ in range(3):
        mediating_case(org)
    made = seed_mediation()
    # No handler on these cases: no co-applicant (the 案例库 step is knowledge's: tests/knowledge/test_case_library.py).
    assert made == {"agreements": 3, "sealed": 1, "refused": 1, "plans": 3, "parties_added": 0}
    assert seed_mediation()["agreements"] == 3  # idempotent
