"""Item 3: every printed QR is a standard QR (never Micro QR) holding the full tracking URL; item 11:
the walk-in receipt is headed by the unit that registered the case."""

from __future__ import annotations

from typing import Any

import segno

from fengqiao.cases import codes
from fengqiao.cases.models import Case
from fengqiao.notify.templates import tracking_link
from tests.conftest import Org
from tests.helpers import new_case
from tests.web.conftest import act, signed_in


def test_qr_is_never_micro() -> None:
    short = codes.qr("7KQ2-M9XD-4HRT")
    assert not short.is_micro and short.designator.startswith(("1-", "2-", "3-"))
    assert segno.make("7KQ2-M9XD-4HRT").is_micro  # what segno.make alone would have printed
    assert "<svg" in codes.qr_svg("x") and codes.qr_png("x").startswith(b"\x89PNG")


def test_tracking_link_is_absolute(org: Org, settings: Any, rf: Any) -> None:
    case = new_case(org)
    settings.FENGQIAO_PUBLIC_URL = ""
    settings.ALLOWED_HOSTS = ["fq.example.cn"]
    request = rf.get("/", HTTP_HOST="fq.example.cn")
    assert tracking_link(case, request) == f"http://fq.example.cn/portal/t/{case.tracking_secret}/"
    settings.FENGQIAO_PUBLIC_URL = "https://fengqiao.gov.cn"
    assert tracking_link(case, request) == f"https://fengqiao.gov.cn/portal/t/{case.tracking_secret}/"


def _expected_svg(case: Case, scale: int) -> str:
    url = f"http://testserver/portal/t/{case.tracking_secret}/"
    assert not codes.qr(url).is_micro
    return codes.qr_svg(url, scale=scale)


def test_staff_receipt_and_case_page_print_the_tracking_url(org: Org, settings: Any) -> None:
    settings.FENGQIAO_PUBLIC_URL = ""
    case = new_case(org, who="handler1")
    c = signed_in(org.user("handler1"))
    receipt = c.get(f"/staff/cases/{case.display_code}/receipt/").content.decode()
    # the page's SVG is segno's standard QR of the full tracking URL (its path data, module by module)
    path = _expected_svg(case, 5).split("<path", 1)[1].split("/>", 1)[0]
    assert path in receipt
    assert f"/portal/t/{case.tracking_secret}/" in receipt
    page = c.get(f"/staff/cases/{case.display_code}/").content.decode()
    assert _expected_svg(case, 3).split("<path", 1)[1].split("/>", 1)[0] in page
    assert "版本" not in page.split('class="facts"', 1)[1].split("</dl>", 1)[0]  # item 8: no "版本 1"


def test_receipt_is_headed_by_the_registering_centre(org: Org) -> None:
    case = new_case(org, who="handler1")  # registered at 白塔镇综治中心
    act(org, case, "transfer", "handler1", {"unit": org.dept.pk, "reason": "劳动报酬事项归人社"})
    act(org, case, "accept", "dept_handler")
    body = signed_in(org.user("dispatcher")).get(f"/staff/cases/{case.display_code}/receipt/").content.decode()
    head = body.split('<p class="rc-org">', 1)[1].split("</p>", 1)[0]
    assert head == "白塔镇综治中心"
    assert "仙居县人力资源和社会保障局" in body  # the unit now handling it is named as 承办单位
