"""Pre-litigation mediation (诉前调解): what goes back to the court.

A court referral arrives through the inbound API (system kind ``court``) and opens a case on the
``court`` channel — the 30-day deadline policy with one extension applies, and the court is a
party to report to. The mediation itself uses the ordinary actions. Its end is reported to the court
by the status webhook, enriched here:

* ``resolve`` with a written agreement → the agreement (.docx, filled from the case for signature)
  and an application for judicial confirmation (司法确认申请);
* ``refer`` → the case returns to the court for fast-track trial (速裁) with the mediation record;
* ``extend`` → the new deadline and the recorded consent.

Nothing here stops a party from filing in court at any time: the court keeps its own case number
and the platform only reports.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
from pathlib import Path
from typing import Any

from django.utils import timezone

from fengqiao.cases.choices import PartyRole
from fengqiao.cases.models import Case, CaseEvent
from fengqiao.channels.models import PreLitigation, PrelitOutcome

TEMPLATE = Path(__file__).parent / "data" / "agreement_template.docx"
PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")


def _names(case: Case, role: str) -> str:
    return "、".join(str(p.name) for p in case.parties.filter(role=role).order_by("pk") if p.name) or "—"


def agreement_values(case: Case) -> dict[str, str]:
    pre = PreLitigation.objects.filter(case=case).select_related("court").first()
    mediators = "、".join(m.mediator.name for m in case.team.select_related("mediator").order_by("-is_lead", "pk"))
    return {
        "case_code": case.display_code,
        "court": pre.court.name if pre else "",
        "court_ref": pre.court_ref if pre else case.external_ref,
        "applicants": _names(case, PartyRole.APPLICANT),
        "respondents": _names(case, PartyRole.RESPONDENT),
        "title": case.title,
        "matter": case.description,
        "result": case.result_summary or "",
        "unit": case.owner_unit.name if case.owner_unit_id else "",
        "mediators": mediators or "—",
        "date": timezone.localtime().strftime("%Y年%m月%d日"),
    }


def _fill_paragraph(paragraph: Any, values: dict[str, str]) -> None:
    text = paragraph.text
    if "{{" not in text:
        return
    filled = PLACEHOLDER.sub(lambda m: values.get(m.group(1), ""), text)
    runs = paragraph.runs
    if not runs:
        return
    runs[0].text = filled  # keep the first run's formatting; placeholders may span runs
    for run in runs[1:]:
        run.text = ""


def agreement_docx(case: Case) -> bytes:
    """The mediation agreement (人民调解协议书) for signature, from the .docx template."""
    from docx import Document

    doc = Document(str(TEMPLATE))
    values = agreement_values(case)
    for paragraph in doc.paragraphs:
        _fill_paragraph(paragraph, values)
    for table in doc.tables:
        for row in table.rows:
            for cell in row.cells:
                for paragraph in cell.paragraphs:
                    _fill_paragraph(paragraph, values)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def mediation_record(case: Case) -> list[dict[str, Any]]:
    return [
        {
            "held_at": s.held_at.isoformat(),
            "place": s.place,
            "online": bool(s.online_url),
            "notes": s.notes,
            "outcome": s.outcome,
        }
        for s in case.sessions.order_by("held_at")
    ]


def payload_for_event(case: Case, event: CaseEvent) -> dict[str, Any]:
    """Extra webhook content for a court referral's events (empty for other cases)."""
    if case.channel != "court":
        return {}
    pre = PreLitigation.objects.filter(case=case).first()
    if pre is None:
        return {}
    extra: dict[str, Any] = {"court_ref": pre.court_ref}
    if event.code == "case.extend":
        extra["prelit"] = {"type": "extended", **event.data, "consent": event.reason}
    elif event.code == "case.resolve":
        extra["prelit"] = {"type": "mediation_success", "agreement": bool(case.agreement)}
        if case.agreement:
            doc = agreement_docx(case)
            extra["prelit"]["judicial_confirmation"] = {
                "type": "application",  # 司法确认申请
                "applicants": "parties",
                "agreement_docx_base64": base64.b64encode(doc).decode(),
                "agreement_sha256": hashlib.sha256(doc).hexdigest(),
            }
        PreLitigation.objects.filter(pk=pre.pk).update(outcome=PrelitOutcome.SUCCESS, concluded_at=timezone.now())
    elif event.code == "case.refer":
        extra["prelit"] = {
            "type": "returned_for_trial",  # 调解不成，退回法院速裁
            "reason": event.reason,
            "referral": case.referral,
            "record": mediation_record(case),
        }
        PreLitigation.objects.filter(pk=pre.pk).update(outcome=PrelitOutcome.FAILED, concluded_at=timezone.now())
    elif event.code in {"case.withdraw", "case.merge"}:
        extra["prelit"] = {"type": "closed"}
        PreLitigation.objects.filter(pk=pre.pk).update(outcome=PrelitOutcome.CLOSED, concluded_at=timezone.now())
    return extra


def build_default_template(path: Path = TEMPLATE) -> None:
    """Write the default agreement template (administrators may replace the file with their own)."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    doc = Document()
    h = doc.add_heading("人民调解协议书", level=1)
    h.alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.add_paragraph("编号：{{case_code}}　　法院委派编号：{{court_ref}}")
    doc.add_paragraph("委派法院：{{court}}")
    doc.add_paragraph("调解组织：{{unit}}　　调解员：{{mediators}}")
    doc.add_paragraph("申请人：{{applicants}}")
    doc.add_paragraph("被申请人：{{respondents}}")
    doc.add_heading("纠纷主要事实、争议事项", level=2)
    doc.add_paragraph("{{title}}：{{matter}}")
    doc.add_heading("经调解，自愿达成如下协议", level=2)
    doc.add_paragraph("{{result}}")
    doc.add_paragraph("履行方式、时限：按上述约定履行。")
    doc.add_paragraph(
        "本协议自各方当事人签名（盖章）、调解员签名并加盖人民调解委员会印章之日起生效。"
        "当事人可以自本协议生效之日起三十日内共同向{{court}}申请司法确认。"
    )
    table = doc.add_table(rows=3, cols=2)
    table.style = "Table Grid"
    for i, (left, right) in enumerate(
        [
            ("申请人（签名）：", "被申请人（签名）："),
            ("调解员（签名）：", "人民调解委员会（盖章）："),
            ("日期：{{date}}", ""),
        ]
    ):
        table.cell(i, 0).text = left
        table.cell(i, 1).text = right
    doc.save(str(path))
