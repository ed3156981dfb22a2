"""Staff journeys in a real browser: intake, handling on the case page, a leader's instruction and
its answer, scoping (404), a grid worker on a phone, and the oversight pages."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from fengqiao.cases.actions import perform, register_case
from fengqiao.cases.models import Case
from fengqiao.notify.models import Notification
from fengqiao.supervision.models import Instruction
from tests.browser.conftest import PHONE
from tests.conftest import Org, case_payload

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def local_input(moment: dt.datetime) -> str:
    """A datetime-local input value in the server's time zone."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def open_panel(s: Any, name: str) -> Any:
    """The action's panel (a <details>) on the case page, opened."""
    panel = s.page.locator(f"#act-{name}")
    if panel.get_attribute("open") is None:
        panel.locator("summary").click()
    return panel


def act(s: Any, name: str, fill: dict[str, str] | None = None, check: list[str] | None = None) -> None:
    """Open the action's panel on the case page, fill it in and submit it."""
    panel = open_panel(s, name)
    for field, value in (fill or {}).items():
        target = panel.locator(f"#act-{name}-{field}")
        if target.evaluate("e => e.tagName") == "SELECT":
            target.select_option(value)
        else:
            target.fill(value)
    for field in check or []:
        panel.locator(f"#act-{name}-{field}").check()
    panel.locator("form.act-form button[type=submit]").click()
    s.page.wait_for_load_state("networkidle")
    expect(s.page.locator(".alert.error")).to_have_count(0)


def state_of(case: Case) -> str:
    return Case.objects.get(pk=case.pk).state


def test_a_dispatcher_registers_a_phone_case(org: Org, open_session: Any) -> None:
    s = open_session()
    s.login("dispatcher")
    s.goto("/staff/intake/")
    p = s.page
    p.fill("#in-applicant_name", "王小明")
    p.fill("#in-applicant_phone", "13812345678")
    p.fill("#in-respondent_name", "李大年")
    p.fill("#in-title", "邻居装修噪音扰民")
    p.fill("#in-description", "楼上邻居连续两周晚上十点后装修，多次沟通无果，来电求助。")
    p.select_option("#in-channel", "phone")
    p.select_option("#in-category", "0201")
    p.select_option("#in-location_unit", str(org.village1.pk))
    s.shot("journey-a1-intake")
    p.get_by_role("button", name="保存并打印回执").click()
    p.wait_for_load_state("networkidle")
    case = Case.objects.get(title="邻居装修噪音扰民")
    assert case.channel == "phone" and case.owner_unit == org.sub1 and case.state == "registered"
    assert case.events.get(code="case.register").via == "web"  # triage follows as case.triage
    expect(p.locator("body")).to_contain_text(case.display_code)
    s.shot("journey-a2-receipt")


def test_b_town_handler_accepts_attaches_team_records_session_resolves(org: Org, open_session: Any) -> None:
    case, _ = register_case(org.actor("dispatcher"), case_payload(org), via="test")
    s = open_session()
    s.login("handler1")
    s.goto(f"/staff/cases/{case.display_code}/")
    act(s, "accept")
    assert state_of(case) == "accepted"
    open_panel(s, "attach_team").locator(f"#act-attach_team-mediators-{org.mediator.pk}").check()
    act(s, "attach_team", {"reason": "熟悉邻里纠纷"})
    assert state_of(case) == "mediating"
    act(
        s,
        "record_session",
        {
            "held_at": local_input(timezone.now() - dt.timedelta(hours=2)),
            "place": "白塔镇调解室",
            "participants": "双方当事人、村调委会主任",
            "notes": "双方陈述意见，约定限期整改。",
            "outcome": "agreed",
        },
    )
    s.shot("journey-b1-case-mediating")
    act(
        s,
        "resolve",
        {"result": "双方达成调解协议：对方退让三十厘米并赔偿损失。"},
        check=["matter_settled", "grievance_settled", "agreement"],
    )
    fresh = Case.objects.get(pk=case.pk)
    assert fresh.state == "resolved" and fresh.matter_settled and fresh.grievance_settled and fresh.agreement
    assert list(fresh.events.order_by("at", "id").values_list("code", flat=True)) == [
        "case.register",
        "case.triage",  # 分流完成: triage follows registration as its own step
        "case.accept",
        "case.attach_team",
        "case.record_session",
        "case.resolve",
    ]
    expect(s.page.locator("#timeline")).to_contain_text("化解")
    s.shot("journey-b2-case-resolved")


def test_c_leader_instructs_and_handler_answers(org: Org, open_session: Any) -> None:
    case, _ = register_case(org.actor("dispatcher"), case_payload(org, title="工地欠薪"), via="test")
    perform("accept", case, org.actor("handler1"))
    perform("assign_person", case, org.actor("sub1_dispatcher"), {"handler": org.user("handler1").pk})

    leader = open_session()
    leader.login("leader1")
    leader.goto("/staff/leader/")
    leader.page.locator("table.bars").get_by_role("link", name="绿码").click()  # the new case is green
    leader.page.wait_for_load_state("networkidle")
    row = leader.page.locator("tr", has_text=case.display_code).first
    row.locator("details.instruct summary").click()
    row.locator("textarea[name=text]").fill("请三日内约谈用工单位，务必化解，结果报我。")
    row.get_by_role("button", name="提交批示").click()
    leader.page.wait_for_load_state("networkidle")
    expect(leader.page.locator(".messages")).to_contain_text("已对案件")
    instruction = Instruction.objects.get(case=case)
    assert Notification.objects.filter(user=org.user("handler1"), kind="instruction").exists()
    leader.shot("journey-c1-leader-instructed")

    handler = open_session()
    handler.login("handler1")
    handler.goto("/staff/inbox/")
    item = handler.page.locator(".inbox-list li", has_text=case.display_code).first
    expect(item).to_be_visible()
    handler.shot("journey-c2-inbox")
    item.locator("a").click()
    handler.page.wait_for_load_state("networkidle")
    expect(handler.page).to_have_url(re.compile(rf"/staff/cases/{case.display_code}/"))
    panel = open_panel(handler, "answer_instruction")
    panel.locator(f"#ans-{instruction.pk}").fill("已约谈用工单位，明日支付欠薪。")
    panel.get_by_role("button", name="回复批示").click()
    handler.page.wait_for_load_state("networkidle")
    instruction.refresh_from_db()
    assert instruction.answered_by == org.user("handler1") and instruction.answer == "已约谈用工单位，明日支付欠薪。"
    assert case.events.filter(code="case.answer_instruction", via="web").exists()

    leader.goto("/staff/leader/")
    mine = leader.page.locator("#instructions")
    expect(mine).to_contain_text("已回复")
    expect(mine).to_contain_text("明日支付欠薪")
    leader.shot("leader")


def test_d_handler_of_another_town_gets_404(org: Org, open_session: Any) -> None:
    case, _ = register_case(org.actor("dispatcher"), case_payload(org), via="test")
    s = open_session()
    s.login("handler2")
    response = s.goto(f"/staff/cases/{case.display_code}/")
    assert response.status == 404
    assert case.display_code not in s.page.content()
    # The oversight pages are closed to a handler too.
    assert s.goto("/staff/leader/").status == 403
    assert s.goto("/staff/supervisor/").status == 403


def test_e_grid_worker_on_a_phone(org: Org, open_session: Any) -> None:
    s = open_session(PHONE)
    s.login("grid_worker")
    s.goto("/staff/intake/")
    s.no_horizontal_scroll()
    p = s.page
    p.fill("#in-applicant_name", "赵阿婆")
    p.fill("#in-applicant_phone", "13955556666")
    p.fill("#in-title", "邻居鸡舍臭味扰民")
    p.fill("#in-description", "巡查发现：邻居在院内搭鸡舍，气味影响周边住户，双方有争执。")
    p.select_option("#in-channel", "grid")
    p.select_option("#in-location_unit", str(org.grid1.pk))
    p.select_option("#in-owner_unit", str(org.grid1.pk))
    s.shot("journey-e1-phone-intake")
    p.get_by_role("button", name="保存并打印回执").click()
    p.wait_for_load_state("networkidle")
    case = Case.objects.get(title="邻居鸡舍臭味扰民")
    assert case.owner_unit == org.grid1 and case.channel == "grid"

    s.goto(f"/staff/cases/{case.display_code}/")
    s.no_horizontal_scroll()
    act(s, "accept", {"reason": "网格内就地处置"})
    act(s, "first_contact", {"method": "visit", "note": "上门走访双方，了解情况。"})
    s.shot("journey-e2-phone-case")
    act(
        s,
        "resolve",
        {"result": "当场协调，鸡舍移至院子另一侧并定期清理。"},
        check=["matter_settled", "grievance_settled"],
    )
    fresh = Case.objects.get(pk=case.pk)
    assert fresh.state == "resolved" and fresh.first_contact_at is not None
    s.no_horizontal_scroll()
    s.shot("journey-e3-phone-resolved")


def _history(org: Org) -> dict[str, Case]:
    """Cases for the supervisor: one bounced back and forth, one transferred three times, one stalled."""
    now = timezone.now()
    cases: dict[str, Case] = {}
    c, _ = register_case(org.actor("dispatcher"), case_payload(org, title="工地拖欠农民工工资"), via="phone")
    perform("transfer", c, org.actor("handler1"), {"unit": org.dept.pk, "reason": "劳动报酬争议归人社"})
    perform("decline", c, org.actor("dept_handler"), {"reason": "用工主体为建筑企业，应由住建部门处理"})
    perform("transfer", c, org.actor("handler1"), {"unit": org.dept.pk, "reason": "欠薪事项仍归人社"})
    perform("accept", c, org.actor("dept_handler"))
    perform("return", c, org.actor("dept_handler"), {"reason": "属地先行调解"})
    perform("instruct", c, org.actor("county_leader"), {"text": "人社、属地不得推诿，三日内明确牵头单位。"})
    cases["bounced"] = c
    c, _ = register_case(org.actor("dispatcher"), case_payload(org, title="商铺租金纠纷"), via="walk_in")
    perform("transfer", c, org.actor("handler1"), {"unit": org.dept.pk, "reason": "归人社"})
    perform("accept", c, org.actor("dept_handler"))
    perform("transfer", c, org.actor("dept_handler"), {"unit": org.dept2.pk, "reason": "归住建"})
    perform("accept", c, org.actor("dispatcher"))
    perform("transfer", c, org.actor("dispatcher"), {"unit": org.taskforce.pk, "reason": "交专班"})
    cases["three"] = c
    with time_machine.travel(now - dt.timedelta(days=20), tick=False):
        c, _ = register_case(org.actor("dispatcher"), case_payload(org, title="宅基地界址争议"), via="walk_in")
    with time_machine.travel(now - dt.timedelta(days=18), tick=False):
        perform("accept", c, org.actor("handler1"))
    cases["stalled"] = c
    with time_machine.travel(now - dt.timedelta(days=9), tick=False):
        c, _ = register_case(
            org.actor("dispatcher"),
            case_payload(org, title="田市村山林权属纠纷", location_unit=org.village2.pk),
            via="walk_in",
        )
    cases["other_town"] = c
    return cases


def test_supervisor_pages(org: Org, open_session: Any) -> None:
    cases = _history(org)
    s = open_session()
    s.login("supervisor")
    s.goto("/staff/supervisor/")
    bounced = s.page.locator("#bounced")
    expect(bounced).to_contain_text(cases["bounced"].display_code)
    expect(bounced).to_contain_text(cases["three"].display_code)
    expect(bounced).to_contain_text("来回流转")
    expect(s.page.locator("#stalled")).to_contain_text(cases["stalled"].display_code)
    expect(s.page.locator("#overdue")).to_contain_text(cases["stalled"].display_code)
    s.shot("supervisor")
    bounced.locator("tr", has_text=cases["bounced"].display_code).get_by_role("link", name="流转时间轴").click()
    s.page.wait_for_load_state("networkidle")
    expect(s.page.locator("h1")).to_contain_text(cases["bounced"].display_code)
    expect(s.page.locator(".ov-timeline")).to_contain_text("拒收退回")
    expect(s.page.locator(".ov-timeline")).to_contain_text("人社、属地不得推诿")
    s.shot("timeline")
    s.page.get_by_role("link", name="打开案件页").click()
    s.page.wait_for_load_state("networkidle")
    assert s.page.url.endswith(f"/staff/cases/{cases['bounced'].display_code}/#timeline")

    phone = open_session(PHONE)
    phone.login("supervisor")
    phone.goto("/staff/supervisor/")
    phone.no_horizontal_scroll()
    phone.shot("supervisor-phone")


def test_leader_page_follow_and_colours(org: Org, open_session: Any) -> None:
    cases = _history(org)
    s = open_session()
    s.login("county_leader")
    s.goto("/staff/leader/")
    tiles = s.page.locator(".tiles")
    expect(tiles).to_contain_text("辖区案件")
    row = s.page.locator("#overdue tr", has_text=cases["stalled"].display_code)
    row.get_by_role("button", name="关注").click()
    s.page.wait_for_load_state("networkidle")
    expect(s.page.locator("#followed")).to_contain_text(cases["stalled"].display_code)
    s.shot("leader-county")
    s.page.locator("#followed tr", has_text=cases["stalled"].display_code).get_by_role(
        "button", name="取消关注"
    ).click()
    s.page.wait_for_load_state("networkidle")
    expect(s.page.locator("#followed")).not_to_contain_text(cases["stalled"].display_code)
    # The colour rows lead to the list of that colour.
    s.page.get_by_role("link", name="红码", exact=True).first.click()
    s.page.wait_for_load_state("networkidle")
    expect(s.page.locator("h1")).to_contain_text("红码案件")
    expect(s.page.locator("main")).to_contain_text(cases["stalled"].display_code)

    phone = open_session(PHONE)
    phone.login("leader1")
    phone.goto("/staff/leader/")
    phone.no_horizontal_scroll()
    expect(phone.page.locator("main")).not_to_contain_text(cases["other_town"].display_code)
    phone.shot("leader-phone")


def admin_session(open_session: Any, org: Org) -> Any:
    """An administrator's window, signed in with a verified second factor (session set up directly:
    the TOTP enrolment itself is the desk's sign-in journey)."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from fengqiao.org.models import User

    admin = User.objects.create_superuser("root", password="Fengqiao-test-pw1", unit=org.county, display_name="管理员")
    device = TOTPDevice.objects.create(user=admin, name="test", confirmed=True)
    store = SessionStore()
    store[SESSION_KEY] = str(admin.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = admin.get_session_auth_hash()
    store[DEVICE_ID_SESSION_KEY] = device.persistent_id
    store.create()
    s = open_session()
    s.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": store.session_key, "url": s.base_url}])
    return s


def test_admin_import_units_preview_and_report(org: Org, open_session: Any, tmp_path: Any) -> None:
    from openpyxl import Workbook

    from fengqiao.org.models import Unit

    def sheet(name: str, rows: list[list[Any]]) -> str:
        wb = Workbook()
        for row in rows:
            wb.active.append(row)
        path = tmp_path / name
        wb.save(path)
        return str(path)

    header = ["单位代码", "单位名称", "类型", "上级单位代码", "简称", "启用"]
    bad = sheet(
        "bad.xlsx",
        [
            header,
            ["331024105", "横溪镇", "乡镇（街道）", "331024", "横溪", "是"],
            ["331024105201", "横溪村", "城堡", "331024105", "", "是"],
            ["331024105201-G01", "横溪村第1网格", "网格", "999999", "", "是"],
        ],
    )
    good = sheet(
        "good.xlsx",
        [
            header,
            ["331024105", "横溪镇", "乡镇（街道）", "331024", "横溪", "是"],
            ["331024105201", "横溪村", "村（社区）", "331024105", "", "是"],
            ["331024105201-G01", "横溪村第1网格", "网格", "331024105201", "", "是"],
        ],
    )
    before = Unit.objects.count()
    s = admin_session(open_session, org)
    s.goto("/admin/org/unit/import/")
    s.page.set_input_files("#id_import_file", bad)
    s.page.select_option("#id_format", index=1)  # Excel
    s.page.locator("form input[type=submit], form button[type=submit]").last.click()
    s.page.wait_for_load_state("networkidle")
    report = s.page.locator("table.import-report")
    expect(report).to_contain_text("城堡")
    expect(report).to_contain_text("999999")
    assert s.page.locator("input[name=confirm]").count() == 0
    s.shot("admin-import-report")
    assert Unit.objects.count() == before

    s.goto("/admin/org/unit/import/")
    s.page.set_input_files("#id_import_file", good)
    s.page.select_option("#id_format", index=1)
    s.page.locator("form input[type=submit], form button[type=submit]").last.click()
    s.page.wait_for_load_state("networkidle")
    s.shot("admin-import-preview")
    assert Unit.objects.count() == before  # a preview writes nothing
    s.page.locator("input[name=confirm]").click()
    s.page.wait_for_load_state("networkidle")
    assert Unit.objects.count() == before + 3
    assert Unit.objects.get(code="331024105201-G01").parent.code == "331024105201"
