"""The whole citizen journey through the portal, from the 民生码 to a reopened case."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from fengqiao.cases.actions import perform
from fengqiao.cases.models import Attachment, Case, CaseEvent
from fengqiao.cases.workflow import State
from fengqiao.notify.models import MessageStatus, OutboundMessage
from fengqiao.portal.models import PhoneVerification, Submission
from tests.conftest import Org
from tests.helpers import valid_input
from tests.portal import sms_backend
from tests.portal.helpers import PHONE, Recorder, deliver, get_code, png, submit_data, token_of

pytestmark = pytest.mark.django_db


def test_whole_journey(org: Org, client: Any) -> None:
    c = Recorder(client)
    qr_url = f"/portal/u/{org.village1.code}/"
    page = c.get(qr_url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "白塔镇 › 白塔村" in html
    assert 'name="website"' in html  # honeypot present
    token = token_of(html)

    code = get_code(c, "/portal/submit/", submit_data(token, org.village1.code))
    r = c.post("/portal/submit/", {**submit_data(token, org.village1.code, sms_code=code), "materials": png()})
    assert r.status_code == 302, r.content.decode()[:3000]
    case = Case.objects.get()
    assert r["Location"] == f"/portal/t/{case.tracking_secret}/receipt/"
    assert case.channel == "qr" and case.location_unit == org.village1 and case.owner_unit == org.sub1
    assert case.title == "隔壁新建的猪圈紧挨我家院墙，气味很大"
    assert case.parties.get(role="applicant").phone == PHONE
    assert case.parties.get(role="respondent").name == "李某"
    assert Attachment.objects.filter(case=case, public=False).count() == 1
    assert case.events.get(code="case.register").via == "portal"

    # A double submit (same form token) gives the same case.
    again = c.post("/portal/submit/", submit_data(token, org.village1.code, sms_code=code))
    assert again.status_code == 302 and again["Location"] == r["Location"]
    assert Case.objects.count() == 1 and Submission.objects.count() == 1

    receipt = c.get(r["Location"])
    body = receipt.content.decode()
    assert case.display_code in body and "<svg" in body and f"/portal/t/{case.tracking_secret}/" in body
    assert receipt["Referrer-Policy"] == "same-origin"

    # The 'registered' SMS was queued with the case, in the same transaction.
    msg = OutboundMessage.objects.get(dedup_key=f"evt:{case.events.get(code='case.register').pk}")
    assert msg.template == "registered" and msg.recipient == PHONE
    deliver()
    assert any(m.template == "registered" and case.display_code in m.text for m in sms_backend.SENT)

    track_url = f"/portal/t/{case.tracking_secret}/"
    t = c.get(track_url)
    assert t.status_code == 200 and "您反映的事项已登记" in t.content.decode()

    n = c.post(track_url + "note/", {"text": "补充：对方昨晚又堆了粪肥。", "materials": png("more.png")})
    assert n.status_code == 302
    note = case.events.get(code="case.note")
    assert note.public and note.actor_role == "citizen" and note.via == "portal"
    assert Attachment.objects.filter(case=case).count() == 2
    assert "对方昨晚又堆了粪肥" in c.get(track_url).content.decode()

    # Staff handle it; an internal note stays out of the citizen's timeline.
    perform("accept", case, org.actor("handler1"), {})
    perform("assign_person", case, org.actor("sub1_dispatcher"), valid_input("assign_person", org))
    perform("note", case, org.actor("handler1"), {"text": "内部：当事人情绪激动", "public": False})
    perform("resolve", case, org.actor("handler1"), valid_input("resolve", org))
    t = c.get(track_url).content.decode()
    assert "事项已化解" in t and "达成调解协议" in t and "内部：当事人情绪激动" not in t
    assert "请您评价" in t and "handler1" in t

    rate = c.post(
        track_url + "rate/",
        {
            "satisfaction": "unsatisfied",
            "matter_settled": "no",
            "grievance_settled": "no",
            "comment": "猪圈还在",
            "reopen": "on",
        },
    )
    assert rate.status_code == 302
    case.refresh_from_db()
    assert case.state == State.IN_PROGRESS
    assert case.events.get(code="case.rate").data["satisfaction"] == "unsatisfied"
    assert case.satisfaction == "", "the reopened case waits for a rating of its new result"
    assert case.events.get(code="case.reopen").reason == "猪圈还在"

    deliver()
    templates = [m.template for m in sms_backend.SENT if m.phone == PHONE]
    for name in ("registered", "accepted", "assigned", "resolved", "reopened"):
        assert templates.count(name) == 1, (name, templates)
    assert not OutboundMessage.objects.exclude(status=MessageStatus.SENT).exists()

    # No phone number in any URL, redirect, or SMS link.
    for url in c.urls:
        assert PHONE not in url and "phone" not in url
    for m in sms_backend.SENT:
        assert PHONE not in m.text


def test_find_by_code_and_my_cases(org: Org, client: Any) -> None:
    c = Recorder(client)
    token = token_of(c.get("/portal/submit/").content.decode())
    code = get_code(c, "/portal/submit/", submit_data(token, address_text="白塔镇白塔村3组"))
    r = c.post("/portal/submit/", submit_data(token, address_text="白塔镇白塔村3组", sms_code=code))
    assert r.status_code == 302
    case = Case.objects.get()
    assert case.channel == "web"

    client.cookies.clear()  # a new visit, a minute later: nothing verified
    PhoneVerification.objects.update(created_at=timezone.now() - dt.timedelta(minutes=2))
    c = Recorder(client)
    assert "验证手机号后" in c.get("/portal/mine/").content.decode()
    wrong = c.post(
        "/portal/track/",
        {"code": case.code[:-1] + ("0" if case.code[-1] != "0" else "1"), "phone": PHONE, "action": "verify"},
    )
    assert wrong.status_code == 400 and "编号不正确" in wrong.content.decode()
    sms = get_code(c, "/portal/track/", {"code": case.display_code})
    found = c.post(
        "/portal/track/", {"code": case.display_code.lower(), "phone": PHONE, "sms_code": sms, "action": "verify"}
    )
    assert found.status_code == 302 and found["Location"] == f"/portal/t/{case.tracking_secret}/"
    assert client.session["portal_phone"]["hash"] != PHONE and PHONE not in str(dict(client.session))
    mine = c.get("/portal/mine/").content.decode()
    assert case.title in mine and f"/portal/t/{case.tracking_secret}/" in mine
    for url in c.urls:
        assert PHONE not in url

    w = c.post(f"/portal/t/{case.tracking_secret}/withdraw/", {"reason": "已私下解决", "confirm": "on"})
    assert w.status_code == 302
    case.refresh_from_db()
    assert case.state == State.WITHDRAWN


def test_anonymous_only_where_the_unit_allows(org: Org, client: Any) -> None:
    token = token_of(client.get(f"/portal/u/{org.village1.code}/").content.decode())
    r = client.post("/portal/submit/", submit_data(token, org.village1.code, phone="", anonymous="on"))
    assert r.status_code == 400 and "请填写手机号码" in r.content.decode()
    assert Case.objects.count() == 0

    org.village2.allows_anonymous = True
    org.village2.save()
    page = client.get(f"/portal/u/{org.village2.code}/").content.decode()
    assert "匿名反映" in page
    r = client.post("/portal/submit/", submit_data(token_of(page), org.village2.code, phone="", anonymous="on"))
    assert r.status_code == 302
    case = Case.objects.get()
    assert case.anonymous and not case.parties.filter(role="applicant").exists()
    assert not OutboundMessage.objects.exists()


def test_home_privacy_and_poster(org: Org, client: Any) -> None:
    home = client.get("/portal/").content.decode()
    for link in ("/portal/submit/", "/portal/track/", "/portal/mine/"):
        assert link in home
    privacy = client.get("/portal/privacy/").content.decode()
    assert "3 年" in privacy and "谁能看到" in privacy
    poster = client.get(f"/portal/u/{org.village1.code}/poster.png")
    assert poster.status_code == 200 and poster["Content-Type"] == "image/png"
    import io

    from PIL import Image

    img = Image.open(io.BytesIO(poster.content))
    assert abs(img.height / img.width - 297 / 210) < 0.01
    assert client.get("/portal/u/NO-SUCH-UNIT/").status_code == 404
    assert client.get("/portal/t/short/").status_code == 404
    assert client.get("/portal/t/" + "x" * 32 + "/").status_code == 404
    assert CaseEvent.objects.count() == 0


def test_timeline_is_chinese_for_an_english_browser(org: Org, client: Any) -> None:
    from tests.helpers import new_case

    case = new_case(org)
    page = client.get(f"/portal/t/{case.tracking_secret}/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "您反映的事项已登记" in page
