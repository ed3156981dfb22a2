"""Item 11 (and the portal half of item 10): tracking by code checks the code before any SMS; the
citizen's timeline confirms an attached photo; the portal asks for the number of people; pages show
local times, never UTC ISO stamps."""

from __future__ import annotations

import re
from typing import Any

from fengqiao.cases.actions import perform
from fengqiao.cases.models import Case
from fengqiao.notify.models import OutboundMessage
from tests.conftest import Org
from tests.helpers import new_case, valid_input
from tests.portal.helpers import Recorder, get_code, png, submit_data, token_of
from tests.web.conftest import signed_in

ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d|\+00:00|UTC")


def _visible(html: str) -> str:
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def test_find_by_code_checks_the_code_before_sending_an_sms(org: Org, client: Any) -> None:
    c = Recorder(client)
    before = OutboundMessage.objects.count()
    r = c.post("/portal/track/", {"code": "0000-0000-0000", "phone": "13912345678", "action": "send_code"})
    assert r.status_code == 400 and OutboundMessage.objects.count() == before
    case = new_case(org)
    before = OutboundMessage.objects.count()  # registering queued the applicant's receipt SMS
    other = case.code[:-1] + ("0" if case.code[-1] != "0" else "1")  # a mistyped check symbol
    r = c.post("/portal/track/", {"code": other, "phone": "13912345678", "action": "send_code"})
    assert r.status_code == 400 and OutboundMessage.objects.count() == before
    from fengqiao.cases import codes

    body = "0123456789A" if not case.code.startswith("0123456789A") else "1123456789A"
    valid = body + codes._check_symbol(body)  # well formed, but no case has it
    r = c.post("/portal/track/", {"code": valid, "phone": "13912345678", "action": "send_code"})
    assert "没有找到这个编号的事项" in r.content.decode() and OutboundMessage.objects.count() == before


def test_submission_with_a_photo_and_people_count(org: Org, client: Any) -> None:
    c = Recorder(client)
    token = token_of(c.get(f"/portal/u/{org.village1.code}/").content.decode())
    data = submit_data(token, org.village1.code, people_count="12")
    code = get_code(c, "/portal/submit/", data)
    r = c.post(
        "/portal/submit/",
        {**submit_data(token, org.village1.code, sms_code=code, people_count="12"), "materials": png()},
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    case = Case.objects.get()
    assert case.people_count == 12
    track = c.get(f"/portal/t/{case.tracking_secret}/").content.decode()
    assert "已收到您上传的 1 个文件" in track


def test_people_count_is_checked(org: Org, client: Any) -> None:
    c = Recorder(client)
    token = token_of(c.get(f"/portal/u/{org.village1.code}/").content.decode())
    r = c.post("/portal/submit/", submit_data(token, org.village1.code, people_count="很多"))
    assert r.status_code == 400 and "请填写数字" in r.content.decode()


def test_pages_show_local_times_only(org: Org) -> None:
    case = new_case(org)
    perform("accept", case, org.actor("handler1"), {})
    perform("attach_team", case, org.actor("handler1"), valid_input("attach_team", org))
    perform("record_session", case, org.actor("handler1"), valid_input("record_session", org))
    handler = signed_in(org.user("handler1"))
    sup = signed_in(org.user("supervisor"))
    for client, url in (
        (handler, f"/staff/cases/{case.display_code}/"),
        (handler, f"/staff/cases/{case.code}/file/"),
        (handler, "/staff/inbox/"),
        (sup, f"/staff/supervisor/cases/{case.display_code}/timeline/"),
    ):
        r = client.get(url)
        assert r.status_code == 200, url
        found = ISO.search(_visible(r.content.decode()))
        assert not found, f"{url}: {found and found.group(0)}"


def test_inbox_shows_the_high_risk_label(org: Org) -> None:
    from fengqiao.notify.models import Notification

    case = new_case(org)
    user = org.user("handler1")
    Notification.objects.filter(user=user).delete()
    Notification.objects.create(user=user, case=case, event=case.events.first(), kind="high_risk")
    body = signed_in(user).get("/staff/inbox/").content.decode()
    assert "高风险预警" in body and "high_risk" not in _visible(body)


def test_routing_rule_admin_title_is_text_and_channels_are_labelled(org: Org) -> None:
    from fengqiao.org.models import User
    from tests.oversight.test_admin_import import verified_client

    admin_client = verified_client(User.objects.create_superuser("root", password="Fengqiao-pw-1x", unit=org.county))
    r = admin_client.get("/admin/triage/routingrule/")
    assert r.status_code == 200
    body = r.content.decode()
    title = re.search(r"<title>(.*?)</title>", body, re.S)
    assert title and "<a" not in title.group(1) and "&lt;a" not in title.group(1)
    assert "12345热线" in body and "试运行" in body
