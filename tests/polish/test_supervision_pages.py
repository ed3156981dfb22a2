"""Item 4: the accountability record renders its evidence as tables in local time with consistent
counts; 一人一档 shows rates as percentages; the 一事一档 PDF shows labels, full mediation rows and
a readable stand-in for glyphs its font lacks."""

from __future__ import annotations

import datetime as dt
import re
import subprocess

from fengqiao.cases.actions import Actor, perform, register_case
from fengqiao.core.pdftext import glyph_safe
from fengqiao.supervision.accountability import detect
from fengqiao.supervision.files import rate_text
from fengqiao.supervision.models import AccountabilityKind, AccountabilityRecord
from tests.conftest import Org, case_payload
from tests.supervision.test_accountability import T0, at, new
from tests.web.conftest import signed_in

REPR = re.compile(r"\{'|'\}|\d{4}-\d\d-\d\dT\d\d|检测数据|\+00:00")


def text_of(html: str) -> str:
    """What a reader sees: the page's text without its tags (a <time datetime> attribute is fine)."""
    return re.sub(r"<[^>]+>", " ", html)


def test_repeat_overdue_record_lists_every_case_it_counts(org: Org) -> None:
    handler = org.user("handler1")
    cases = []
    for i in range(3):
        case = new(org, when=T0 + dt.timedelta(minutes=i))
        at(T0 + dt.timedelta(hours=1), perform, "accept", case, org.actor("handler1"))
        at(T0 + dt.timedelta(hours=1), perform, "assign_person", case, org.actor("handler1"), {"handler": handler.pk})
        cases.append(case)
    at(T0 + dt.timedelta(days=20), detect)
    record = AccountabilityRecord.objects.get(kind=AccountabilityKind.REPEAT_OVERDUE_PERSON)
    body = signed_in(org.user("supervisor")).get(f"/staff/accountability/{record.pk}/").content.decode()
    main = body.split("<main", 1)[1]
    assert not REPR.search(text_of(main)), REPR.search(text_of(main))
    assert "超期案件 3 件" in main
    table = main.split("超期案件 3 件", 1)[1].split("</table>", 1)[0]
    assert all(c.display_code in table for c in cases) and table.count("<tr>") == 4  # header + 3


def test_unregistered_record_shows_local_times(org: Org) -> None:
    case = new(org)
    record = AccountabilityRecord.objects.create(
        kind=AccountabilityKind.UNREGISTERED,
        case=case,
        unit=org.sub1,
        summary="收到后30小时才登记",
        evidence={
            "events": [case.events.first().pk],
            "received_at": "2026-11-01T02:00:00+00:00",
            "registered_at": "2026-11-02T08:00:00+00:00",
            "delay_hours": 30.0,
            "source": "hotline",
        },
        dedup_key="unregistered:x",
    )
    main = signed_in(org.user("supervisor")).get(f"/staff/accountability/{record.pk}/").content.decode()
    main = main.split("<main", 1)[1]
    assert "2026-11-01 10:00" in main and "2026-11-02 16:00" in main  # Asia/Shanghai
    assert "12345热线" in main and "登记受理" in main
    assert not REPR.search(text_of(main)), REPR.search(text_of(main))


def test_rates_read_as_percentages() -> None:
    assert rate_text(0, 5) == "0%（0/5）"
    assert rate_text(1, 1) == "100%（1/1）"
    assert rate_text(2, 3) == "67%（2/3）"
    assert rate_text(1, 30) == "3.3%（1/30）"
    assert rate_text(0, 0) == "—"


def test_person_file_has_no_stray_separator_or_raw_ratio(org: Org) -> None:
    target = org.user("handler1")
    target.title = ""
    target.save(update_fields=["title"])
    main = signed_in(org.user("supervisor")).get(f"/staff/people/{target.pk}/").content.decode()
    main = main.split("<main", 1)[1]
    assert '<p class="muted"> · ' not in main and "· </p>" not in main
    assert "（0）" not in main and "/0" not in main


def test_glyph_safe_keeps_cjk_and_marks_emoji(org: Org) -> None:
    from fengqiao.core.pdftext import pdf_font

    font = pdf_font()
    assert glyph_safe("邻居噪音扰民", font) == "邻居噪音扰民"
    # an emoji the symbol font has is drawn in it; one no installed font has reads "[表情]", once per run
    assert glyph_safe("太吵了😡！", font) == '太吵了<font name="FQSymbols">😡</font>！'
    assert glyph_safe("👍🏻🧧好", font) == "[表情]好"
    assert glyph_safe("\U00030000好", font) == "□好"


def test_case_file_pdf_shows_labels_sessions_and_emoji_stand_in(org: Org) -> None:
    case, _ = register_case(
        Actor.citizen(), case_payload(org, channel="qr", description="楼上每晚噪音🧧，影响休息。"), via="portal"
    )
    perform("accept", case, org.actor("handler1"), {})
    perform("attach_team", case, org.actor("handler1"), {"members": [{"mediator": org.mediator.pk, "is_lead": True}]})
    held = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)).isoformat()
    perform(
        "record_session",
        case,
        org.actor("handler1"),
        {
            "held_at": held,
            "place": "白塔村调解室",
            "participants": "王小明、李大年",
            "notes": "双方同意",
            "outcome": "agreed",
        },
    )
    c = signed_in(org.user("handler1"))
    html = c.get(f"/staff/cases/{case.code}/file/").content.decode()
    assert "白塔村调解室" in html and "陈调解" in html and "群众端" in html and "onclick" not in html
    pdf = c.get(f"/staff/cases/{case.code}/file.pdf").content
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    flat = re.sub(r"\s+", "", text)
    assert "群众端" in flat and "portal" not in flat
    assert "白塔村调解室" in flat and "王小明、李大年" in flat and "陈调解" in flat
    assert "[表情]" in flat
