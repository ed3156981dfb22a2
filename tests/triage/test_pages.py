"""Triage pages: case panel, confirm/correct, dispatcher queue, dry run, team confirm, pool — with
permission checks and bad input (clear Chinese message, nothing changed)."""

from __future__ import annotations

from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from fengqiao.cases.actions import Actor, perform, register_case
from fengqiao.cases.models import Case
from fengqiao.mediation.models import TeamMember
from fengqiao.triage import location, routing
from fengqiao.triage.models import RoutingRule, TrainingLabel, TriageResult
from tests.conftest import Org, case_payload


def signed_in(user: object) -> Client:
    c = Client()
    c.force_login(user)  # type: ignore[arg-type]
    return c


def _open_case(org: Org) -> Case:
    location.forget()
    payload = case_payload(org, category=None, address_text="杭州市西湖区文三路100号")
    payload.pop("location_unit")
    case, _ = register_case(Actor.citizen(), {**payload, "channel": "web"}, via="portal")
    return case


def _msgs(resp: object) -> list[str]:
    return [str(m) for m in get_messages(resp.wsgi_request)]  # type: ignore[attr-defined]


def test_case_page_shows_panel(org: Org) -> None:
    case = _open_case(org)
    body = signed_in(org.user("dispatcher")).get(reverse("web:case", args=[case.display_code])).content.decode()
    assert 'id="triage"' in body and "智能分流" in body and "待人工确认" in body
    assert "西湖区" in body and "确认 / 更正" in body


def test_queue_lists_cases_needing_review_in_scope(org: Org) -> None:
    case = _open_case(org)
    body = signed_in(org.user("dispatcher")).get(reverse("triage:queue")).content.decode()
    assert case.display_code in body and "属地未能确定" in body
    # Out of scope (town 2 handler) does not see the county centre's case; a supervisor may not open it.
    body = signed_in(org.user("handler2")).get(reverse("triage:queue")).content.decode()
    assert case.display_code not in body
    assert signed_in(org.user("supervisor")).get(reverse("triage:queue")).status_code == 403


def test_confirm_corrects_type_and_stores_label(org: Org) -> None:
    case = _open_case(org)
    c = signed_in(org.user("dispatcher"))
    url = reverse("triage:confirm", args=[case.code])
    # Bad input: a level-1 type, nothing changes.
    resp = c.post(url, {"category": "04", "version": case.version})
    assert resp.status_code == 302 and "请选择有效的二级纠纷类型或诉求领域。" in _msgs(resp)
    case.refresh_from_db()
    assert case.category is None and not TrainingLabel.objects.exists()
    resp = c.post(url, {"category": "0401", "domain": "D01", "version": case.version})
    assert resp.status_code == 302
    case.refresh_from_db()
    assert case.category.code == "0401" and case.domain.code == "D01"
    assert case.events.filter(code="case.update").exists()
    labels = {(lab.task, lab.label) for lab in TrainingLabel.objects.filter(case=case)}
    assert labels == {("type", "0401"), ("domain", "D01")}
    tr = TriageResult.objects.get(case=case)
    assert not any("类型" in r for r in tr.review_reasons)


def test_confirm_refused_without_rights(org: Org) -> None:
    case = _open_case(org)
    resp = signed_in(org.user("dispatcher")).get(reverse("web:case", args=[case.display_code]))
    assert resp.status_code == 200
    # The town-2 handler cannot see the case at all.
    c = signed_in(org.user("handler2"))
    assert c.post(reverse("triage:confirm", args=[case.code]), {"category": "0401"}).status_code == 404
    case.refresh_from_db()
    assert case.category is None and not TrainingLabel.objects.exists()


def test_stale_version_is_refused(org: Org) -> None:
    case = _open_case(org)
    c = signed_in(org.user("dispatcher"))
    resp = c.post(reverse("triage:confirm", args=[case.code]), {"category": "0401", "version": case.version + 5})
    assert any("已被他人更新" in m for m in _msgs(resp))
    case.refresh_from_db()
    assert case.category is None


def test_dry_run(org: Org) -> None:
    routing.forget()
    location.forget()
    RoutingRule.objects.create(position=12, name="白塔土地", category_id=None, location=org.town1, owner_unit=org.sub1)
    c = signed_in(org.user("dispatcher"))
    assert c.get(reverse("triage:dry_run")).status_code == 200
    before = Case.objects.count()
    resp = c.post(
        reverse("triage:dry_run"),
        {
            "title": "承包田被占",
            "description": "白塔村的承包田被邻居占用",
            "channel": "web",
            "address_text": "白塔镇白塔村",
        },
    )
    body = resp.content.decode()
    assert resp.status_code == 200 and "属地=白塔镇 → 白塔镇综治中心 (规则 12「白塔土地」)" in body
    assert Case.objects.count() == before
    resp = c.post(reverse("triage:dry_run"), {"title": "", "description": ""})
    assert resp.status_code == 400 and 'class="errorlist' in resp.content.decode()
    assert signed_in(org.user("handler1")).get(reverse("triage:dry_run")).status_code == 403


def test_team_confirm_and_pool(org: Org) -> None:
    location.forget()
    case, _ = register_case(org.actor("dispatcher"), case_payload(org, category="0601"), via="test")
    tr = TriageResult.objects.get(case=case)
    assert tr.team and tr.team[0]["lead"]
    c = signed_in(org.user("sub1_dispatcher"))
    ids = [str(m["mediator"]) for m in tr.team]
    # Before acceptance a team cannot be formed: the action refuses, nothing changes.
    resp = c.post(reverse("triage:team", args=[case.code]), {"mediator": ids, "lead": ids[0]})
    assert any("不能执行「组建调解团队」" in m for m in _msgs(resp)) and not TeamMember.objects.exists()
    perform("accept", case, org.actor("sub1_dispatcher"), {})
    resp = c.post(reverse("triage:team", args=[case.code]), {"mediator": ids, "lead": ids[0]})
    assert resp.status_code == 302
    team = list(TeamMember.objects.filter(case=case))
    assert {str(t.mediator_id) for t in team} == set(ids)
    assert any(t.is_lead and str(t.mediator_id) == ids[0] for t in team) and all(t.reason for t in team)
    # Bad input: nobody chosen → message, nothing changed.
    resp = c.post(reverse("triage:team", args=[case.code]), {})
    assert "请至少选择一名调解员。" in _msgs(resp)
    # Adding someone already in the team is refused by the action, with its message.
    resp = c.post(reverse("triage:team", args=[case.code]), {"mediator": ids[0]})
    assert any("已在团队中" in m for m in _msgs(resp))
    assert TeamMember.objects.filter(case=case).count() == len(ids)
    # 点兵点将
    body = c.get(reverse("triage:pool", args=[case.code]), {"q": "律师"}).content.decode()
    assert "林律师" in body and "加入团队" in body


def test_one_team_ui_the_proposal_is_ready_in_the_attach_team_form(org: Org) -> None:
    """Item 3 of the mediation issue: the triage proposal and 点兵点将 are one form (组建团队): the
    proposed members come first and ticked, the proposed lead selected; the panel only explains."""
    import re

    location.forget()
    case, _ = register_case(org.actor("dispatcher"), case_payload(org, category="0601"), via="test")
    perform("accept", case, org.actor("sub1_dispatcher"), {})
    tr = TriageResult.objects.get(case=case)
    lead = next(m for m in tr.team if m["lead"])
    c = signed_in(org.user("sub1_dispatcher"))
    url = reverse("web:case", args=[case.display_code])
    body = c.get(url, {"open": "attach_team"}).content.decode()
    panel = body[body.index('id="triage"') :]
    panel = panel[: panel.index("</section>")]
    assert reverse("triage:team", args=[case.code]) not in panel  # no second form on the panel
    assert "?open=attach_team#act-attach_team" in panel
    form = body[body.index('id="act-attach_team"') :]
    form = form[: form.index("</details>")]
    boxes = re.findall(r'<input type="checkbox" id="act-attach_team-mediators-(\d+)"[^>]*?( checked)?>', form)
    assert boxes[: len(tr.team)] == [(str(lead["mediator"]), " checked")] + [
        (str(m["mediator"]), " checked") for m in tr.team if not m["lead"]
    ]
    assert all(not ticked for _pk, ticked in boxes[len(tr.team) :])  # other suggestions are not ticked
    assert re.search(rf'<option value="{lead["mediator"]}" selected>[^<]*推荐首席', form)
    # Confirming the form as shown forms the proposed team with triage's reasons.
    resp = c.post(
        reverse("web:case_act", args=[case.code, "attach_team"]),
        {
            "version": Case.objects.get(pk=case.pk).version,
            "mediators": [str(m["mediator"]) for m in tr.team],
            "lead": str(lead["mediator"]),
        },
    )
    assert resp.status_code in (200, 302), resp.status_code
    team = {t.mediator_id: t for t in TeamMember.objects.filter(case=case)}
    assert set(team) == {m["mediator"] for m in tr.team}
    assert team[lead["mediator"]].is_lead and team[lead["mediator"]].reason == lead["reason"][:200]
