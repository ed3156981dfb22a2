"""一事一档 (the case file) and 一人一档 (the staff member's file): data and PDF rendering."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, Q
from django.utils import timezone

from fengqiao.cases.events import event_label, via_label
from fengqiao.cases.models import Case, CaseEvent
from fengqiao.cases.workflow import OPEN_STATES, State
from fengqiao.core.inputcheck import strip_control
from fengqiao.core.pdftext import glyph_safe, pdf_font
from fengqiao.org.models import User
from fengqiao.supervision.models import AccountabilityRecord, Instruction, ReverseCheck


def case_file(case: Case) -> dict[str, Any]:
    events = list(case.events.select_related("actor", "actor_unit").order_by("at", "pk"))
    team = list(case.team.select_related("mediator"))
    sessions = list(case.sessions.select_related("recorded_by").order_by("held_at", "pk"))
    for s in sessions:  # the mediators of a session are the case's team, and whoever recorded it
        names = [m.mediator.name for m in team]
        if s.recorded_by is not None and str(s.recorded_by) not in names:
            names.append(str(s.recorded_by))
        s.mediator_names = "、".join(names)  # type: ignore[attr-defined]
    return {
        "case": case,
        "parties": list(case.parties.all()),
        "events": [(e, event_label(e.code), str(e.actor) if e.actor else via_label(e.via)) for e in events],
        "sessions": sessions,
        "meetings": list(case.meetings.order_by("held_at", "pk")),
        "team": team,
        "attachments": list(case.attachments.all()),
        "instructions": list(case.instructions.select_related("author", "answered_by")),
        "generated_at": timezone.now(),
    }


@dataclass
class PersonFile:
    person: User
    handled: int
    open_now: int
    closed: int
    on_time: int
    overdue_open: int
    ratings: dict[str, int]
    instructions: int
    instructions_answered: int
    records: list[AccountabilityRecord]
    checks: list[ReverseCheck]
    recent: list[Case]

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.closed if self.closed else None

    @property
    def satisfaction_rate(self) -> float | None:
        valid = sum(self.ratings.values())
        return (self.ratings.get("satisfied", 0) + self.ratings.get("basic", 0)) / valid if valid else None

    @property
    def on_time_text(self) -> str:
        return rate_text(self.on_time, self.closed)

    @property
    def satisfaction_text(self) -> str:
        return rate_text(self.ratings.get("satisfied", 0) + self.ratings.get("basic", 0), sum(self.ratings.values()))

    @property
    def subtitle(self) -> str:
        """Title and unit, whichever are known, without a dangling separator."""
        return " · ".join(x for x in (self.person.title, self.person.unit.name if self.person.unit else "") if x)


def rate_text(part: int, whole: int) -> str:
    """A rate as people read it: "80%（4/5）"; "—" when there is nothing to divide by."""
    if not whole:
        return "—"
    pct = 100 * part / whole
    shown = f"{pct:.0f}" if pct == int(pct) or pct >= 10 else f"{pct:.1f}"
    return f"{shown}%（{part}/{whole}）"


def person_file(person: User) -> PersonFile:
    cases = Case.objects.filter(handler=person)
    agg = cases.aggregate(
        handled=Count("pk"),
        open_now=Count("pk", filter=Q(state__in=OPEN_STATES)),
        closed=Count("pk", filter=Q(resolved_at__isnull=False)),
        on_time=Count("pk", filter=Q(resolved_at__isnull=False, resolved_at__lte=F("due_at"))),
        overdue_open=Count("pk", filter=Q(state__in=OPEN_STATES, due_at__lt=timezone.now())),
    )
    ratings = dict(cases.exclude(satisfaction="").values_list("satisfaction").annotate(n=Count("pk")))
    instr = Instruction.objects.filter(case__handler=person)
    answered_by_me = Instruction.objects.filter(answered_by=person).count()
    records = list(AccountabilityRecord.objects.filter(person=person).order_by("-detected_at")[:100])
    return PersonFile(
        person=person,
        ratings=ratings,
        instructions=instr.count(),
        instructions_answered=answered_by_me,
        records=records,
        checks=list(ReverseCheck.objects.filter(record__person=person).select_related("record", "opened_by")),
        recent=list(cases.select_related("category", "owner_unit").order_by("-created_at")[:20]),
        **agg,
    )


def case_file_pdf(case: Case) -> bytes:
    """The case file as an A4 PDF (reportlab), with a CJK font embedded where one is installed."""
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = pdf_font()
    body = ParagraphStyle("body", fontName=font, fontSize=9.5, leading=14)
    h1 = ParagraphStyle("h1", parent=body, fontSize=16, leading=22, spaceAfter=6)
    h2 = ParagraphStyle("h2", parent=body, fontSize=12, leading=18, spaceBefore=8, spaceAfter=4)
    data = case_file(case)

    def p(text: Any, style: ParagraphStyle = body) -> Paragraph:
        # Control characters (stored before input refused them) would break reportlab's markup parser.
        return Paragraph(glyph_safe(escape(strip_control(str(text or ""))), font).replace("\n", "<br/>"), style)

    story: list[Any] = [
        p(f"一事一档 · 案件 {case.display_code}", h1),
        p(
            f"{case.title}　|　{case.get_state_display()}　|　{case.category or '未分类'}　|　{case.get_channel_display()}"
        ),
        p(
            f"责任单位：{case.owner_unit}　登记：{timezone.localtime(case.created_at):%Y-%m-%d %H:%M}　"
            f"办结时限：{timezone.localtime(case.due_at):%Y-%m-%d %H:%M}"
            if case.due_at
            else ""
        ),
        Spacer(1, 4 * mm),
        p("事项描述", h2),
        *[p(piece) for piece in text_pieces(case.description, lines=40, width=50)],
        p("当事人（已脱敏）", h2),
    ]
    rows = [[p("身份"), p("姓名/名称"), p("电话"), p("证件号码")]]
    rows += [
        [p(x.get_role_display()), p(x.masked_name), p(x.masked_phone), p(x.masked_id_number)] for x in data["parties"]
    ]
    story.append(_table(rows, [25 * mm, 45 * mm, 40 * mm, 60 * mm], font, colors, Table, TableStyle))
    if case.state in (State.RESOLVED, State.CLOSED, State.ARCHIVED, State.UNRESOLVED):
        story += [
            p("处理结果", h2),
            p(
                f"{case.result_summary}　书面协议：{'是' if case.agreement else '否'}　事了：{_yn(case.matter_settled)}　"
                f"心结已解：{_yn(case.grievance_settled)}　群众评价：{case.get_satisfaction_display() or '未评价'}"
            ),
        ]
    story.append(p("全程记录（时间轴）", h2))
    rows = [[p("时间"), p("事件"), p("操作人/单位"), p("说明")]]
    costs = [1]  # estimated rendered lines per row
    for e, label, actor in data["events"]:
        who = " / ".join(x for x in (actor, e.actor_unit.name if e.actor_unit else "") if x)
        # The whole text, in pieces of at most ~30 lines, one row each: a note of any length flows over
        # pages (a single cell taller than a page made reportlab fail the whole file).
        for i, piece in enumerate(text_pieces(e.reason)):
            rows.append(
                [
                    p(f"{timezone.localtime(e.at):%Y-%m-%d %H:%M}" if i == 0 else "（续）"),
                    p(label + ("" if e.public else "（内部）") if i == 0 else ""),
                    p(who if i == 0 else ""),
                    p(piece),
                ]
            )
            costs.append(max(2, text_lines(piece)))
    # Stacked tables of about a page each: splitting one long table at every page wraps all of its
    # remaining rows again (quadratic in the pages); a page-sized table splits at most once.
    for i, (start, end) in enumerate(page_chunks(costs)):
        widths = [30 * mm, 32 * mm, 45 * mm, 63 * mm]
        story.append(_table(rows[start:end], widths, font, colors, Table, TableStyle, i == 0))
    if data["sessions"]:
        story.append(p("调解记录", h2))
        rows = [[p("时间"), p("地点"), p("参加人员"), p("调解员"), p("结果"), p("记录")]]
        rows += [
            [
                p(f"{timezone.localtime(x.held_at):%Y-%m-%d %H:%M}"),
                p(x.place or ("线上" if x.online_url else "—")),
                p(x.participants or "—"),
                p(x.mediator_names or "—"),
                p(x.get_outcome_display()),
                p(x.notes[:600]),
            ]
            for x in data["sessions"]
        ]
        story.append(
            _table(rows, [24 * mm, 24 * mm, 30 * mm, 26 * mm, 16 * mm, 50 * mm], font, colors, Table, TableStyle)
        )
    if data["attachments"]:
        story += [p("附件", h2)] + [
            p(f"{a.get_kind_display()}：{a.original_name}（{a.size} 字节）") for a in data["attachments"]
        ]
    story.append(Spacer(1, 6 * mm))
    story.append(p(f"生成时间：{timezone.localtime(data['generated_at']):%Y-%m-%d %H:%M}　枫桥矛盾纠纷多元化解平台"))
    buf = io.BytesIO()
    SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=f"一事一档 {case.display_code}",
    ).build(story)
    return buf.getvalue()


TABLE_LINES = 45  # one stacked table holds about a page: it splits at most once
PIECE_LINES = 30  # rendered lines per row; an A4 page holds about 50 at this size
LINE_CHARS = 18  # CJK characters per line in the 63 mm column (Latin text fits about twice as many)


def text_lines(text: str, width: int = LINE_CHARS) -> int:
    return sum(max(1, -(-len(line) // width)) for line in text.split("\n"))


def page_chunks(costs: list[int], budget: int = TABLE_LINES) -> list[tuple[int, int]]:
    """Consecutive ``(start, end)`` row ranges of at most about a page's worth of lines each."""
    out: list[tuple[int, int]] = []
    start, used = 0, 0
    for i, cost in enumerate(costs):
        if i > start and used + cost > budget:
            out.append((start, i))
            start, used = i, 0
        used += cost
    if start < len(costs):
        out.append((start, len(costs)))
    return out


def text_pieces(text: str, lines: int = PIECE_LINES, width: int = LINE_CHARS) -> list[str]:
    """``text`` cut at line breaks (or inside an overlong line) into pieces that render to at most
    ``lines`` lines of ``width`` characters each: every piece fits on a page whatever the text."""
    limit = lines * width
    pieces: list[str] = []
    current: list[str] = []
    used = 0
    for line in (text or "").split("\n"):
        while len(line) > limit:  # one enormous line: hard cuts
            head, line = line[:limit], line[limit:]
            if current:
                pieces.append("\n".join(current))
                current, used = [], 0
            pieces.append(head)
        cost = max(1, -(-len(line) // width))
        if current and used + cost > lines:
            pieces.append("\n".join(current))
            current, used = [], 0
        current.append(line)
        used += cost
    if current or not pieces:
        pieces.append("\n".join(current))
    return pieces


def _yn(value: bool | None) -> str:
    return "是" if value else ("否" if value is False else "—")


def _table(
    rows: list[list[Any]],
    widths: list[float],
    font: str,
    colors: Any,
    Table: Any,
    TableStyle: Any,
    header: bool = True,
) -> Any:
    # splitInRow: should a row still be taller than a page, it continues on the next page instead of
    # failing the whole file with a LayoutError.
    t = Table(rows, colWidths=widths, repeatRows=1 if header else 0, splitInRow=1)
    t.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), font),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#9aa5b1")),
                *([("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f7"))] if header else []),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return t


__all__ = ["CaseEvent", "case_file", "case_file_pdf", "person_file"]
