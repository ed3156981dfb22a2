"""The help pages in Chromium on a phone (390×844) and the staff editor on a laptop (1366×900), with
screenshots in docs/screenshots/ (knowledge-*.png)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Org

pytest.importorskip("playwright")
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, browser, open_session  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
LAPTOP = {"width": 1366, "height": 900}


@pytest.fixture
def loaded(org: Org) -> None:
    from fengqiao.knowledge import reference, search
    from fengqiao.knowledge.seed import load_articles, load_cases

    reference.ensure()
    load_articles()
    load_cases()
    search.forget()
    from fengqiao.knowledge import redact

    redact.anonymous_words("预热分词")  # jieba's tagger loads once per process (seconds)


def test_citizen_asks_on_a_phone(org: Org, loaded: None, open_session: Any) -> None:  # noqa: F811
    s = open_session(PHONE)
    page = s.page
    s.goto("/portal/help/")
    box = page.locator("#id_q")
    expect(box).to_be_visible()
    assert box.bounding_box()["y"] < 300  # the search box comes first  # type: ignore[index]
    s.no_horizontal_scroll()
    s.shot("knowledge-help-phone")
    box.fill("工地包工头跑了，干了半年的工钱找谁要")
    page.get_by_role("button", name="查一查").click()
    page.wait_for_load_state("networkidle")
    assert "q=" in page.url
    expect(page.locator(".hit-title").first).to_contain_text("农民工")
    expect(page.locator(".why").first).to_contain_text("因为匹配了")
    expect(page.locator(".next")).to_contain_text("向主管部门反映")
    s.no_horizontal_scroll()
    s.shot("knowledge-answer-phone")
    page.get_by_role("button", name="带着这个问题去反映").click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/portal/submit/")  # nothing of the question in the URL
    expect(page.locator("#id_description")).to_have_value("工地包工头跑了，干了半年的工钱找谁要")
    s.goto("/portal/help/labour-arbitration/")
    expect(page.locator("h1")).to_have_text("怎么申请劳动仲裁？")
    s.no_horizontal_scroll()
    s.shot("knowledge-article-phone")
    s.goto("/portal/help/cases/?q=欠薪")
    s.no_horizontal_scroll()
    s.shot("knowledge-library-phone")
    s.goto("/portal/help/legal-aid/")
    expect(page.locator("#id_income_statement")).to_be_visible()
    s.no_horizontal_scroll()
    s.shot("knowledge-legal-aid-phone")
    # A question without an answer.
    s.goto("/portal/help/?q=月球上的飞船被拖走了")
    expect(page.locator("#arts-h")).to_contain_text("暂时没有找到")
    s.no_horizontal_scroll()


def test_editor_on_a_laptop(org: Org, loaded: None, open_session: Any) -> None:  # noqa: F811
    s = open_session(LAPTOP)
    page = s.page
    s.login("dispatcher")
    s.goto("/staff/knowledge/")
    expect(page.locator("h1")).to_have_text("知识库")
    expect(page.locator(".kn-table tbody tr").first).to_be_visible()
    s.shot("knowledge-staff-list")
    page.get_by_role("link", name="写新文章").click()
    page.fill("#id_title", "宠物寄养期间走失怎么办？")
    page.fill("#id_slug", "pet-boarding-lost")
    page.fill(
        "#id_body",
        "宠物寄养期间走失或受伤的，寄养方没有尽到妥善照管义务的，应当承担赔偿责任。双方可以协商或请社区调解。",
    )
    page.fill("#id_keywords", "宠物 寄养 走失")
    page.select_option("#id_categories", ["1202"])
    s.shot("knowledge-staff-edit")
    page.get_by_role("button", name="保存（生成新版本）").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator(".kn-state")).to_have_text("草稿")
    # four eyes: the author cannot publish; a second county editor does
    page.get_by_role("button", name="发布").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("main")).to_contain_text("请由另一位编辑审核后发布")
    expect(page.locator(".kn-state")).to_have_text("草稿")
    from fengqiao.org.choices import Role
    from tests.conftest import make_user

    make_user("centre_handler", org.centre, (Role.HANDLER, org.centre))
    reviewer = open_session(LAPTOP)
    reviewer.login("centre_handler")
    reviewer.page.goto(page.url)
    reviewer.page.get_by_role("button", name="发布").click()
    reviewer.page.wait_for_load_state("networkidle")
    expect(reviewer.page.locator(".kn-state")).to_have_text("已发布")
    reviewer.shot("knowledge-staff-preview")
    s.goto("/staff/knowledge/ask/?q=来访群众接待要求")
    expect(page.locator("main")).to_contain_text("接待来访群众的基本要求")
    s.shot("knowledge-staff-ask")
    s.goto("/portal/help/?q=我叫赵四电话13812345678月球飞船被拖走")
    s.goto("/staff/knowledge/unanswered/")
    expect(page.locator(".kn-table")).to_contain_text("飞船")
    expect(page.locator(".kn-table")).not_to_contain_text("1381")
    s.shot("knowledge-staff-unanswered")
    p = open_session(PHONE)
    p.login("dispatcher")
    p.goto("/staff/knowledge/ask/?q=工地包工头跑了")
    p.no_horizontal_scroll()
    p.shot("knowledge-staff-ask-phone")
