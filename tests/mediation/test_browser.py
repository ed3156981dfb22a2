"""In Chromium: a party confirms the agreement on a phone (390×844) with an SMS code, the other
confirms, the PDF is sealed; the mediator's pages (case panel, agreement form, calendar, return
visits) on a desktop (1366×900) and a phone. Screenshots go to docs/screenshots/mediation-*.png."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from fengqiao.core import crypto
from fengqiao.mediation import actions, schedule
from fengqiao.mediation.models import AgreementStatus, Decision, VisitPlan
from tests.browser.conftest import PHONE, browser, open_session  # noqa: F401 - fixtures
from tests.conftest import Org
from tests.mediation.conftest import draft_data, last_code, mediating_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WIDE = {"width": 1366, "height": 900}
APPLICANT = "13812341234"


def test_party_confirms_on_a_phone_and_the_mediators_pages(org: Org, open_session: Any, settings: Any) -> None:  # noqa: F811
    settings.FENGQIAO_SMS_BACKEND = "tests.portal.sms_backend.MemorySMSBackend"
    case = mediating_case(org)
    a = actions.draft_agreement(org.user("handler1"), case, draft_data(case))
    mine = a.signatures.get(party__role="applicant")
    other = a.signatures.get(party__role="respondent")

    s = open_session(PHONE)
    page = s.page
    s.goto(f"/portal/agreement/{mine.token}/")
    expect(page.get_by_role("heading", name="调解协议书确认")).to_be_visible()
    expect(page.locator(".agreement-text")).to_contain_text("金额人民币5,000.00元，于2026年12月31日前履行完毕")
    expect(page.locator("#decide")).to_contain_text("138****1234")
    s.no_horizontal_scroll()
    s.shot("mediation-sign-phone")
    page.get_by_role("button", name="获取验证码").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator(".note.success")).to_contain_text("验证码已发送到 138****1234")
    page.fill("#id_sms_code", "000000")
    page.get_by_role("button", name="我已阅读并确认").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator(".err")).to_contain_text("验证码不正确")
    s.shot("mediation-sign-phone-error", full_page=False)
    page.fill("#id_sms_code", last_code(APPLICANT))
    page.get_by_role("button", name="我已阅读并确认").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator(".note.success")).to_contain_text("您已确认调解协议")
    mine.refresh_from_db()
    assert mine.decision == Decision.CONFIRMED and mine.phone_hash == crypto.search_hash(APPLICANT)

    # The respondent confirms too (through the action, as the portal would): the agreement is sealed.
    actions.decide(other.token, Decision.CONFIRMED, phone_hash=other.party.phone_hash)
    a.refresh_from_db()
    assert a.status == AgreementStatus.CONFIRMED and a.pdf_sha256
    page.reload()
    expect(page.locator(".facts")).to_contain_text("各方已确认")
    expect(page.locator("#text")).to_contain_text(a.pdf_sha256)
    s.no_horizontal_scroll()
    s.shot("mediation-signed-phone")

    # The mediator: a session planned for tomorrow, a return visit due, and the pages.
    when = timezone.localtime(timezone.now() + dt.timedelta(days=1)).replace(hour=9, minute=30)
    schedule.schedule_session(org.user("handler1"), case, {"starts_at": when, "place": "白塔镇调解室"})
    VisitPlan.objects.create(
        case=case, days=7, ended_at=timezone.now() - dt.timedelta(days=9), due_at=timezone.now() - dt.timedelta(days=2)
    )
    for viewport, suffix in ((WIDE, "desktop"), (PHONE, "phone")):
        st = open_session(viewport)
        st.login("handler1")
        st.goto(f"/staff/cases/{case.display_code}/#mediation")
        expect(st.page.locator("#mediation")).to_contain_text("各方已确认")
        st.no_horizontal_scroll()
        st.page.locator("#mediation").scroll_into_view_if_needed()
        st.shot(f"mediation-case-panel-{suffix}", full_page=False)
        st.goto(f"/staff/mediation/calendar/?date={when.date().isoformat()}")
        expect(st.page.locator(".med-days")).to_contain_text("09:30")
        st.no_horizontal_scroll()
        st.shot(f"mediation-calendar-{suffix}")
        st.goto("/staff/mediation/visits/")
        expect(st.page.locator("table")).to_contain_text(case.display_code)
        st.shot(f"mediation-visits-{suffix}")
    # The agreement form of another mediated case, with an error under its field.
    case2 = mediating_case(org)
    st = open_session(WIDE)
    st.login("handler1")
    st.goto(f"/staff/mediation/cases/{case2.display_code}/agreement/")
    st.page.fill("#obl-0-content", "向申请人支付补偿款")
    st.page.fill("#obl-0-amount", "五千元")
    st.page.get_by_role("button", name="生成协议书并发送当事人确认").click()
    st.page.wait_for_load_state("networkidle")
    expect(st.page.locator(".med-obl .errorlist")).to_contain_text("金额须为数字")
    st.shot("mediation-agreement-form-desktop")
