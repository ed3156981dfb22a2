"""Articles and library entries through the action layer: versions, states, who may edit, events and
audit rows, bad input (clear Chinese error, nothing changed)."""

from __future__ import annotations

from typing import Any

import pytest

from fengqiao.cases.actions import ActionForbidden, ActionInvalid, Actor, InvalidTransition
from fengqiao.core.models import AuditEntry
from fengqiao.knowledge import actions, policy
from fengqiao.knowledge.choices import ArticleState, ExemplaryState
from fengqiao.knowledge.models import Article, ArticleVersion, ExemplaryCase, KnowledgeEvent
from tests.conftest import Org

pytestmark = pytest.mark.django_db

DATA = {
    "slug": "rent-deposit",
    "title": "房东不退押金怎么办",
    "kind": "faq",
    "audience": "public",
    "summary": "按合同约定退还押金。",
    "body": "租期届满正常退租且没有损坏房屋的，房东应当按约定退还押金，可以请社区调解。",
    "keywords": "押金 租房",
    "categories": ["0303"],
    "domains": ["D01"],
}


def world() -> tuple[int, int, int, int]:
    return (
        Article.objects.count(),
        ArticleVersion.objects.count(),
        KnowledgeEvent.objects.count(),
        AuditEntry.objects.count(),
    )


def test_every_save_makes_a_version_an_event_and_an_audit_row(org: Org) -> None:
    actor = org.actor("dispatcher")
    before = AuditEntry.objects.count()
    a = actions.save_article(actor, None, DATA, note="初稿")
    a = actions.save_article(actor, a, {**DATA, "body": DATA["body"] + "押金条要保存好。", "version": 1}, note="补充")
    assert a.version == 2 and a.state == ArticleState.DRAFT
    versions = list(a.versions.order_by("number"))
    assert [v.number for v in versions] == [1, 2]
    assert versions[0].body == DATA["body"] and versions[1].body.endswith("押金条要保存好。")
    assert versions[1].category_codes == ["0303"] and versions[1].domain_codes == ["D01"]
    assert versions[1].saved_by == org.user("dispatcher")
    assert list(a.events.order_by("at", "id").values_list("code", flat=True)) == ["article.create", "article.save"]
    rows = AuditEntry.objects.order_by("id")[before:]
    assert [r.action for r in rows] == ["knowledge.article.save", "knowledge.article.save"]
    assert rows[0].object_id == str(a.pk) and rows[0].username == "dispatcher"


def test_restore_saves_the_old_text_as_a_new_version(org: Org) -> None:
    actor = org.actor("dispatcher")
    a = actions.save_article(actor, None, DATA)
    a = actions.save_article(actor, a, {**DATA, "title": "押金问题"})
    a = actions.restore_version(actor, a, 1)
    assert a.version == 3 and a.title == DATA["title"]
    assert a.versions.get(number=3).note == "恢复为第1版"


def test_stale_version_is_refused(org: Org) -> None:
    actor = org.actor("dispatcher")
    a = actions.save_article(actor, None, DATA)
    actions.save_article(actor, a, {**DATA, "title": "押金问题"})
    with pytest.raises(actions.ActionError):
        actions.save_article(actor, a, {**DATA, "title": "另一个标题", "version": 1})
    assert Article.objects.get(pk=a.pk).title == "押金问题"


def test_states_draft_review_published_withdrawn(org: Org) -> None:
    actor = org.actor("dispatcher")
    a = actions.save_article(actor, None, DATA)
    assert not Article.objects.public().filter(pk=a.pk).exists()
    a = actions.transition(actor, a, "submit")
    assert a.state == ArticleState.REVIEW
    a = actions.transition(org.actor("sysadmin"), a, "publish")  # a second editor reviews and publishes
    assert a.state == ArticleState.PUBLISHED and a.published_at is not None
    assert Article.objects.public().filter(pk=a.pk).exists()
    with pytest.raises(InvalidTransition):
        actions.transition(actor, a, "submit")
    with pytest.raises(ActionInvalid) as err:
        actions.transition(actor, a, "withdraw")
    assert "原因" in err.value.message
    a = actions.transition(actor, a, "withdraw", reason="法律修改，待更新")
    assert a.state == ArticleState.WITHDRAWN
    assert not Article.objects.public().filter(pk=a.pk).exists()
    codes = list(a.events.order_by("at", "id").values_list("code", "from_state", "to_state"))
    assert codes[1:] == [
        ("article.submit", "draft", "review"),
        ("article.publish", "review", "published"),
        ("article.withdraw", "published", "withdrawn"),
    ]


@pytest.mark.parametrize(
    ("user", "allowed"),
    [
        ("dispatcher", True),  # county dispatcher
        ("sysadmin", True),
        ("sub1_dispatcher", False),  # town dispatcher
        ("handler1", False),  # town handler
        ("dept_handler", False),  # department handler
        ("county_leader", False),
        ("supervisor", False),
        ("grid_worker", False),
        ("nobody", False),
    ],
)
def test_who_may_edit(org: Org, user: str, allowed: bool) -> None:
    assert policy.can_edit(org.user(user)) is allowed
    before = world()
    if allowed:
        actions.save_article(org.actor(user), None, DATA)
        assert world()[0] == before[0] + 1
    else:
        with pytest.raises(ActionForbidden) as err:
            actions.save_article(org.actor(user), None, DATA)
        assert "权限" in err.value.message
        assert world() == before


def test_county_centre_handler_may_edit(org: Org) -> None:
    from fengqiao.org.choices import Role
    from tests.conftest import make_user

    u = make_user("centre_handler", org.centre, (Role.HANDLER, org.centre))
    assert policy.can_edit(u)
    assert policy.is_staff_reader(u)


def test_forbidden_transition_changes_nothing(org: Org) -> None:
    a = actions.save_article(org.actor("dispatcher"), None, DATA)
    before = world()
    with pytest.raises(ActionForbidden):
        actions.transition(org.actor("handler1"), a, "publish")
    assert world() == before and Article.objects.get(pk=a.pk).state == ArticleState.DRAFT


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"title": ""}, "title", "标题"),
        ({"body": "太短"}, "body", "20"),
        ({"kind": "blog"}, "kind", "类别"),
        ({"audience": "everyone"}, "audience", "公开范围"),
        ({"kind": "guide", "office": ""}, "office", "办理部门"),
        ({"slug": "Bad Slug!"}, "slug", "小写"),
        ({"slug": "legal-aid"}, "slug", "保留"),
        ({"categories": ["9999"]}, "categories", "纠纷类型"),
        ({"domains": ["D99"]}, "domains", "业务领域"),
        ({"review_due": "明年"}, "review_due", "日期"),
        ({"title": "长" * 101}, "title", "100"),
    ],
)
def test_bad_input_is_explained_and_nothing_changes(org: Org, change: dict[str, Any], field: str, words: str) -> None:
    before = world()
    with pytest.raises(ActionInvalid) as err:
        actions.save_article(org.actor("dispatcher"), None, {**DATA, **change})
    assert field in err.value.errors
    assert words in "".join(err.value.errors[field])
    assert world() == before


def test_duplicate_slug(org: Org) -> None:
    actions.save_article(org.actor("dispatcher"), None, DATA)
    with pytest.raises(ActionInvalid) as err:
        actions.save_article(org.actor("dispatcher"), None, DATA)
    assert "已被使用" in err.value.errors["slug"][0]


def test_system_actor_loads_and_publishes(org: Org) -> None:
    a = actions.save_article(Actor.system("knowledge-load"), None, DATA)
    actions.transition(Actor.system("knowledge-load"), a, "publish")
    assert a.versions.get().saved_by is None and a.versions.get().saved_by_name == "knowledge-load"


def test_library_entry_life(org: Org) -> None:
    actor = org.actor("dispatcher")
    e = actions.save_exemplary(
        actor,
        None,
        {
            "title": "邻里通道纠纷调解成功",
            "facts": "张某砌墙挡住通道。",
            "resolution": "调解后围墙后退。",
            "category": "0201",
        },
    )
    assert e.state == ExemplaryState.DRAFT and not ExemplaryCase.objects.approved().exists()
    e = actions.approve_exemplary(actor, e)
    assert e.state == ExemplaryState.APPROVED and e.approved_by == org.user("dispatcher")
    e = actions.save_exemplary(actor, e, {"takeaway": "各让一步。"})
    assert e.state == ExemplaryState.DRAFT  # an edit goes back for approval
    assert list(e.events.order_by("at", "id").values_list("code", flat=True)) == [
        "exemplary.create",
        "exemplary.approve",
        "exemplary.save",
    ]
    with pytest.raises(ActionForbidden):
        actions.approve_exemplary(org.actor("handler1"), e)


def test_library_entry_refuses_personal_data_and_level1_type(org: Org) -> None:
    with pytest.raises(ActionInvalid) as err:
        actions.save_exemplary(
            org.actor("dispatcher"),
            None,
            {"title": "借款纠纷", "facts": "王某电话13812345678借钱不还。", "resolution": "调解。", "category": "06"},
        )
    assert "个人信息" in err.value.errors["facts"][0]
    assert "二级" in err.value.errors["category"][0]
    assert not ExemplaryCase.objects.exists()


def test_four_eyes_an_editor_cannot_publish_their_own_article(org: Org) -> None:
    author, reviewer = org.actor("dispatcher"), org.actor("sysadmin")
    a = actions.save_article(author, None, DATA)
    a = actions.transition(author, a, "submit")
    before = world()
    with pytest.raises(ActionForbidden) as err:
        actions.transition(author, a, "publish")
    assert "另一位编辑" in err.value.message
    assert world() == before and Article.objects.get(pk=a.pk).state == ArticleState.REVIEW
    # the reviewer edits the text: now the reviewer is its last author and the first editor publishes
    a = actions.save_article(reviewer, a, {**DATA, "title": "押金不退怎么办（修订）"})
    with pytest.raises(ActionForbidden):
        actions.transition(reviewer, a, "publish")
    a = actions.transition(author, a, "publish")
    assert a.state == ArticleState.PUBLISHED
    assert a.events.filter(code="article.publish", actor=author.user).count() == 1
