"""Excel ledgers (台账): import cases from .xlsx/.csv with a column mapping, a validation report and
all-or-nothing writes; export a filtered case list to .xlsx with the same columns.

Import goes through :func:`~fengqiao.cases.actions.register_case` (triage included, one event per
case). Idempotent: each row has a reference (the 台账编号 column, or a digest of the row when the
sheet has none) under the source system ``ledger:<unit code>`` of the importing user's unit, so
importing the same sheet again registers nothing new.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fengqiao.cases.actions import Actor, register_many, validate_many
from fengqiao.cases.inputs import RegisterInput
from fengqiao.cases.models import Category, Party
from fengqiao.core import crypto, formerrors
from fengqiao.org.models import Unit, User


@dataclass(frozen=True)
class Column:
    key: str
    label: Any
    aliases: tuple[str, ...] = ()
    required: bool = False
    export_only: bool = False


COLUMNS: list[Column] = [
    Column("external_ref", _("台账编号"), ("编号", "工单编号", "外部编号", "序号编号")),
    Column("received_at", _("受理日期"), ("日期", "登记日期", "收到时间", "反映时间")),
    Column("title", _("标题"), ("事项", "纠纷标题", "事由")),
    Column("description", _("纠纷简要情况"), ("内容", "情况", "描述", "简要情况", "纠纷情况"), required=True),
    Column("category", _("纠纷类型"), ("类型", "类别", "纠纷类别")),
    Column("address", _("发生地点"), ("地址", "地点")),
    Column("location_code", _("村社代码"), ("单位代码", "行政区划代码")),
    Column("name", _("申请人"), ("当事人", "姓名", "反映人")),
    Column("phone", _("联系电话"), ("电话", "手机", "手机号")),
    Column("respondent_name", _("被申请人"), ("对方当事人", "被反映人")),
    Column("people_count", _("涉及人数"), ("人数",)),
    Column("case_code", _("案件编号"), export_only=True),
    Column("state", _("办理状态"), export_only=True),
    Column("owner_unit", _("责任单位"), export_only=True),
]
IMPORT_COLUMNS = [c for c in COLUMNS if not c.export_only]
MAX_ROWS = 20000
WRITE_BATCH = 500  # rows per register_many call (bounded memory and query sizes)


def read_table(name: str, data: bytes) -> tuple[list[str], list[list[Any]]]:
    """Headers and rows of the first sheet of an .xlsx, or of a .csv (UTF-8 or GB18030)."""
    if name.lower().endswith(".csv"):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("gb18030")
        table: list[list[Any]] = list(csv.reader(io.StringIO(text)))
    elif name.lower().endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:
            raise ValueError(gettext("无法读取 Excel 文件：%(e)s") % {"e": exc.__class__.__name__}) from None
        ws = wb.worksheets[0]
        table = [list(r) for r in ws.iter_rows(values_only=True)]
        wb.close()
    else:
        raise ValueError(gettext("只支持 .xlsx 或 .csv 文件。"))
    while table and not any(v not in (None, "") for v in table[-1]):
        table.pop()
    if not table:
        raise ValueError(gettext("文件是空的。"))
    headers = [str(h).strip() if h is not None else "" for h in table[0]]
    if len(table) - 1 > MAX_ROWS:
        raise ValueError(gettext("一次最多导入 %(n)s 行。") % {"n": MAX_ROWS})
    return headers, table[1:]


def guess_mapping(headers: list[str]) -> dict[str, int]:
    """Field → column index, by the column's label or a known alias."""
    out: dict[str, int] = {}
    for col in IMPORT_COLUMNS:
        # The label in every language (a sheet exported in English imports again), key, aliases.
        names = {col.key, *col.aliases}
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                names.add(str(col.label))
        for i, h in enumerate(headers):
            if h in names and col.key not in out:
                out[col.key] = i
    return out


@dataclass
class Problem:
    row: int  # spreadsheet row number (the header is row 1)
    column: str
    reason: str


@dataclass
class Plan:
    payloads: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _date(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        d = value
    elif isinstance(value, dt.date):
        d = dt.datetime.combine(value, dt.time(9))
    else:
        text = _cell(value).replace("/", "-").replace(".", "-")
        parsed: dt.datetime | None = None
        for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%Y年%m月%d日"):
            try:
                parsed = dt.datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
        if parsed is None:
            raise ValueError
        d = parsed
    return timezone.make_aware(d) if timezone.is_naive(d) else d


def source_for(user: User) -> str:
    unit = user.unit if user.unit_id else None
    return f"ledger:{unit.code}"[:40] if unit is not None else "ledger"


def plan_import(headers: list[str], rows: list[list[Any]], mapping: dict[str, int], source: str) -> Plan:
    """Validate every row (the action layer's own input rules); nothing is written."""
    plan = Plan()
    label = {c.key: headers[mapping[c.key]] if c.key in mapping else str(c.label) for c in IMPORT_COLUMNS}
    for col in IMPORT_COLUMNS:
        if col.required and col.key not in mapping:
            plan.problems.append(Problem(1, str(col.label), gettext("必填列未对应到文件中的列。")))
    if plan.problems:
        return plan
    categories: dict[str, str] = {}
    for c in Category.objects.filter(is_active=True, parent__isnull=False).select_related("parent"):
        categories[c.code] = categories[c.name] = categories[f"{c.parent.name}/{c.name}"] = c.code  # type: ignore[union-attr]
    units = dict(Unit.objects.filter(is_active=True).values_list("code", "pk"))
    seen: dict[str, int] = {}
    pending: list[tuple[int, dict[str, Any]]] = []
    now = timezone.now()
    for offset, raw in enumerate(rows):
        rownum = offset + 2

        def get(key: str, raw: list[Any] = raw) -> Any:
            i = mapping.get(key)
            return raw[i] if i is not None and i < len(raw) else None

        if not any(_cell(v) for v in raw):
            continue
        before = len(plan.problems)
        description = _cell(get("description"))
        title = _cell(get("title")) or description[:30]
        data: dict[str, Any] = {
            "title": title[:100],
            "description": description,
            "channel": "import",
            "source_system": source,
            "address_text": _cell(get("address"))[:200],
        }
        cat = _cell(get("category"))
        if cat:
            if cat in categories:
                data["category"] = categories[cat]
            else:
                plan.problems.append(
                    Problem(rownum, label["category"], gettext("纠纷类型「%(v)s」不存在。") % {"v": cat})
                )
        when = get("received_at")
        if _cell(when):
            try:
                received = _date(when)
                if received is not None and received > now:
                    raise ValueError
                data["received_at"] = received
            except ValueError:
                plan.problems.append(
                    Problem(rownum, label["received_at"], gettext("日期「%(v)s」无效或晚于今天。") % {"v": _cell(when)})
                )
        loc = _cell(get("location_code"))
        if loc:
            if loc in units:
                data["location_unit"] = units[loc]
            else:
                plan.problems.append(
                    Problem(rownum, label["location_code"], gettext("单位代码「%(v)s」不存在。") % {"v": loc})
                )
        count = _cell(get("people_count"))
        if count:
            data["people_count"] = count
        name, phone = _cell(get("name")), _cell(get("phone"))
        if "*" in phone:  # a masked number from an export: keep the row, leave the phone out
            phone = ""
        parties = []
        if name or phone:
            parties.append({"role": "applicant", "name": name, "phone": phone})
        respondent = _cell(get("respondent_name"))
        if respondent:
            parties.append({"role": "respondent", "name": respondent})
        data["parties"] = parties
        ref = _cell(get("external_ref"))
        if not ref:
            digest = hashlib.sha256("|".join([title, description, _cell(when), name]).encode()).hexdigest()
            ref = "h:" + digest[:24]
        data["external_ref"] = ref[:80]
        if ref in seen:
            plan.problems.append(
                Problem(rownum, label["external_ref"], gettext("与第 %(r)s 行重复。") % {"r": seen[ref]})
            )
        seen.setdefault(ref, rownum)
        if len(plan.problems) == before:
            pending.append((rownum, data))
    # The action layer's own input rules, with one serializer for all rows.
    for (rownum, data), (_values, errors) in zip(
        pending, validate_many(RegisterInput, [d for _row, d in pending]), strict=True
    ):
        if errors is None:
            plan.payloads.append((rownum, data))
            continue
        for key, errs in errors.items():
            if key == "title" and not data["description"] and "description" in errors:
                continue  # the title is taken from the description: report the cause once
            column = _error_column(key, errs, label)
            plan.problems.append(Problem(rownum, column, _flatten(errs)))
    plan.problems.sort(key=lambda p: p.row)
    return plan


def _error_column(key: str, errs: Any, label: dict[str, str]) -> str:
    if key == "parties":
        fields = {str(p) for path, _msg in formerrors.walk(errs) for p in path}
        return label["phone"] if "phone" in fields else label["name"]
    return label.get({"address_text": "address", "location_unit": "location_code"}.get(key, key), key)


def _flatten(errs: Any) -> str:
    return "；".join(formerrors.messages(errs))


@dataclass
class ImportResult:
    created: int = 0
    existing: int = 0
    problems: list[Problem] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)


def run_import(user: User, plan: Plan, *, partial: bool = False) -> ImportResult:
    """Write the plan. All-or-nothing unless ``partial``: any problem (in validation or in the
    action layer) imports nothing."""
    result = ImportResult(problems=list(plan.problems))
    if result.problems and not partial:
        return result
    actor = Actor.staff(user)
    try:
        with transaction.atomic():
            memo: dict[Any, Any] = {}
            for start in range(0, len(plan.payloads), WRITE_BATCH):
                chunk = plan.payloads[start : start + WRITE_BATCH]
                done = register_many(actor, [data for _, data in chunk], via="import", memo=memo)
                for (rownum, _data), r in zip(chunk, done, strict=True):
                    if r.error is not None:
                        exc = r.error
                        result.problems.append(Problem(rownum, "", f"{exc.message} {_flatten(exc.errors)}".strip()))
                    elif r.created and r.case is not None:
                        result.created += 1
                        result.codes.append(r.case.code)
                    else:
                        result.existing += 1
            if result.problems and not partial:
                raise _Rollback
    except _Rollback:
        result.created = result.existing = 0
        result.codes = []
    return result


class _Rollback(Exception):
    pass


def append_safe(ws: Any, values: list[Any]) -> None:
    """Append a row of stored text to a write-only sheet so that no value can break or subvert the file:
    characters XML cannot hold (openpyxl's ILLEGAL_CHARACTERS_RE: a ``\x0b`` or ``\x1b`` in a citizen's
    description made the whole export raise) are dropped, and text starting with ``=`` stays text
    instead of becoming a formula."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    row: list[Any] = []
    for value in values:
        if isinstance(value, str):
            cell = WriteOnlyCell(ws, value=ILLEGAL_CHARACTERS_RE.sub("", value))
            cell.data_type = "s"
            row.append(cell)
        else:
            row.append(value)
    ws.append(row)


def export_xlsx(cases: Any) -> bytes:
    """The cases as an .xlsx with the ledger columns (phones masked; importable again)."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(str(_("案件台账")))
    ws.append([str(c.label) for c in COLUMNS])
    cases = list(cases.select_related("category", "category__parent", "owner_unit", "location_unit"))
    parties: dict[int, dict[str, Party]] = {}
    for p in Party.objects.filter(case__in=[c.pk for c in cases]).order_by("pk"):
        parties.setdefault(p.case_id, {}).setdefault(p.role, p)
    for c in cases:
        ps = parties.get(c.pk, {})
        applicant, respondent = ps.get("applicant"), ps.get("respondent")
        append_safe(
            ws,
            [
                c.external_ref or c.code,
                timezone.localtime(c.received_at or c.created_at).strftime("%Y-%m-%d %H:%M"),
                c.title,
                c.description,
                c.category.code if c.category_id and c.category else "",
                c.address_text,
                c.location_unit.code if c.location_unit_id and c.location_unit else "",
                crypto.mask_name(str(applicant.name)) if applicant and applicant.name else "",
                crypto.mask_phone(str(applicant.phone)) if applicant and applicant.phone else "",
                crypto.mask_name(str(respondent.name)) if respondent and respondent.name else "",
                c.people_count,
                c.display_code,
                str(c.get_state_display()),
                c.owner_unit.name if c.owner_unit_id else "",
            ],
        )
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
