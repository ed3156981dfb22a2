"""Agreements: content against the case, two parties signing by phone (and one refusing), the seal,
the template rules, the permission matrix and bad input that changes nothing."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from fengqiao.cases.actions import ActionForbidden, ActionInvalid, InvalidTransition
from fengqiao.cases.models import CaseEvent
from fengqiao.core import crypto
from fengqiao.mediation import actions, agreements
from fengqiao.mediation.models import Agreement, AgreementStatus, AgreementTemplate, Decision, Signature
from fengqiao.notify.models import Notification, OutboundMessage
from tests.conftest import Org
from tests.helpers import world_snapshot
from tests.mediation.conftest import draft_data, drafted, mediating_case, sign_by_phone

pytestmark = pytest.mark.django_db
APPLICANT, RESPONDENT = "13812341234", "13900001111"


def test_agreement_text_is_the_case(org: Org) -> None:
    case, a = drafted(org)
    text = a.text
    assert text.startswith("人民调解协议书")
    assert f"编号：{case.display_code}（第1版）" in text
    assert "申请人：王小明（身份证号 110105********X）" in text
    assert "被申请人：李大年" in text
    assert "被申请人新建三层楼房，挡住申请人家南面采光" in text
    assert "被申请人建房前未征求相邻方意见，负主要责任。" in text
    assert "一、被申请人李大年向申请人支付采光损失补偿款，金额人民币5,000.00元，于2026年12月31日前履行完毕。" in text
    assert "二、双方今后互不追究。" in text
    assert "履行方式、时限：\n以银行转账方式一次性支付。" in text
    assert "调解组织：白塔镇人民调解委员会" in text and "调解员：陈调解" in text
    assert "{{" not in text
    assert a.text_sha256 == hashlib.sha256(text.encode()).hexdigest()
    assert a.status == AgreementStatus.SIGNING and a.version == 1
    assert sorted(Signature.objects.filter(agreement=a).values_list("party__role", flat=True)) == [
        "applicant",
        "respondent",
    ]
    # One invitation SMS per party, with the private link; the event is public and on the timeline.
    invites = list(OutboundMessage.objects.filter(template="agreement"))
    assert sorted(str(m.recipient) for m in invites) == [APPLICANT, RESPONDENT]
    assert all("https://fq.example.cn/portal/agreement/" in m.text for m in invites)
    ev = CaseEvent.objects.get(case=case, code="mediation.agreement_draft")
    assert ev.public and ev.data["text_sha256"] == a.text_sha256
    # The mediator on the team hears of it in the inbox (the actor does not).
    assert Notification.objects.filter(event=ev, user=org.user("mediator_user")).exists()


def test_docx_and_pdf_render(org: Org) -> None:
    _, a = drafted(org)
    docx = agreements.to_docx(a.text)
    assert docx[:2] == b"PK"
    import io

    from docx import Document

    body = "\n".join(p.text for p in Document(io.BytesIO(docx)).paragraphs)
    assert "人民调解协议书" in body and "金额人民币5,000.00元" in body
    pdf = agreements.to_pdf(a.text)
    assert pdf.startswith(b"%PDF") and len(pdf) > 2000


def test_two_parties_confirm_by_phone_and_the_pdf_is_sealed(org: Org, client: Any) -> None:
    case, a = drafted(org)
    s1 = a.signatures.get(party__role="applicant")
    s2 = a.signatures.get(party__role="respondent")
    page = client.get(f"/portal/agreement/{s1.token}/").content.decode()
    for line in a.text.split("\n")[1:]:
        if line.strip():
            assert line in page  # the exact text is shown
    assert "138****1234" in page and RESPONDENT not in page and APPLICANT not in page

    r = sign_by_phone(client, s1.token, APPLICANT)
    assert r.status_code == 302
    s1.refresh_from_db()
    assert s1.decision == Decision.CONFIRMED and s1.decided_at is not None
    assert s1.phone_hash == crypto.search_hash(APPLICANT) and s1.text_sha256 == a.text_sha256
    a.refresh_from_db()
    assert a.status == AgreementStatus.SIGNING and not a.pdf_sha256

    r = sign_by_phone(Client_(), s2.token, RESPONDENT)
    assert r.status_code == 302
    a.refresh_from_db()
    assert a.status == AgreementStatus.CONFIRMED and a.sealed_at is not None
    stored = a.pdf.file.read()
    assert hashlib.sha256(stored).hexdigest() == a.pdf_sha256 == a.pdf.sha256
    assert a.pdf.kind == "agreement"
    seal = CaseEvent.objects.get(case=case, code="mediation.agreement_sealed")
    assert seal.public and seal.data["pdf_sha256"] == a.pdf_sha256 and seal.data["text_sha256"] == a.text_sha256
    codes = list(CaseEvent.objects.filter(case=case, code__startswith="mediation.").values_list("code", flat=True))
    assert codes == [
        "mediation.agreement_draft",
        "mediation.agreement_confirm",
        "mediation.agreement_confirm",
        "mediation.agreement_sealed",
    ]
    # No new version once sealed.
    with pytest.raises(InvalidTransition):
        actions.draft_agreement(org.user("handler1"), case, draft_data(case))
    # The citizen tracking page reads the steps in plain words.
    track = client.get(f"/portal/t/{case.tracking_secret}/").content.decode()
    assert "调解协议已经各方确认并封存" in track


def Client_() -> Any:  # a second phone: its own session
    from django.test import Client

    return Client()


def test_one_party_refuses(org: Org, client: Any) -> None:
    case, a = drafted(org)
    s1 = a.signatures.get(party__role="applicant")
    s2 = a.signatures.get(party__role="respondent")
    # A refusal without a reason is refused, nothing recorded.
    r = client.post(f"/portal/agreement/{s2.token}/", {"action": "refuse", "sms_code": "123456", "reason": ""})
    assert r.status_code == 400 and "请写明拒绝的理由" in r.content.decode()
    r = sign_by_phone(client, s2.token, RESPONDENT, action="refuse", reason="补偿金额太高，只能接受3000元。")
    assert r.status_code == 302
    s2.refresh_from_db()
    a.refresh_from_db()
    assert s2.decision == Decision.REFUSED and s2.reason.startswith("补偿金额太高")
    assert a.status == AgreementStatus.REFUSED
    ev = CaseEvent.objects.get(case=case, code="mediation.agreement_refuse")
    assert ev.public and ev.reason.startswith("补偿金额太高")
    assert Notification.objects.filter(event=ev, user=org.user("mediator_user"), kind="agreement_refused").exists()
    # The other party can no longer confirm this version.
    r = sign_by_phone(Client_(), s1.token, APPLICANT)
    assert r.status_code == 400 and "不能再确认" in r.content.decode()
    s1.refresh_from_db()
    assert s1.decision == Decision.PENDING
    # A new version supersedes it and invites both again.
    b = actions.draft_agreement(org.user("handler1"), case, draft_data(case))
    a.refresh_from_db()
    assert b.version == 2 and a.status == AgreementStatus.REFUSED
    assert b.signatures.count() == 2


def test_wrong_code_changes_nothing(org: Org, client: Any) -> None:
    _, a = drafted(org)
    s = a.signatures.get(party__role="applicant")
    url = f"/portal/agreement/{s.token}/"
    assert client.post(url, {"action": "send_code"}).status_code == 302
    events = CaseEvent.objects.count()
    r = client.post(url, {"action": "confirm", "sms_code": "000000"})
    assert r.status_code == 400
    html = r.content.decode()
    assert "验证码不正确" in html or "验证码错误" in html
    s.refresh_from_db()
    assert s.decision == Decision.PENDING and CaseEvent.objects.count() == events
    # The portal's resend interval applies (same machinery).
    r = client.post(url, {"action": "send_code"})
    assert r.status_code == 400 and "秒后再重新获取" in r.content.decode()


def test_decide_needs_the_phone_on_record(org: Org) -> None:
    _, a = drafted(org)
    s = a.signatures.get(party__role="applicant")
    with pytest.raises(ActionForbidden):
        actions.decide(s.token, Decision.CONFIRMED, phone_hash=crypto.search_hash("13700000000"))
    with pytest.raises(ActionInvalid):
        actions.decide("no-such-token-xxxxxxxxxxxx", Decision.CONFIRMED, phone_hash="x")
    assert Signature.objects.get(pk=s.pk).decision == Decision.PENDING


def test_unknown_link_is_404(client: Any, db: Any) -> None:
    assert client.get("/portal/agreement/short/").status_code == 404
    assert client.get("/portal/agreement/" + "x" * 32 + "/").status_code == 404


@pytest.mark.parametrize(
    "field,value,error_key",
    [
        ("facts", "", "facts"),
        ("performance", "", "performance"),
        ("organisation", "", "organisation"),
        ("facts", "事" * 3001, "facts"),
        ("obligations", [], "obl_0_content"),
        ("obligations", [{"party": "", "content": "支付", "amount": "五千", "deadline": ""}], "obl_0_amount"),
        ("obligations", [{"party": "", "content": "支付", "amount": "-3", "deadline": ""}], "obl_0_amount"),
        ("obligations", [{"party": "", "content": "支付", "amount": "", "deadline": "明年"}], "obl_0_deadline"),
        ("obligations", [{"party": "999999", "content": "支付", "amount": "", "deadline": ""}], "obl_0_party"),
        ("obligations", [{"party": "", "content": "", "amount": "100", "deadline": ""}], "obl_0_content"),
    ],
)
def test_bad_draft_is_refused_under_its_field_and_changes_nothing(
    org: Org, field: str, value: Any, error_key: str
) -> None:
    case = mediating_case(org)
    before = world_snapshot(case)
    agreements_before = Agreement.objects.count()
    with pytest.raises(ActionInvalid) as exc:
        actions.draft_agreement(org.user("handler1"), case, draft_data(case, **{field: value}))
    assert error_key in exc.value.errors
    assert all("\u4e00" <= str(m)[0] <= "\u9fff" for m in exc.value.errors[error_key])  # plain Chinese
    assert world_snapshot(case) == before and Agreement.objects.count() == agreements_before
    assert not OutboundMessage.objects.filter(template="agreement").exists()


@pytest.mark.parametrize(
    "user,allowed",
    [
        ("handler1", True),  # handler of the owning town
        ("mediator_user", True),  # on the case's team
        ("grid_worker", False),  # a grid worker whose grid is not the owner
        ("handler2", False),  # another town
        ("dispatcher", False),  # county dispatcher: no mediation role
        ("leader1", False),
        ("supervisor", False),
        ("nobody", False),
    ],
)
def test_draft_permission_matrix(org: Org, user: str, allowed: bool) -> None:
    case = mediating_case(org)
    if allowed:
        assert actions.draft_agreement(org.user(user), case, draft_data(case)).version == 1
    else:
        with pytest.raises(ActionForbidden):
            actions.draft_agreement(org.user(user), case, draft_data(case))
        assert not Agreement.objects.filter(case=case).exists()


def test_state_guard(org: Org) -> None:
    from tests.helpers import case_in_state

    case = case_in_state(org, "registered")
    with pytest.raises(InvalidTransition):
        actions.draft_agreement(org.user("handler1"), case, draft_data(case))


def test_template_must_keep_the_required_fields(db: Any) -> None:
    tpl = agreements.active_template()
    assert not agreements.template_errors(tpl.body)
    tpl.body = tpl.body.replace("{{obligations}}", "").replace("{{parties}}", "{{partys}}")
    with pytest.raises(ValidationError) as exc:
        tpl.full_clean()
    text = " ".join(exc.value.message_dict["body"])
    assert "{{partys}}" in text and "协议内容" in text and "当事人基本情况" in text


def test_template_edit_raises_its_version_and_is_used(org: Org) -> None:
    tpl = agreements.active_template()
    v = tpl.version
    tpl.body = tpl.body.replace("人民调解协议书", "人民调解协议书（白塔镇）", 1)
    tpl.save()
    tpl.refresh_from_db()
    assert tpl.version == v + 1
    tpl.save()
    assert AgreementTemplate.objects.get(pk=tpl.pk).version == v + 1  # unchanged body: same version
    _, a = drafted(org)
    assert a.text.startswith("人民调解协议书（白塔镇）") and a.template_version == v + 1
