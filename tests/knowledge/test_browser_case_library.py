"""In Chromium (1366×900 and 390×844): a handler adds a second applicant on the case page, the case
page's 案例库 panel (knowledge's, after the mediation panel) links a similar library case, and the 案例库
search and reading pages. Screenshots go to docs/screenshots/mediation-{parties,library,library-case}-*.png."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from fengqiao.cases.actions import Actor
from fengqiao.knowledge import actions as knowledge_actions
from fengqiao.knowledge import case_library as library
from fengqiao.knowledge import search as knowledge_search
from tests.browser.conftest import PHONE, browser, open_session  # noqa: F401 - fixtures
from tests.conftest import Org
from tests.knowledge.test_case_library import mediated_case
from tests.mediation.conftest import mediating_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WIDE = {"width": 1366, "height": 900}


def test_parties_and_the_case_library(org: Org, open_session: Any) -> None:  # noqa: F811
    done = mediated_case(org)
    entry = library.propose(org.user("mediator_user"), done, "典型")
    knowledge_actions.approve_exemplary(Actor.system("test"), entry)
    knowledge_search.forget()
    case = mediating_case(org)

    s = open_session(WIDE)
    s.login("handler1")
    s.goto(f"/staff/cases/{case.display_code}/?open=edit_party#act-edit_party")
    form = s.page.locator('form[data-act="edit_party"]')
    form.locator('[name="name"]').fill("周桂芳")
    form.locator('[name="phone"]').fill("12")
    form.locator('[name="reason"]').fill("共同申请人")
    form.locator('button[type="submit"]').click()
    s.page.wait_for_load_state("networkidle")
    expect(s.page.locator('form[data-act="edit_party"]')).to_contain_text("手机号")
    form = s.page.locator('form[data-act="edit_party"]')
    form.locator('[name="phone"]').fill("13757120386")
    form.locator('[name="reason"]').fill("共同申请人")
    form.locator('button[type="submit"]').click()
    s.page.wait_for_load_state("networkidle")
    expect(s.page.locator("#parties")).to_contain_text("周*芳")
    expect(s.page.locator("#parties")).to_contain_text("137****0386")
    s.page.locator("#parties").scroll_into_view_if_needed()
    s.shot("mediation-parties-desktop", full_page=False)
    expect(s.page.locator("#case-library")).to_contain_text(entry.title)

    for viewport, suffix in ((WIDE, "desktop"), (PHONE, "phone")):
        st = open_session(viewport)
        st.login("handler1")
        st.goto(f"/staff/cases/{case.display_code}/")
        st.page.locator("#library").scroll_into_view_if_needed()
        st.no_horizontal_scroll()
        st.shot(f"mediation-panel-library-{suffix}", full_page=False)
        st.goto("/staff/mediation/library/?q=采光&category=02")
        expect(st.page.locator(".med-cases")).to_contain_text(entry.title)
        st.no_horizontal_scroll()
        st.shot(f"mediation-library-{suffix}")
        st.page.get_by_role("link", name=entry.title).click()
        st.page.wait_for_load_state("networkidle")
        expect(st.page.locator(".med-case")).to_contain_text("申请人甲")
        st.no_horizontal_scroll()
        st.shot(f"mediation-library-case-{suffix}")
