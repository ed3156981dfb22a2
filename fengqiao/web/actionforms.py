"""The action forms of the case page.

Each form lists the inputs of one action (labels, widgets, choices) and turns the POSTed fields into
the data that action's serializer in :mod:`fengqiao.cases.inputs` validates; validation itself, and
every rule about who may do what, stays in the action layer. Errors come back as
``ActionError.errors`` and are shown next to the fields here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.db.models import Q
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fengqiao.cases import inputs, policy
from fengqiao.cases.choices import PartyKind, PartyRole, Priority, Risk
from fengqiao.cases.models import Case, Party
from fengqiao.cases.proposals import proposed_team
from fengqiao.core import formerrors
from fengqiao.core.labels import choice_label
from fengqiao.mediation.models import Mediator, SessionOutcome, TeamMember
from fengqiao.org.choices import Role, UnitKind
from fengqiao.org.models import RoleAssignment, Unit
from fengqiao.org.paths import subtree_q
from fengqiao.supervision.models import Instruction

Choices = list[tuple[str, Any]]


def _choices(serializer: type, name: str) -> Choices:
    """The choices declared by an input serializer's ChoiceField (so the form offers exactly those)."""
    f = serializer().fields[name]  # type: ignore[operator]
    return [(str(k), v) for k, v in f.choices.items()]


@dataclass
class FormField:
    name: str
    label: Any
    widget: str = "text"  # text, textarea, select, multiselect, checkbox, tristate, datetime, url, number, code
    required: bool = False
    choices: Choices | Callable[[FormContext], Choices] | None = None
    help: Any = ""
    blank: Any = None  # label of the empty option of a select; None → no empty option

    def options(self, ctx: FormContext) -> Choices:
        if callable(self.choices):
            return self.choices(ctx)
        return list(self.choices or [])


@dataclass
class ActionForm:
    name: str
    fields: list[FormField] = field(default_factory=list)
    button: Any = ""
    intro: Any = ""
    danger: bool = False


class FormContext:
    """Per-request data the forms' choices need (computed once, only for the forms shown). The case
    page passes what it has loaded already (team, unanswered instructions, assisting units, unit
    chains) so the forms do not read them again."""

    def __init__(
        self,
        case: Case,
        user: Any,
        pool_query: str = "",
        *,
        team: list[TeamMember] | None = None,
        unanswered: list[Instruction] | None = None,
        assisting: list[Unit] | None = None,
        chains: dict[int, list[Unit]] | None = None,
        parties: list[Party] | None = None,
    ):
        self.case = case
        self._parties = parties
        self.user = user
        self.pool_query = pool_query.strip()[:40]
        self._unit_choices: dict[str, Choices] = {}
        self._team = team
        self._unanswered = unanswered
        self._assisting = assisting
        self._chains = chains or {}

    def _ancestor_of_kind(self, unit: Unit, kind: str) -> Unit | None:
        chain = self._chains.get(unit.pk)
        if chain is None:
            return unit.ancestor_of_kind(kind)
        return next((u for u in reversed(chain) if u.kind == kind), None)

    @cached_property
    def team(self) -> list[TeamMember]:
        return self._team if self._team is not None else list(self.case.team.select_related("mediator"))

    @cached_property
    def owner_chain_ids(self) -> list[int]:
        return [int(x) for x in self.case.owner_path.strip("/").split("/") if x]

    def party_choices(self) -> Choices:
        """The case's parties, masked (the page never shows their details in a form)."""
        return [
            (str(p.pk), f"{p.get_role_display()} {p.masked_name}{'（' + p.masked_phone + '）' if p.phone else ''}")
            for p in (
                sorted(self._parties, key=lambda p: (p.role, p.pk))
                if self._parties is not None
                else self.case.parties.order_by("role", "pk")
            )
        ]

    def handler_choices(self) -> Choices:
        """Staff who may handle the case: desk roles at the owner unit or one of its ancestors (what
        assign_person accepts), nearest unit first."""
        rows = (
            RoleAssignment.objects.filter(
                unit_id__in=self.owner_chain_ids,
                unit__is_active=True,
                user__is_active=True,
                role__in=[Role.HANDLER, Role.GRID_WORKER, Role.DISPATCHER, Role.MEDIATOR],
            )
            .select_related("user", "unit")
            .order_by("-unit__depth", "user__username")
        )
        seen: set[int] = set()
        out: Choices = []
        for ra in rows:
            if ra.user_id in seen:
                continue
            seen.add(ra.user_id)
            out.append((str(ra.user_id), f"{ra.user}（{ra.get_role_display()} · {ra.unit.name}）"))
        return out

    @cached_property
    def _town(self) -> Unit | None:
        unit = self.case.location_unit or self.case.owner_unit
        return self._ancestor_of_kind(unit, UnitKind.TOWN)

    @cached_property
    def _candidate_units(self) -> list[Unit]:
        """The county-level units (centre, departments, task force), the towns and their centres, and
        the villages and grids of the case's own town — loaded once per page for every unit picker."""
        case = self.case
        county = self._ancestor_of_kind(case.owner_unit, UnitKind.COUNTY)
        q = Q(pk__in=[])
        if county is not None:
            q |= Q(parent=county) | Q(parent__parent=county, kind__in=[UnitKind.SUBCENTRE, UnitKind.STATION])
        if self._town is not None:
            q |= subtree_q("path", self._town.path) & Q(kind__in=[UnitKind.VILLAGE, UnitKind.GRID, UnitKind.SUBCENTRE])
        qs = Unit.objects.filter(q, is_active=True).exclude(pk=case.owner_unit_id).only("pk", "name", "kind", "path")
        return list(qs.order_by("path")[:2000])

    def unit_choices(self, action: str) -> Choices:
        """Units worth offering as a target (see ``_candidate_units``); for ``assign_unit`` only units
        under the actor's unit (the action refuses others anyway), for ``escalate`` no villages or grids.
        Computed once per action (``add_assist`` offers the same list twice)."""
        cached = self._unit_choices.get(action)
        if cached is None:
            cached = self._unit_choices[action] = self._compute_unit_choices(action)
        return cached

    def _compute_unit_choices(self, action: str) -> Choices:
        units = self._candidate_units
        if action == "assign_unit":
            grant = policy.grant_for(self.user, "assign_unit", self.case)
            if grant is not None and grant.unit is not None:
                prefix = grant.unit.path  # a subtree is exactly the paths starting with the unit's path
                units = [u for u in units if u.path.startswith(prefix)]
        if action == "escalate":
            low = {UnitKind.VILLAGE, UnitKind.GRID, UnitKind.MICROGRID}
            units = [u for u in units if u.kind not in low]
        return [(str(u.pk), f"{u.name}（{choice_label(UnitKind, u.kind)}）") for u in units[:400]]

    def assisting_choices(self) -> Choices:
        units = self._assisting
        if units is None:
            units = [cu.unit for cu in self.case.assisting.select_related("unit")]
        return [(str(u.pk), u.name) for u in units]

    def team_choices(self) -> Choices:
        return [(str(m.mediator_id), f"{m.mediator}{'（首席）' if m.is_lead else ''}") for m in self.team]

    @cached_property
    def proposal(self) -> list[tuple[int, bool]]:
        """Triage's proposed team for this case, not yet on it: ``(mediator id, is the proposed lead)``,
        the lead first (one UI for the proposal and 点兵点将: the attach-team form)."""
        on_team = {m.mediator_id for m in self.team}
        rows = proposed_team(self.case)
        out = [(int(m["mediator"]), bool(m.get("lead"))) for m in rows if m.get("mediator") not in on_team]
        return sorted(out, key=lambda r: not r[1])

    @cached_property
    def mediator_pool(self) -> list[Mediator]:
        """Triage's proposal first (its lead at the top), then suggested mediators (same town or on the
        owner's chain, with spare capacity, least loaded first), plus — 点兵点将 — anyone in the pool
        matching the search."""
        on_team = {m.mediator_id for m in self.team}
        proposed_ids = [pk for pk, _lead in self.proposal]
        proposed_by_id = {m.pk: m for m in Mediator.objects.filter(pk__in=proposed_ids)}
        proposed = [proposed_by_id[pk] for pk in proposed_ids if pk in proposed_by_id]
        near = Q(unit_id__in=self.owner_chain_ids)
        if self._town is not None:
            near |= Q(unit__path__gte=self._town.path, unit__path__lt=self._town.path[:-1] + "0")
        suggested = list(
            Mediator.objects.filter(near, available=True)
            .exclude(pk__in=on_team | set(proposed_ids))
            .order_by("active_cases", "name")[:12]
        )
        if self.pool_query:
            found = Mediator.objects.filter(name__icontains=self.pool_query).exclude(pk__in=on_team)
            extra = [m for m in found.order_by("active_cases", "name")[:20] if m not in suggested and m not in proposed]
            suggested = extra + suggested
        return proposed + suggested

    def mediator_choices(self) -> Choices:
        return self._mediator_choices

    @cached_property
    def _mediator_choices(self) -> Choices:
        lead = {pk for pk, is_lead in self.proposal if is_lead}
        proposed = {pk for pk, _l in self.proposal}
        return [
            (
                str(m.pk),
                f"{m.name}（{m.get_kind_display()}，在办 {m.active_cases}/{m.capacity}）"
                + (str(_("· 推荐首席")) if m.pk in lead else str(_("· 分流推荐")) if m.pk in proposed else ""),
            )
            for m in self.mediator_pool
        ]

    def instruction_choices(self) -> Choices:
        if self._unanswered is not None:
            return [(str(i.pk), i.text[:40]) for i in sorted(self._unanswered, key=lambda i: i.pk)]
        return [
            (str(i.pk), i.text[:40]) for i in self.case.instructions.filter(answered_at__isnull=True).order_by("pk")
        ]


_REASON = FormField("reason", _("理由"), "textarea", required=True)
_REASON_OPT = FormField("reason", _("说明（可选）"), "textarea")


def _units(action: str) -> Callable[[FormContext], Choices]:
    return lambda ctx: ctx.unit_choices(action)


FORMS: dict[str, ActionForm] = {
    f.name: f
    for f in [
        ActionForm("accept", [_REASON_OPT], _("确认受理")),
        ActionForm(
            "assign_person",
            [
                FormField(
                    "handler", _("承办人"), "select", True, lambda ctx: ctx.handler_choices(), blank=_("请选择承办人")
                ),
                _REASON_OPT,
            ],
            _("指派"),
        ),
        ActionForm(
            "assign_unit",
            [
                FormField("unit", _("交办单位"), "select", True, _units("assign_unit"), blank=_("请选择单位")),
                _REASON_OPT,
            ],
            _("交办"),
        ),
        ActionForm(
            "transfer",
            [FormField("unit", _("转至单位"), "select", True, _units("transfer"), blank=_("请选择单位")), _REASON],
            _("转办"),
        ),
        ActionForm("decline", [_REASON], _("退回（拒收）"), danger=True),
        ActionForm("return", [_REASON], _("退回交办单位"), danger=True),
        ActionForm(
            "escalate",
            [
                FormField(
                    "unit",
                    _("上报至"),
                    "select",
                    False,
                    _units("escalate"),
                    help=_("不选则自动上报上一级：网格村社 → 乡镇综治中心 → 县综治中心 → 县级专班。"),
                    blank=_("自动上报上一级"),
                ),
                _REASON,
            ],
            _("上报升级"),
        ),
        ActionForm(
            "add_assist",
            [
                FormField("units", _("协办单位"), "multiselect", True, _units("add_assist")),
                FormField("lead_unit", _("牵头单位"), "select", False, _units("add_assist"), blank=_("不指定")),
                _REASON_OPT,
            ],
            _("增加协办"),
        ),
        ActionForm(
            "joint_meeting",
            [
                FormField("held_at", _("会议时间"), "datetime", True),
                FormField("attendees", _("参会单位及人员"), "textarea", True),
                FormField("minutes", _("会议纪要"), "textarea", True),
                FormField("decisions", _("议定事项"), "textarea"),
            ],
            _("记录联席会议"),
        ),
        ActionForm(
            "attach_team",
            [
                FormField(
                    "mediators",
                    _("调解员"),
                    "checkboxes",
                    True,
                    lambda ctx: ctx.mediator_choices(),
                    help=_(
                        "分流推荐的人选在最前并已勾选，其后是同一乡镇、负荷较轻的调解员；也可在上方搜索调解资源库（点兵点将）。"
                    ),
                ),
                FormField(
                    "lead", _("首席调解员"), "select", False, lambda ctx: ctx.mediator_choices(), blank=_("默认第一位")
                ),
                FormField("reason", _("入选理由（可选）"), "text"),
            ],
            _("组建团队"),
        ),
        ActionForm(
            "detach_team",
            [
                FormField("mediator", _("调解员"), "select", True, lambda ctx: ctx.team_choices(), blank=_("请选择")),
                _REASON,
            ],
            _("移出团队"),
        ),
        ActionForm(
            "record_session",
            [
                FormField("held_at", _("调解时间"), "datetime", True),
                FormField("place", _("调解地点"), "text", help=_("现场调解填写地点；线上会商填写下方链接。")),
                FormField("online_url", _("线上会商链接"), "url", help=_("以 https:// 开头的视频会议链接。")),
                FormField("participants", _("参加人员"), "textarea"),
                FormField("notes", _("调解记录"), "textarea", True),
                FormField("outcome", _("本次结果"), "select", True, list(SessionOutcome.choices)),
            ],
            _("保存调解记录"),
        ),
        ActionForm(
            "first_contact",
            [
                FormField("method", _("联系方式"), "select", True, _choices(inputs.FirstContactInput, "method")),
                FormField("note", _("联系情况"), "textarea"),
            ],
            _("记录联系"),
        ),
        ActionForm(
            "pause",
            [
                FormField("reason", _("中止原因"), "select", True, _choices(inputs.PauseInput, "reason")),
                FormField("note", _("说明"), "textarea"),
            ],
            _("中止计时"),
        ),
        ActionForm("resume", [_REASON_OPT], _("恢复办理")),
        ActionForm(
            "extend",
            [
                FormField("days", _("延长天数"), "number", True, help=_("只能延长一次，不超过时限规则允许的天数。")),
                FormField(
                    "consent",
                    _("当事人同意情况"),
                    "textarea",
                    True,
                    help=_("谁以何种方式同意，例如：双方当事人书面同意"),
                ),
            ],
            _("延长时限"),
        ),
        ActionForm(
            "resolve",
            [
                FormField("matter_settled", _("事了：纠纷事项已解决"), "checkbox"),
                FormField("grievance_settled", _("心解：当事人心结已解开"), "checkbox"),
                FormField("agreement", _("已签订书面调解协议"), "checkbox"),
                FormField("result", _("处理结果"), "textarea", True),
            ],
            _("化解办结"),
            intro=_("事心双解：分别确认“事了”与“心解”。"),
        ),
        ActionForm(
            "refer",
            [
                FormField("referral", _("转介途径"), "select", True, _choices(inputs.ReferInput, "referral")),
                _REASON,
            ],
            _("转介"),
            danger=True,
        ),
        ActionForm(
            "rate",
            [
                FormField("satisfaction", _("满意度"), "select", True, _choices(inputs.RateInput, "satisfaction")),
                FormField("matter_settled", _("事了"), "tristate"),
                FormField("grievance_settled", _("心解"), "tristate"),
                FormField("comment", _("评价内容"), "textarea"),
            ],
            _("记录评价"),
            intro=_("代群众登记电话或现场评价。"),
        ),
        ActionForm(
            "return_visit",
            [
                FormField("method", _("回访方式"), "select", True, _choices(inputs.ReturnVisitInput, "method")),
                FormField("matter_settled", _("事了：纠纷事项已解决"), "checkbox"),
                FormField("grievance_settled", _("心解：当事人心结已解开"), "checkbox"),
                FormField("note", _("回访情况"), "textarea"),
            ],
            _("记录回访"),
        ),
        ActionForm("close", [_REASON_OPT], _("办结")),
        ActionForm("reopen", [_REASON], _("重新办理")),
        ActionForm("withdraw", [_REASON_OPT], _("撤回"), danger=True),
        ActionForm(
            "merge",
            [
                FormField(
                    "into", _("并入案件编码"), "code", True, help=_("如 7KQ2-M9XD-4HRT；本案将结束并指向该案件。")
                ),
                _REASON_OPT,
            ],
            _("合并"),
            danger=True,
        ),
        ActionForm("archive", [], _("归档"), intro=_("归档后案件不再变更（一事一档）。")),
        ActionForm(
            "update",
            [
                FormField("title", _("标题"), "text"),
                FormField("description", _("事项描述"), "textarea"),
                FormField("address_text", _("地址"), "text"),
                FormField("priority", _("优先级"), "select", False, [(str(v), lab) for v, lab in Priority.choices]),
                FormField("risk", _("风险等级"), "select", False, list(Risk.choices)),
                FormField("people_count", _("涉及人数"), "number"),
                FormField("reason", _("修改原因"), "text"),
            ],
            _("保存修改"),
        ),
        ActionForm(
            "edit_party",
            [
                FormField(
                    "party", _("当事人"), "select", False, lambda ctx: ctx.party_choices(), blank=_("新增当事人")
                ),
                FormField(
                    "role", _("身份"), "select", False, list(PartyRole.choices), blank=_("不变（新增默认申请人）")
                ),
                FormField("kind", _("类别"), "select", False, list(PartyKind.choices), blank=_("不变（新增默认个人）")),
                FormField("name", _("姓名/名称"), "text"),
                FormField("phone", _("联系电话"), "text"),
                FormField("id_number", _("身份证号码"), "text"),
                FormField("address", _("住址"), "text"),
                FormField("vulnerable", _("弱势群体"), "tristate"),
                FormField("reason", _("更正或补充原因"), "text", True),
            ],
            _("保存当事人"),
            intro=_("选择已有当事人则只更正填写的项目，留空的不变；不选则新增一名当事人（如共同申请人）。"),
        ),
        ActionForm(
            "note",
            [
                FormField("text", _("备注内容"), "textarea", True),
                FormField("public", _("群众可见（显示在群众查询的进度中）"), "checkbox"),
            ],
            _("添加备注"),
        ),
        ActionForm("instruct", [FormField("text", _("批示内容"), "textarea", True)], _("批示")),
        ActionForm(
            "answer_instruction",
            [
                FormField(
                    "instruction", _("批示"), "select", True, lambda ctx: ctx.instruction_choices(), blank=_("请选择")
                ),
                FormField("answer", _("办理回复"), "textarea", True),
            ],
            _("回复批示"),
        ),
    ]
}

# The order of the forms on the page: the usual next steps first.
ORDER = [
    "accept",
    "assign_person",
    "first_contact",
    "attach_team",
    "record_session",
    "resolve",
    "answer_instruction",
    "note",
    "assign_unit",
    "transfer",
    "escalate",
    "add_assist",
    "joint_meeting",
    "detach_team",
    "pause",
    "resume",
    "extend",
    "refer",
    "rate",
    "return_visit",
    "close",
    "reopen",
    "update",
    "edit_party",
    "instruct",
    "decline",
    "return",
    "merge",
    "withdraw",
    "archive",
]

_TRUE = {"on", "true", "1", "yes"}


def initial_values(name: str, case: Case, ctx: FormContext | None = None) -> dict[str, Any]:
    if name == "attach_team" and ctx is not None and ctx.proposal:  # triage's proposal, ready to confirm
        lead = next((pk for pk, is_lead in ctx.proposal if is_lead), ctx.proposal[0][0])
        return {"mediators": [str(pk) for pk, _lead in ctx.proposal], "lead": str(lead)}
    if name == "update":
        return {
            "title": case.title,
            "description": case.description,
            "address_text": case.address_text,
            "priority": str(case.priority),
            "risk": case.risk,
            "people_count": case.people_count,
        }
    now = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    if name == "record_session":
        return {"outcome": "ongoing", "held_at": now}
    if name == "joint_meeting":
        return {"held_at": now}
    return {}


def build_data(name: str, post: QueryDict, case: Case) -> dict[str, Any]:
    """The POSTed fields of form ``name`` as input for the action's serializer. Blank fields are left
    out: the serializer applies its default, or reports a required field as missing."""
    form = FORMS[name]
    if name == "attach_team":
        ids = [v for v in post.getlist("mediators") if v]
        lead = post.get("lead", "")
        reason = post.get("reason", "").strip()
        proposed = proposed_team(case)
        why = {str(m.get("mediator")): m.get("reason", "") for m in proposed}  # triage's reason for its picks
        return {
            "members": [
                {"mediator": m, "is_lead": m == lead, "reason": (reason or why.get(m) or "")[:200]} for m in ids
            ]
        }
    data: dict[str, Any] = {}
    for f in form.fields:
        if f.widget == "checkbox":
            data[f.name] = post.get(f.name, "").lower() in _TRUE
        elif f.widget == "multiselect":
            data[f.name] = [v for v in post.getlist(f.name) if v]
        elif f.widget == "tristate":
            value = post.get(f.name, "")
            if value in ("true", "false"):
                data[f.name] = value == "true"
        else:
            value = post.get(f.name, "")
            value = value.strip() if isinstance(value, str) else value
            if value:  # blank: left out, so the serializer applies its default or says it is required
                data[f.name] = value
    if name == "update":
        current = initial_values("update", case)
        data = {k: v for k, v in data.items() if k == "reason" or str(v) != str(current.get(k, ""))}
    return data


def field_errors(errors: Any) -> tuple[dict[str, list[str]], list[str]]:
    """Split ``ActionError.errors`` (DRF's nested error structure) into messages per form field and
    messages for the whole form (fengqiao.core.formerrors: never a Python repr)."""
    return formerrors.split(errors, aliases={"members": "mediators"})
