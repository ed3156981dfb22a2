"""The monthly report of a unit, as .docx (python-docx) and PDF (reportlab, CJK font embedded as in
一事一档): the metrics with formulas, the unit's index and rank, the ranking of its peers, a radar
chart (PDF), the top types and places, and the worst overdue cases. Reports are kept (Report rows
and files) and listed for download."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from django.core.files.base import ContentFile
from django.db.models import Count
from django.utils import timezone

from fengqiao.cases import codes
from fengqiao.cases.models import Case
from fengqiao.cases.workflow import OPEN_STATES
from fengqiao.core.pdftext import pdf_font
from fengqiao.evaluation import services
from fengqiao.evaluation.facts import Scope
from fengqiao.evaluation.models import EvalEvent, Report
from fengqiao.evaluation.periods import Period
from fengqiao.org.choices import UnitKind
from fengqiao.org.models import Unit


@dataclass
class ReportData:
    unit: Unit
    period: Period
    results: list[Any]
    card: dict[str, Any]
    ranking: list[Any]
    top_types: list[tuple[str, int]]
    top_places: list[tuple[str, int]]
    overdue: list[tuple[str, str, int, str]]
    generated_at: Any


def collect(unit: Unit, period: Period) -> ReportData:
    card = services.scorecard(unit, period)
    kind = card["kind"] or ("town" if unit.kind == UnitKind.COUNTY else None)
    ranking = services.ranking_rows(period, kind) if kind else []
    cases = Case.objects.filter(Scope(path=unit.path).q(), created_at__gte=period.start, created_at__lt=period.end)
    top_types = [
        (r["category__parent__name"] or r["category__name"] or "未分类", r["n"])
        for r in cases.values("category__parent__name", "category__name").annotate(n=Count("id")).order_by("-n")[:5]
    ]
    top_places = [
        (r["location_unit__name"] or "未定位", r["n"])
        for r in cases.values("location_unit__name").annotate(n=Count("id")).order_by("-n")[:5]
    ]
    now = timezone.now()
    overdue_qs = (
        Case.objects.filter(Scope(path=unit.path).q(), state__in=list(OPEN_STATES), due_at__lt=min(now, period.end))
        .select_related("owner_unit")
        .order_by("due_at")[:10]
    )
    overdue = [
        (codes.display(c.code), c.title, (min(now, period.end) - c.due_at).days, c.owner_unit.name)  # type: ignore[operator]
        for c in overdue_qs
    ]
    return ReportData(unit, period, card["results"], card, ranking, top_types, top_places, overdue, now)


def _title(d: ReportData) -> str:
    return f"{d.unit.name} {d.period.label} 矛盾纠纷化解工作月报"


def to_docx(d: ReportData) -> bytes:
    from docx import Document
    from docx.oxml.ns import qn

    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "SimSun"
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")  # type: ignore[union-attr]
    doc.add_heading(_title(d), level=1)
    doc.add_paragraph(f"生成时间：{timezone.localtime(d.generated_at):%Y-%m-%d %H:%M}")
    row = d.card.get("row")
    if row is not None:
        doc.add_paragraph(
            f"矛调指数：{row.score:.1f} 分，第 {row.rank} 名（共 {d.card.get('count', 0)} 个）"
            if row.score is not None and row.rank
            else "矛调指数：本期数据不足，未排名"
        )
    doc.add_heading("一、指标", level=2)
    t = doc.add_table(rows=1, cols=5)
    t.style = "Table Grid"
    for cell, text in zip(t.rows[0].cells, ["指标", "数值", "分子", "分母", "口径"], strict=True):
        cell.text = text
    for r in d.results:
        cells = t.add_row().cells
        cells[0].text = r.name + ("（建议口径）" if r.proposed else "")
        cells[1].text = r.display
        cells[2].text = str(int(r.numerator) if float(r.numerator).is_integer() else round(r.numerator, 1))
        cells[3].text = str(int(r.denominator))
        cells[4].text = r.formula
    if d.card.get("dims"):
        doc.add_heading("二、六个维度（本单位 / 平均）", level=2)
        t = doc.add_table(rows=1, cols=3)
        t.style = "Table Grid"
        for cell, text in zip(t.rows[0].cells, ["维度", "本单位", "参评单位平均"], strict=True):
            cell.text = text
        for dim in d.card["dims"]:
            cells = t.add_row().cells
            cells[0].text = dim["name"]
            cells[1].text = "—" if dim["score"] is None else f"{dim['score']:.1f}"
            cells[2].text = "—" if dim["avg"] is None else f"{dim['avg']:.1f}"
    if d.ranking:
        doc.add_heading("三、排名", level=2)
        t = doc.add_table(rows=1, cols=4)
        t.style = "Table Grid"
        for cell, text in zip(t.rows[0].cells, ["名次", "单位", "得分", "较上期"], strict=True):
            cell.text = text
        for rr in d.ranking:
            cells = t.add_row().cells
            cells[0].text = str(rr.rank or "—")
            cells[1].text = rr.unit.name
            cells[2].text = "—" if rr.score is None else f"{rr.score:.1f}"
            cells[3].text = "—" if rr.change is None else f"{rr.change:+.1f}"
    doc.add_heading("四、高发类型与地点", level=2)
    doc.add_paragraph("类型：" + ("；".join(f"{n} {c}件" for n, c in d.top_types) or "无"))
    doc.add_paragraph("地点：" + ("；".join(f"{n} {c}件" for n, c in d.top_places) or "无"))
    doc.add_heading("五、超期最久的在办案件", level=2)
    if d.overdue:
        for code, title, days, owner in d.overdue:
            doc.add_paragraph(f"{code} {title}（{owner}，超期 {days} 天）", style="List Bullet")
    else:
        doc.add_paragraph("无超期在办案件。")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def to_pdf(d: ReportData) -> bytes:
    from reportlab.graphics.charts.spider import SpiderChart
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = pdf_font()
    h1 = ParagraphStyle("h1", fontName=font, fontSize=15, leading=20, spaceAfter=6)
    h2 = ParagraphStyle("h2", fontName=font, fontSize=12, leading=16, spaceBefore=8, spaceAfter=4)
    body = ParagraphStyle("b", fontName=font, fontSize=9, leading=12)
    small = ParagraphStyle("s", fontName=font, fontSize=7.5, leading=10)
    story: list[Any] = [
        Paragraph(_title(d), h1),
        Paragraph(f"生成时间：{timezone.localtime(d.generated_at):%Y-%m-%d %H:%M}", body),
    ]
    row = d.card.get("row")
    if row is not None and row.score is not None and row.rank:
        story.append(
            Paragraph(f"矛调指数：{row.score:.1f} 分，第 {row.rank} 名（共 {d.card.get('count', 0)} 个）", body)
        )
    style = TableStyle(
        [
            ("FONTNAME", (0, 0), (-1, -1), font),
            ("FONTSIZE", (0, 0), (-1, -1), 8),
            ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f7")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]
    )
    story.append(Paragraph("一、指标", h2))
    data: list[list[Any]] = [["指标", "数值", "分子", "分母", "口径"]]
    for r in d.results:
        data.append(
            [
                Paragraph(r.name + ("（建议）" if r.proposed else ""), small),
                r.display,
                f"{r.numerator:g}",
                f"{r.denominator:g}",
                Paragraph(r.formula, small),
            ]
        )
    story.append(Table(data, colWidths=[32 * mm, 18 * mm, 16 * mm, 16 * mm, 88 * mm], style=style, repeatRows=1))
    dims = d.card.get("dims") or []
    if dims and any(x["score"] is not None for x in dims):
        story.append(Paragraph("二、六边雷达图（本单位 / 参评单位平均）", h2))
        drawing = Drawing(170 * mm, 75 * mm)
        chart = SpiderChart()
        chart.x, chart.y, chart.width, chart.height = 40 * mm, 5 * mm, 65 * mm, 65 * mm
        chart.data = [[x["score"] or 0 for x in dims], [x["avg"] or 0 for x in dims]]
        chart.labels = [x["name"] for x in dims]
        chart.strandLabels.fontName = font
        chart.spokeLabels.fontName = font
        chart.strands[0].strokeColor = colors.HexColor("#1f6feb")
        chart.strands[1].strokeColor = colors.HexColor("#9aa4b2")
        chart.strands[0].fillColor = None
        chart.strands[1].fillColor = None
        drawing.add(chart)
        story.append(drawing)
    if d.ranking:
        story.append(Paragraph("三、排名", h2))
        data = [["名次", "单位", "得分", "较上期"]] + [
            [
                str(rr.rank or "—"),
                rr.unit.name,
                "—" if rr.score is None else f"{rr.score:.1f}",
                "—" if rr.change is None else f"{rr.change:+.1f}",
            ]
            for rr in d.ranking
        ]
        story.append(Table(data, colWidths=[15 * mm, 80 * mm, 25 * mm, 25 * mm], style=style, repeatRows=1))
    story.append(Paragraph("四、高发类型与地点", h2))
    story.append(Paragraph("类型：" + ("；".join(f"{n} {c}件" for n, c in d.top_types) or "无"), body))
    story.append(Paragraph("地点：" + ("；".join(f"{n} {c}件" for n, c in d.top_places) or "无"), body))
    story.append(Paragraph("五、超期最久的在办案件", h2))
    for code, title, days, owner in d.overdue or []:
        story.append(Paragraph(f"{code} {title}（{owner}，超期 {days} 天）", body))
    if not d.overdue:
        story.append(Paragraph("无超期在办案件。", body))
    story.append(Spacer(1, 4 * mm))
    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, title=_title(d)).build(story)
    return buf.getvalue()


def generate(unit: Unit, period: Period, user: Any = None) -> Report:
    from fengqiao.core import audit

    d = collect(unit, period)
    stem = f"{unit.code}-{period.code}-{timezone.now():%Y%m%d%H%M%S}"
    report = Report(
        unit=unit, period=period.code, generated_by=user if getattr(user, "is_authenticated", False) else None
    )
    report.docx.save(f"{stem}.docx", ContentFile(to_docx(d)), save=False)
    report.pdf.save(f"{stem}.pdf", ContentFile(to_pdf(d)), save=False)
    report.save()
    event = EvalEvent.objects.create(
        code="report.generate", actor=report.generated_by, unit=unit, data={"report": report.pk, "period": period.code}
    )
    audit.record(
        "evaluation.report.generate",
        user=user,
        unit_id=unit.pk,
        obj=report,
        detail={"event": event.pk, "period": period.code},
    )
    return report


def generate_missing(period: Period) -> int:
    units = list(Unit.objects.filter(kind__in=[UnitKind.COUNTY, UnitKind.TOWN, UnitKind.DEPARTMENT], is_active=True))
    done = set(Report.objects.filter(period=period.code).values_list("unit_id", flat=True))
    n = 0
    for u in units:
        if u.pk not in done:
            generate(u, period)
            n += 1
    return n
