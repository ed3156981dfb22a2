"""Administration: import units/grids, mediators and staff (+roles) from Excel with a dry-run
preview and a validation report; an invalid file imports nothing."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from openpyxl import Workbook

from fengqiao.core.models import AuditEntry
from fengqiao.mediation.models import Mediator
from fengqiao.org.choices import Role, UnitKind
from fengqiao.org.models import RoleAssignment, Unit, User
from tests.conftest import Org

pytestmark = pytest.mark.django_db


def xlsx(rows: list[list[Any]], name: str = "data.xlsx") -> io.BytesIO:
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    buf.name = name
    return buf


def csv_file(text: str, name: str = "data.csv") -> io.BytesIO:
    buf = io.BytesIO(text.encode("utf-8"))
    buf.name = name
    return buf


@pytest.fixture
def admin_client(org: Org) -> Client:
    admin = User.objects.create_superuser("root", password="Fengqiao-test-pw1", unit=org.county)
    return verified_client(admin)


def verified_client(user: User) -> Client:
    """A client logged in with a verified second factor (the admin requires TOTP)."""
    device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    c = Client()
    c.force_login(user)
    session = c.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return c


def preview(client: Client, model: str, upload: io.BytesIO, fmt: int = 0) -> Any:
    return client.post(f"/admin/{model}/import/", {"format": str(fmt), "import_file": upload, "resource": "0"})


def confirm(client: Client, model: str, response: Any) -> Any:
    form = response.context["confirm_form"]
    return client.post(f"/admin/{model}/process_import/", {k: form.initial[k] for k in form.initial})


def report(response: Any) -> list[dict[str, Any]]:
    return response.context["validation_report"]


UNITS = [
    ["单位代码", "单位名称", "类型", "上级单位代码", "简称", "启用"],
    ["331024105", "横溪镇", "乡镇（街道）", "331024", "横溪", "是"],
    ["331024105-ZZZX", "横溪镇综治中心", "subcentre", "331024105", "", "是"],
    ["331024105201", "横溪村", "village", "331024105", "", "是"],
    ["331024105201-G01", "横溪村第1网格", "网格", "331024105201", "", "是"],
    [331024105202, "下陈村", "村（社区）", 331024105, "", ""],
]


def test_units_and_grids_preview_then_confirm(admin_client: Client, org: Org) -> None:
    before = Unit.objects.count()
    r = preview(admin_client, "org/unit", xlsx(UNITS))
    assert r.status_code == 200
    assert r.context["confirm_form"] is not None, report(r)
    assert Unit.objects.count() == before  # the preview is a dry run
    r = confirm(admin_client, "org/unit", r)
    assert r.status_code == 302
    assert Unit.objects.count() == before + 5
    grid = Unit.objects.get(code="331024105201-G01")
    village = Unit.objects.get(code="331024105201")
    assert grid.kind == UnitKind.GRID and grid.parent == village
    assert grid.path.startswith(Unit.objects.get(code="331024105").path)
    assert Unit.objects.get(code="331024105202").parent.code == "331024105"  # numeric cells read as codes
    assert AuditEntry.objects.filter(action="admin.import", object_type="org.unit").exists()


def test_units_invalid_file_reports_rows_and_imports_nothing(admin_client: Client, org: Org) -> None:
    before = Unit.objects.count()
    rows = [
        UNITS[0],
        ["331024106", "好镇", "town", "331024", "", ""],  # valid
        ["331024106201", "坏村", "城堡", "331024106", "", ""],  # bad kind
        ["331024106202", "孤村", "village", "999999", "", ""],  # unknown parent
        ["331024106-G9", "错网格", "grid", "331024", "", ""],  # a grid directly under the county
        ["", "无代码", "village", "331024106", "", ""],  # missing code
    ]
    r = preview(admin_client, "org/unit", xlsx(rows))
    assert r.status_code == 200
    assert r.context.get("confirm_form") is None
    rep = report(r)
    got = {(x["row"], x["field"]) for x in rep}
    assert (3, "类型") in got
    assert (4, "上级单位代码") in got
    assert (5, "上级单位代码") in got
    assert (6, "单位代码") in got
    assert (2, "类型") not in got
    text = r.content.decode()
    assert "校验报告" in text and "城堡" in text and "999999" in text
    assert Unit.objects.count() == before


def test_units_csv_with_english_headers(admin_client: Client, org: Org) -> None:
    text = "code,name,kind,parent_code\n331024107,新镇,town,331024\n331024107201,新村,village,331024107\n"
    r = preview(admin_client, "org/unit", csv_file(text), fmt=1)
    assert r.context["confirm_form"] is not None, report(r)
    confirm(admin_client, "org/unit", r)
    assert Unit.objects.get(code="331024107201").parent.code == "331024107"


MEDIATORS = [
    ["姓名", "类别", "所属单位代码", "擅长类型", "方言", "同时承办上限", "可接案"],
    ["张调解", "人民调解员", "331024103", "0201;0203", "仙居话", 6, "是"],
    ["李律师", "lawyer", "331024", "0601", "", "", "否"],
    ["陈调解", "people", "331024103", "0201", "", 8, "是"],  # updates the existing 陈调解 of 白塔镇
]


def test_mediators_import(admin_client: Client, org: Org) -> None:
    r = preview(admin_client, "mediation/mediator", xlsx(MEDIATORS))
    assert r.context["confirm_form"] is not None, report(r)
    confirm(admin_client, "mediation/mediator", r)
    zhang = Mediator.objects.get(name="张调解")
    assert zhang.kind == "people" and zhang.unit == org.town1 and zhang.specialties == ["0201", "0203"]
    assert zhang.capacity == 6 and zhang.dialects == ["仙居话"]
    assert Mediator.objects.get(name="李律师").available is False
    org.mediator.refresh_from_db()
    assert org.mediator.capacity == 8 and Mediator.objects.filter(name="陈调解").count() == 1


def test_mediators_invalid(admin_client: Client, org: Org) -> None:
    before = Mediator.objects.count()
    rows = [
        MEDIATORS[0],
        ["好调解", "people", "331024103", "0201", "", 5, "是"],
        ["坏调解", "巫师", "331024103", "9999", "", "很多", "是"],
        ["无单位", "people", "NOPE", "", "", "", ""],
    ]
    r = preview(admin_client, "mediation/mediator", xlsx(rows))
    assert r.context.get("confirm_form") is None
    got = {(x["row"], x["field"]) for x in report(r)}
    assert {(3, "类别"), (3, "擅长类型"), (3, "同时承办上限"), (4, "所属单位代码")} <= got
    assert Mediator.objects.count() == before


USERS = [
    ["用户名", "姓名", "所在单位代码", "职务", "角色"],
    ["wu_chengban", "吴承办", "331024103-ZZZX", "承办人", "handler@331024103;受理员@331024103"],
    ["xu_lingdao", "徐镇长", "331024104", "镇长", "leader@331024104"],
]


def test_users_with_roles_import_without_passwords(admin_client: Client, org: Org) -> None:
    r = preview(admin_client, "org/user", xlsx(USERS))
    assert r.context["confirm_form"] is not None, report(r)
    assert not User.objects.filter(username="wu_chengban").exists()
    confirm(admin_client, "org/user", r)
    wu = User.objects.get(username="wu_chengban")
    assert wu.display_name == "吴承办" and wu.unit == org.sub1
    assert not wu.has_usable_password()
    assert set(RoleAssignment.objects.filter(user=wu).values_list("role", "unit__code")) == {
        (Role.HANDLER, "331024103"),
        (Role.DISPATCHER, "331024103"),
    }
    xu = User.objects.get(username="xu_lingdao")
    assert xu.has_role(Role.LEADER) and not xu.is_staff

    # Re-importing with fewer roles syncs the list (but never touches 三员 roles).
    RoleAssignment.objects.create(user=wu, unit=org.county, role=Role.AUDIT_ADMIN)
    again = [USERS[0], ["wu_chengban", "吴承办", "331024103-ZZZX", "承办人", "handler@331024103"]]
    r = preview(admin_client, "org/user", xlsx(again))
    confirm(admin_client, "org/user", r)
    assert set(RoleAssignment.objects.filter(user=wu).values_list("role", flat=True)) == {
        Role.HANDLER,
        Role.AUDIT_ADMIN,
    }


def test_users_invalid_roles_and_password_column(admin_client: Client, org: Org) -> None:
    before = User.objects.count()
    rows = [
        USERS[0],
        ["ok_user", "好人", "331024103", "", "handler@331024103"],
        ["bad_roles", "坏角色", "331024103", "", "boss@331024103;handler@NOPE;system_admin@331024"],
        ["bad unit", "无单位", "NOPE", "", ""],
    ]
    r = preview(admin_client, "org/user", xlsx(rows))
    assert r.context.get("confirm_form") is None
    got = {(x["row"], x["field"]) for x in report(r)}
    assert {(3, "角色"), (4, "所在单位代码"), (4, "用户名")} <= got
    assert User.objects.count() == before

    with_password = [[*USERS[0], "密码"], [*USERS[1], "secret-123"]]
    r = preview(admin_client, "org/user", xlsx(with_password))
    assert r.context.get("confirm_form") is None
    assert any("密码" in x["reason"] for x in report(r))
    assert User.objects.count() == before


def test_confirm_is_all_or_nothing(admin_client: Client, org: Org) -> None:
    """A file that passed the preview but fails at confirm time (the data changed in between)
    writes nothing, not even its valid rows."""
    rows = [
        UNITS[0],
        ["331024108", "甲镇", "town", "331024", "", ""],
        ["331024104299", "田市新村", "village", "331024104", "", ""],
    ]
    r = preview(admin_client, "org/unit", xlsx(rows))
    assert r.context["confirm_form"] is not None, report(r)
    org.town2.code = "331024104-OLD"  # meanwhile the parent's code changes
    org.town2.save()
    before = Unit.objects.count()
    r = confirm(admin_client, "org/unit", r)
    assert r.status_code == 200
    assert "未写入任何数据" in r.content.decode()
    assert (3, "上级单位代码") in {(x["row"], x["field"]) for x in report(r)}
    assert Unit.objects.count() == before
    assert not Unit.objects.filter(code="331024108").exists()


def test_import_needs_permissions(org: Org) -> None:
    staff = User.objects.create_user("staffonly", password="Fengqiao-test-pw1", is_staff=True)
    c = verified_client(staff)
    assert c.get("/admin/org/unit/import/").status_code == 403


def test_import_template_download(admin_client: Client, org: Org) -> None:
    r = admin_client.get("/admin/org/user/import-template/")
    assert r.status_code == 200
    assert r["Content-Type"].startswith("application/vnd.openxmlformats")


def test_admin_pages_render(admin_client: Client, org: Org) -> None:
    for url in [
        "/admin/",
        "/admin/org/unit/",
        "/admin/org/unit/?kind__exact=grid",
        f"/admin/org/unit/{org.grid1.pk}/change/",
        "/admin/org/user/",
        f"/admin/org/user/{org.user('handler1').pk}/change/",
        "/admin/org/user/?role=leader",
        "/admin/org/roleassignment/",
        "/admin/org/standardaddress/add/",
        "/admin/mediation/mediator/",
        "/admin/cases/category/",
        "/admin/cases/domain/",
        "/admin/org/unit/import/",
        "/admin/org/user/import/",
        "/admin/mediation/mediator/import/",
        "/admin/supervision/instruction/",
        "/admin/supervision/deadlinepolicy/",
        "/admin/supervision/deadlinepolicy/add/",
        "/admin/supervision/calendarday/",
        "/admin/supervision/accountabilityrecord/",
        "/admin/mediation/mediator/import/",
    ]:
        r = admin_client.get(url)
        assert r.status_code == 200, url
    assert "导入" in admin_client.get("/admin/org/unit/").content.decode()


def test_deadline_policy_edit(admin_client: Client, org: Org) -> None:
    from fengqiao.supervision.models import DeadlinePolicy

    r = admin_client.post(
        "/admin/supervision/deadlinepolicy/add/",
        {
            "name": "劳动争议（工作日）",
            "is_active": "on",
            "priority": "3",
            "channel": "hotline",
            "level": "2",
            "unit": "working",
            "accept_hours": "24",
            "contact_hours": "48",
            "complete_days": "10",
            "yellow_after_days": "5",
            "red_after_days": "8",
            "extendable_days": "0",
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    policy = DeadlinePolicy.objects.get(name="劳动争议（工作日）")
    assert policy.channel == "hotline" and policy.level == 2 and policy.category is None
