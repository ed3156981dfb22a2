"""PDF poster and the staff poster page, rating reminders, WeChat as the applicant's channel."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core.cache import cache

from fengqiao.cases.actions import perform
from fengqiao.notify.models import MessageTemplate, OutboundMessage
from fengqiao.notify.reminders import remind_unrated
from fengqiao.portal.models import Submission
from tests.conftest import Org
from tests.helpers import new_case, valid_input
from tests.notify.fake_gateways import WECHAT, fake_server
from tests.portal.helpers import Recorder, get_code, submit_data, token_of

pytestmark = pytest.mark.django_db


def test_pdf_poster_is_one_a4_page(org: Org, client: Any) -> None:
    r = client.get(f"/portal/u/{org.village1.code}/poster.pdf")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    body = r.content
    assert body.startswith(b"%PDF") and body.count(b"/Type /Page\n") + body.count(b"/Type /Page ") >= 1
    assert b"/MediaBox [ 0 0 595.2756 841.8898 ]" in body  # A4 in points
    assert client.get("/portal/u/nope/poster.pdf").status_code == 404
    png = client.get(f"/portal/u/{org.village1.code}/poster.png")
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")


def test_poster_page_for_staff_in_scope_only(org: Org, client: Any) -> None:
    assert client.get("/portal/posters/").status_code == 302  # login first
    client.force_login(org.user("sub1_dispatcher"))
    html = client.get("/portal/posters/").content.decode()
    assert org.village1.name in html and f"/portal/u/{org.village1.code}/poster.pdf" in html
    assert org.village2.name not in html  # another town: not in this dispatcher's scope
    html = client.get("/portal/posters/", {"q": "网格"}).content.decode()
    assert org.grid1.name in html and org.village1.name + " <" not in html


def _resolved_case(org: Org) -> Any:
    case = new_case(org)
    perform("accept", case, org.actor("handler1"), {})
    perform("resolve", case, org.actor("handler1"), valid_input("resolve", org))
    case.refresh_from_db()
    return case


def test_rating_reminder_after_three_days_once(org: Org) -> None:
    case = _resolved_case(org)
    resolved = case.resolved_at
    assert remind_unrated(resolved + dt.timedelta(days=2)) == 0
    assert remind_unrated(resolved + dt.timedelta(days=3, minutes=1)) == 1
    assert remind_unrated(resolved + dt.timedelta(days=3, hours=2)) == 0  # idempotent
    msg = OutboundMessage.objects.get(dedup_key__startswith=f"rate-remind:{case.pk}:")
    assert msg.template == "rate_reminder" and case.display_code in msg.text
    assert f"/portal/t/{case.tracking_secret}/" in msg.text
    # Rated cases are not reminded; neither are long-forgotten ones.
    other = _resolved_case(org)
    perform("rate", other, _citizen(), {"satisfaction": "satisfied"})
    assert remind_unrated(other.resolved_at + dt.timedelta(days=4)) == 0
    third = _resolved_case(org)
    assert remind_unrated(third.resolved_at + dt.timedelta(days=40)) == 0


def test_reopened_and_again_resolved_case_is_reminded_again(org: Org) -> None:
    case = _resolved_case(org)
    perform("rate", case, _citizen(), {"satisfaction": "unsatisfied"})
    perform("reopen", case, _citizen(), {"reason": "没有解决"})
    perform("resolve", case, org.actor("handler1"), valid_input("resolve", org))
    case.refresh_from_db()
    assert case.satisfaction == ""
    assert remind_unrated(case.resolved_at + dt.timedelta(days=3, minutes=1)) == 1
    perform("rate", case, _citizen(), {"satisfaction": "satisfied"})
    case.refresh_from_db()
    assert case.satisfaction == "satisfied"
    assert [e.data["satisfaction"] for e in case.events.filter(code="case.rate").order_by("at", "id")] == [
        "unsatisfied",
        "satisfied",
    ]


def test_disabled_reminder_template_sends_nothing(org: Org) -> None:
    case = _resolved_case(org)
    MessageTemplate.objects.filter(event_code="portal.rate_reminder").update(is_active=False)
    assert remind_unrated(case.resolved_at + dt.timedelta(days=4)) == 0


def _citizen() -> Any:
    from fengqiao.cases.actions import Actor

    return Actor.citizen()


def test_wechat_citizen_gets_progress_by_wechat(org: Org, client: Any, settings: Any) -> None:
    with fake_server() as fake:
        settings.WECHAT_API_BASE = fake.base
        settings.WECHAT_APP_ID, settings.WECHAT_APP_SECRET = WECHAT["appid"], WECHAT["secret"]
        settings.WECHAT_TEMPLATE_ID = "tpl"
        cache.clear()
        unit_url = f"/portal/u/{org.village1.code}/"
        # WeChat OAuth redirects here with a one-time code; state is where the citizen was going.
        r = client.get("/portal/wx/", {"code": "good-code", "state": unit_url})
        assert r.status_code == 302 and r["Location"] == unit_url
        bad = client.get("/portal/wx/", {"code": "x", "state": "https://evil.example/"})
        assert bad["Location"] == "/portal/"  # no open redirect
        c = Recorder(client)
        token = token_of(c.get(unit_url).content.decode())
        data = submit_data(token, org.village1.code)
        code = get_code(c, unit_url, data)
        r = c.post(unit_url, {**data, "sms_code": code})
        assert r.status_code == 302
        sub = Submission.objects.get(token=token)
        assert sub.wechat_openid == "o-citizen-1"
        event = perform("accept", sub.case, org.actor("handler1"), {})
        msg = OutboundMessage.objects.get(dedup_key=f"evt:{event.pk}")
        assert msg.channel == "wechat" and msg.recipient == "o-citizen-1"
        from fengqiao.notify.outbox import relay

        relay()
        sent = [b for b in fake.sent if b.get("touser") == "o-citizen-1"]
        assert len(sent) == 1 and sub.case.display_code == sent[0]["data"]["keyword1"]["value"]
        # The OpenID is never in a URL nor stored in clear.
        assert not any("o-citizen-1" in u for u in c.urls)
        from django.db import connection

        with connection.cursor() as cur:
            cur.execute("SELECT wechat_openid FROM portal_submission WHERE id = %s", [sub.pk])
            assert "o-citizen-1" not in cur.fetchone()[0]
        cache.clear()


def test_sms_when_not_via_wechat(org: Org) -> None:
    case = new_case(org)
    event = perform("accept", case, org.actor("handler1"), {})
    assert OutboundMessage.objects.get(dedup_key=f"evt:{event.pk}").channel == "sms"


def test_each_field_limit_gives_chinese_error_and_creates_nothing(org: Org, client: Any) -> None:
    from fengqiao.cases.models import Attachment, Case, Party
    from tests.portal.helpers import png

    c = Recorder(client)
    token = token_of(c.get("/portal/submit/").content.decode())
    before = (Case.objects.count(), Party.objects.count(), Attachment.objects.count(), OutboundMessage.objects.count())
    too_long = {
        "description": "长" * 5001,
        "title": "题" * 61,
        "address_text": "地" * 201,
        "name": "名" * 31,
        "respondent_name": "对" * 61,
    }
    for field, value in too_long.items():
        r = c.post("/portal/submit/", submit_data(token, **{field: value}))
        assert r.status_code == 400, field
        assert "确保该值不超过" in r.content.decode() or "最多" in r.content.decode(), field
    six = [png(f"p{i}.png") for i in range(6)]
    r = c.post("/portal/submit/", {**submit_data(token), "materials": six})
    assert r.status_code == 400 and "一次最多上传5个文件" in r.content.decode()
    fake = io.BytesIO(b"MZ\x90\x00" + b"\x00" * 64)  # a program named like a photo: the content decides
    fake.name = "virus.png"
    r = c.post("/portal/submit/", {**submit_data(token), "materials": [fake]})
    assert r.status_code == 400 and "virus.png" in r.content.decode()
    assert (
        Case.objects.count(),
        Party.objects.count(),
        Attachment.objects.count(),
        OutboundMessage.objects.count(),
    ) == before


def test_lookups_per_ip_are_limited(org: Org, client: Any, monkeypatch: Any) -> None:
    from fengqiao.portal import views

    cache.clear()
    monkeypatch.setattr(views, "LOOKUPS_PER_IP_HOUR", 3)
    for _ in range(3):
        r = client.post("/portal/track/", {"code": "0000-0000-0000", "phone": "13800000000", "action": "verify"})
        assert r.status_code == 400
    r = client.post("/portal/track/", {"code": "0000-0000-0000", "phone": "13800000000", "action": "verify"})
    assert r.status_code == 429 and "查询太频繁" in r.content.decode()
    r = client.post("/portal/mine/", {"phone": "13800000000", "action": "send_code"})
    assert r.status_code == 429  # the same budget covers "my cases"
    other = client.post(
        "/portal/track/", {"code": "0000-0000-0000", "action": "verify"}, REMOTE_ADDR="10.0.0.9"
    )  # another address has its own budget
    assert other.status_code == 400
    cache.clear()


def test_console_sms_log_hides_phone_and_tracking_secret(caplog: Any) -> None:
    import logging

    from fengqiao.notify.backends import ConsoleSMSBackend, SMSMessage

    with caplog.at_level(logging.INFO, logger="fengqiao.sms"):
        ConsoleSMSBackend().send(
            SMSMessage("13812345678", "【枫桥】进度：https://x.gov.cn/portal/t/SeCrEt_0123456789abcdefXYZ/")
        )
    text = caplog.text
    assert "13812345678" not in text and "SeCrEt_0123456789abcdefXYZ" not in text and "/portal/t/" in text


def test_each_public_step_queues_its_template_once(org: Org) -> None:
    case = new_case(org)
    steps = [
        ("accept", {}, "accepted"),
        ("assign_person", valid_input("assign_person", org), "assigned"),
        ("attach_team", valid_input("attach_team", org), None),  # public, but no message of its own
        ("record_session", valid_input("record_session", org), "session"),
        ("refer", valid_input("refer", org), "referred"),
    ]
    actor = {"assign_person": "sub1_dispatcher"}
    for name, data, template in steps:
        event = perform(name, case, org.actor(actor.get(name, "handler1")), data)
        msgs = OutboundMessage.objects.filter(dedup_key=f"evt:{event.pk}")
        assert [m.template for m in msgs] == ([template] if template else []), name
    assign = OutboundMessage.objects.get(template="assigned", case=case)
    case.refresh_from_db()
    assert case.handler is not None and case.handler.display_name in assign.text
    assert OutboundMessage.objects.filter(case=case, template="registered").count() == 1


def test_tracking_page_is_kept_per_case_version_with_each_visitors_csrf_token(org: Org) -> None:
    import re

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from fengqiao.portal.views_track import CSRF_MARK

    cache.clear()
    case = new_case(org)
    url = f"/portal/t/{case.tracking_secret}/"
    first = Client(enforce_csrf_checks=True)
    first.get(url)
    with CaptureQueriesContext(connection) as q:
        page = first.get(url).content.decode()
    assert len(q.captured_queries) == 1, "the second view is the case version plus the kept page"
    tokens = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert tokens and CSRF_MARK not in page
    other = Client(enforce_csrf_checks=True).get(url).content.decode()
    assert re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', other)[0] != tokens[0]
    # The visitor's token works; the note bumps the version, so the next view shows it.
    r = first.post(url + "note/", {"text": "补充：对方昨天又施工了", "csrfmiddlewaretoken": tokens[0]})
    assert r.status_code == 302
    first.get(r["Location"])  # the page with its flash message, rendered afresh
    assert "补充：对方昨天又施工了" in first.get(url).content.decode()
