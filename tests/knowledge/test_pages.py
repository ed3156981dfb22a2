"""Portal help pages without login, the hand-over to the submission form (session, not URL), rate
limits, staff pages by role, the API and its schema."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from fengqiao.cases.actions import Actor
from fengqiao.knowledge import actions
from fengqiao.knowledge.models import Article, UnansweredQuestion
from tests.conftest import Org

pytestmark = pytest.mark.django_db


def test_help_page_works_without_login(corpus: Any, client: Client) -> None:
    r = client.get("/portal/help/")
    html = r.content.decode()
    assert r.status_code == 200
    assert html.index('name="q"') < html.index("办事指南")  # the search box comes first
    r = client.get("/portal/help/", {"q": "老板拖欠我三个月工资"})
    html = r.content.decode()
    assert r.status_code == 200 and r["Cache-Control"] == "no-store"
    assert "老板拖欠工资怎么办？" in html and "因为匹配了：" in html
    assert "建议您下一步" in html and "向主管部门反映" in html
    assert "department" not in html.split("建议您下一步")[1].split("</section>")[0].replace("step-department", "")


def test_article_page_and_topic(corpus: Any, client: Client) -> None:
    r = client.get("/portal/help/labour-arbitration/")
    html = r.content.decode()
    assert r.status_code == 200 and "办理部门" in html and "所需材料" in html and "不收费" in html
    assert client.get("/portal/help/topics/07/").status_code == 200
    assert client.get("/portal/help/no-such-article/").status_code == 404


def test_staff_only_and_unpublished_articles_stay_hidden(org: Org, corpus: Any, client: Client) -> None:
    assert client.get("/portal/help/staff-intake-talking-points/").status_code == 404
    a = actions.save_article(
        Actor.system("t"),
        None,
        {
            "slug": "draft-one",
            "title": "草稿文章",
            "kind": "faq",
            "audience": "public",
            "body": "这是一篇还没有发布的草稿文章，不应被群众看到。",
        },
    )
    assert client.get(f"/portal/help/{a.slug}/").status_code == 404
    assert client.get("/api/knowledge/articles/staff-intake-talking-points/").status_code == 404
    client.force_login(org.user("handler1"))
    assert client.get("/api/knowledge/articles/staff-intake-talking-points/").status_code == 200


def test_open_case_carries_the_question_by_session_not_url(corpus: Any, client: Client) -> None:
    question = "老板拖欠工资三个月，我的电话是13812345678"
    r = client.post("/portal/help/open-case/", {"q": question, "category": "0701"})
    assert r.status_code == 302 and r["Location"] == "/portal/submit/"
    assert "1381" not in r["Location"]
    page = client.get(r["Location"])
    html = page.content.decode()
    assert question in html  # the textarea is filled in
    assert 'value="0701" selected' in html
    again = client.get("/portal/submit/")  # used once
    assert question not in again.content.decode()


def test_asking_is_rate_limited(corpus: Any, client: Client, monkeypatch: Any) -> None:
    from django.core.cache import cache

    cache.clear()
    monkeypatch.setenv("FENGQIAO_PORTAL_HELP_ASK_PER_IP_HOUR", "2")
    assert client.get("/portal/help/", {"q": "工资"}).status_code == 200
    assert client.get("/portal/help/", {"q": "工资"}).status_code == 200
    r = client.get("/portal/help/", {"q": "工资"})
    assert r.status_code == 429 and "12348" in r.content.decode()
    cache.clear()


def test_library_search_by_type_and_keyword(corpus: Any, client: Client) -> None:
    r = client.get("/portal/help/cases/", {"q": "包工头 欠薪"})
    assert r.status_code == 200 and "农民工讨薪" in r.content.decode()
    r = client.get("/portal/help/cases/", {"type": "0203"})
    html = r.content.decode()
    assert "楼上卫生间渗水" in html and "农民工讨薪" not in html


@pytest.mark.parametrize(
    ("user", "list_status", "edit_status"),
    [("dispatcher", 200, 200), ("handler1", 200, 403), ("leader1", 200, 403), ("nobody", 403, 403)],
)
def test_staff_pages_by_role(
    org: Org, corpus: Any, client: Client, user: str, list_status: int, edit_status: int
) -> None:
    # (System administrators edit too, after the second factor the staff area asks of them.)
    client.force_login(org.user(user))
    assert client.get("/staff/knowledge/").status_code == list_status
    assert client.get("/staff/knowledge/new/").status_code == edit_status
    assert client.get("/staff/knowledge/unanswered/").status_code == list_status
    assert client.get("/staff/knowledge/library/new/").status_code == edit_status


def test_staff_edit_publish_through_pages(org: Org, corpus: Any, client: Client) -> None:
    client.force_login(org.user("dispatcher"))
    r = client.post(
        "/staff/knowledge/new/",
        {
            "title": "宠物寄养纠纷",
            "slug": "pet-boarding",
            "kind": "faq",
            "audience": "public",
            "body": "宠物寄养期间走失或受伤的，寄养方未尽妥善照管义务的应当赔偿。",
            "categories": ["1202"],
        },
    )
    assert r.status_code == 302
    a = Article.objects.get(slug="pet-boarding")
    assert client.get(f"/staff/knowledge/{a.pk}/").status_code == 200
    # four eyes: the author cannot publish; a second editor does
    r = client.post(f"/staff/knowledge/{a.pk}/act/publish/")
    assert Article.objects.get(pk=a.pk).state == "draft"
    assert "另一位编辑" in r.content.decode() or r.status_code in (302, 403)
    from fengqiao.org.choices import Role
    from tests.conftest import make_user

    client.force_login(make_user("centre_handler", org.centre, (Role.HANDLER, org.centre)))
    assert client.post(f"/staff/knowledge/{a.pk}/act/publish/").status_code == 302
    assert Article.objects.get(pk=a.pk).state == "published"
    client.force_login(org.user("dispatcher"))
    # The index is refreshed: the new article answers at once.
    r = Client().get("/portal/help/", {"q": "宠物寄养走失"})
    assert "宠物寄养纠纷" in r.content.decode()
    bad = client.post(
        f"/staff/knowledge/{a.pk}/edit/", {"title": "", "kind": "faq", "audience": "public", "body": "短"}
    )
    assert bad.status_code == 400
    assert "请填写此项。" in bad.content.decode()


def test_staff_assistant_and_unanswered_page(org: Org, corpus: Any, client: Client) -> None:
    client.force_login(org.user("handler1"))
    r = client.get("/staff/knowledge/ask/", {"q": "来访群众接待首问负责"})
    assert "接待来访群众的基本要求" in r.content.decode()  # staff-only article
    client.get("/staff/knowledge/ask/", {"q": "我叫赵四，电话13812345678，月球上的飞船被拖走了"})
    assert UnansweredQuestion.objects.count() == 1
    page = client.get("/staff/knowledge/unanswered/").content.decode()
    assert "飞船" in page and "1381" not in page and "赵四" not in page


def test_api_search_articles_and_schema(corpus: Any, client: Client) -> None:
    r = client.get("/api/knowledge/search/", {"q": "楼上漏水"})
    assert r.status_code == 200
    body = r.json()
    assert body["answered"] and body["articles"][0]["slug"] == "water-leak-upstairs"
    assert body["articles"][0]["explanation"].startswith("因为匹配了")
    assert body["next_steps"][0]["label"]
    assert client.get("/api/knowledge/search/").status_code == 400
    assert client.get("/api/knowledge/search/", {"q": "长" * 501}).status_code == 400
    listing = client.get("/api/knowledge/articles/").json()
    assert listing["count"] >= 80
    assert client.get("/api/knowledge/articles/wage-arrears/").json()["kind_label"] == "常见问题"


def test_openapi_schema_lists_the_knowledge_api(org: Org, client: Client) -> None:
    client.force_login(org.user("dispatcher"))
    schema = client.get("/api/schema/").content.decode()
    assert "/api/knowledge/search/" in schema and "/api/knowledge/articles/{slug}/" in schema
