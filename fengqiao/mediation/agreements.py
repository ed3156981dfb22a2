"""The 人民调解协议书: the default template, the values filled in from the case and the mediator's
draft, and the .docx and PDF renderings.

The 人民调解法 (第二十九条) asks the agreement to state the parties' particulars, the main facts of
the dispute, the matters in dispute and each party's responsibility, and what was agreed with the
manner and time limit of performance; it is signed by the parties and the mediator and sealed by the
mediation committee. A template must keep the placeholders for these (:data:`REQUIRED`)."""

from __future__ import annotations

import hashlib
import io
import json
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone

from fengqiao.cases.choices import PartyKind, PartyRole
from fengqiao.core import crypto

PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")
PLACEHOLDERS: dict[str, str] = {
    "case_code": "案件编号",
    "version": "协议版本",
    "parties": "当事人基本情况",
    "facts": "纠纷主要事实、争议事项",
    "responsibilities": "各方当事人的责任",
    "obligations": "协议内容（义务、金额、期限）",
    "performance": "履行方式、时限",
    "organisation": "调解组织",
    "mediators": "调解员",
    "date": "日期",
}
REQUIRED = ("parties", "facts", "obligations", "performance", "organisation", "mediators")

DEFAULT_BODY = """人民调解协议书

编号：{{case_code}}（第{{version}}版）

当事人基本情况：
{{parties}}

纠纷主要事实、争议事项：
{{facts}}

各方当事人的责任：
{{responsibilities}}

经{{organisation}}主持调解，当事人自愿达成如下协议：
{{obligations}}

履行方式、时限：
{{performance}}

本协议经各方当事人确认（签名或经短信验证的在线确认）、调解员签名并加盖人民调解委员会印章后生效，具有法律约束力，当事人应当按照约定履行。当事人可以自本协议生效之日起三十日内共同向人民法院申请司法确认。

调解组织：{{organisation}}
调解员：{{mediators}}
日期：{{date}}"""

NUMERALS = "一二三四五六七八九十"


def template_errors(body: str) -> list[str]:
    """Plain-Chinese problems of a template body (empty when it may be used)."""
    used = set(PLACEHOLDER.findall(body or ""))
    errors = []
    unknown = sorted(used - set(PLACEHOLDERS))
    if unknown:
        errors.append("模板中有未知的占位符：" + "、".join("{{" + u + "}}" for u in unknown) + "。")
    missing = [k for k in REQUIRED if k not in used]
    if missing:
        errors.append(
            "人民调解法要求协议书载明的内容缺少占位符："
            + "、".join(f"{PLACEHOLDERS[k]}（{{{{{k}}}}}）" for k in missing)
            + "。"
        )
    return errors


def active_template() -> Any:
    """The active template (the default one is created the first time it is needed)."""
    from fengqiao.mediation.models import AgreementTemplate

    tpl = AgreementTemplate.objects.filter(is_active=True).order_by("-updated_at", "-pk").first()
    if tpl is None:
        tpl = AgreementTemplate.objects.create(name="人民调解协议书", body=DEFAULT_BODY)
    return tpl


def party_line(party: Any) -> str:
    role = PartyRole(party.role).label
    name = str(party.name or "（未填写姓名）")
    extra = []
    if party.id_number:
        label = "统一社会信用代码" if party.kind != PartyKind.PERSON else "身份证号"
        extra.append(f"{label} {crypto.mask_id_number(str(party.id_number))}")
    return f"{role}：{name}" + (f"（{'，'.join(extra)}）" if extra else "")


def amount_text(raw: Any) -> str:
    """ "5000" → "5,000.00"; "" when empty; raises ValueError for anything else."""
    if raw in (None, ""):
        return ""
    try:
        value = Decimal(str(raw).replace(",", "").strip())
    except InvalidOperation:
        raise ValueError("金额须为数字。")
    if value <= 0 or value >= Decimal("1e10"):
        raise ValueError("金额须大于0且小于一百亿元。")
    return f"{value:,.2f}"


def obligation_lines(obligations: list[dict[str, Any]], parties: dict[int, Any]) -> str:
    lines = []
    for i, o in enumerate(obligations):
        number = NUMERALS[i] if i < len(NUMERALS) else str(i + 1)
        who = parties.get(int(o.get("party") or 0))
        subject = f"{PartyRole(who.role).label}{who.name}" if who is not None else ""
        line = f"{number}、{subject}{o['content'].rstrip('。；;，, ')}"
        if o.get("amount"):
            line += f"，金额人民币{o['amount']}元"
        if o.get("deadline"):
            y, m, d = (int(x) for x in str(o["deadline"]).split("-"))
            line += f"，于{y}年{m}月{d}日前履行完毕"
        lines.append(line + "。")
    return "\n".join(lines)


def fill(body: str, values: dict[str, str]) -> str:
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), ""), body)


def signing_parties(case: Any) -> list[Any]:
    """The parties who sign: all of the case's parties except, on a court referral, the referring court
    (recorded as a third-party organisation so that it is reported to)."""
    parties = list(case.parties.order_by("role", "pk"))
    if case.channel == "court":
        parties = [p for p in parties if not (p.role == PartyRole.THIRD and p.kind != PartyKind.PERSON)]
    return parties


def render_text(case: Any, draft: dict[str, Any], version: int, body: str, now: Any = None) -> str:
    """The agreement's full text for ``case`` from the mediator's ``draft`` (facts, responsibilities,
    obligations, performance, organisation)."""
    parties = signing_parties(case)
    by_pk = {p.pk: p for p in parties}
    mediators = "、".join(m.mediator.name for m in case.team.select_related("mediator").order_by("-is_lead", "pk"))
    when = timezone.localtime(now or timezone.now())
    values = {
        "case_code": case.display_code,
        "version": str(version),
        "parties": "\n".join(party_line(p) for p in parties) or "—",
        "facts": draft["facts"],
        "responsibilities": draft.get("responsibilities") or "无",
        "obligations": obligation_lines(draft["obligations"], by_pk),
        "performance": draft["performance"],
        "organisation": draft["organisation"],
        "mediators": mediators or (getattr(draft.get("author"), "display_name", "") or "—"),
        "date": f"{when.year}年{when.month}月{when.day}日",
    }
    return fill(body, values).strip()


def sha256(data: str | bytes) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def obligations_of(agreement: Any) -> list[dict[str, Any]]:
    try:
        return list(json.loads(agreement.obligations or "[]"))
    except ValueError:
        return []


# --------------------------------------------------------------------------------------------- files


def to_docx(text: str) -> bytes:
    """The text as a Word document: the first line the centred title, one paragraph per line."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Pt

    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.name = "SimSun"
    normal.font.size = Pt(12)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "宋体")
    lines = text.split("\n")
    title = doc.add_paragraph()
    run = title.add_run(lines[0].strip() if lines else "人民调解协议书")
    run.bold = True
    run.font.size = Pt(18)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for line in lines[1:]:
        doc.add_paragraph(line)
    table = doc.add_table(rows=2, cols=2)
    table.style = "Table Grid"
    for i, (left, right) in enumerate(
        [("申请人（签名）：", "被申请人（签名）："), ("调解员（签名）：", "人民调解委员会（盖章）：")]
    ):
        table.cell(i, 0).text = left
        table.cell(i, 1).text = right
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def to_pdf(text: str, signatures: list[Any] | None = None, title: str = "人民调解协议书") -> bytes:
    """The text as an A4 PDF with the project's CJK font (as the 一事一档 PDF); with ``signatures``
    a record of each party's confirmation follows (role, masked name, result, time, phone hash)."""
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from fengqiao.core.inputcheck import strip_control
    from fengqiao.core.pdftext import glyph_safe, pdf_font

    font = pdf_font()
    body = ParagraphStyle("body", fontName=font, fontSize=11, leading=18)
    h1 = ParagraphStyle("h1", parent=body, fontSize=18, leading=26, alignment=TA_CENTER, spaceAfter=8)
    small = ParagraphStyle("small", parent=body, fontSize=8.5, leading=12)

    def p(value: Any, style: ParagraphStyle = body) -> Paragraph:
        return Paragraph(glyph_safe(escape(strip_control(str(value or ""))), font) or "&nbsp;", style)

    lines = text.split("\n")
    story: list[Any] = [p(lines[0].strip() if lines else title, h1)]
    story += [p(line) for line in lines[1:]]
    if signatures:
        story += [Spacer(1, 6 * mm), p("当事人确认记录", ParagraphStyle("h2", parent=body, fontSize=13, leading=20))]
        rows = [
            [p("身份", small), p("姓名", small), p("结果", small), p("时间", small), p("手机号哈希（前16位）", small)]
        ]
        for s in signatures:
            rows.append(
                [
                    p(PartyRole(s.party.role).label, small),
                    p(s.party.masked_name, small),
                    p(s.get_decision_display(), small),
                    p(f"{timezone.localtime(s.decided_at):%Y-%m-%d %H:%M:%S}" if s.decided_at else "—", small),
                    p(s.phone_hash[:16] or "—", small),
                ]
            )
        table = Table(rows, colWidths=[22 * mm, 28 * mm, 20 * mm, 40 * mm, 54 * mm], repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        story.append(table)
    story += [Spacer(1, 4 * mm), p(f"协议全文 SHA-256：{sha256(text)}", small)]
    buf = io.BytesIO()
    SimpleDocTemplate(
        buf, pagesize=A4, leftMargin=22 * mm, rightMargin=22 * mm, topMargin=20 * mm, bottomMargin=18 * mm, title=title
    ).build(story)
    return buf.getvalue()
