"""The case actions supervision adds to the action layer (registered when this module is imported,
from SupervisionConfig.ready()): leaders' instructions (批示) and the consented extension (延期)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fengqiao.cases import inputs
from fengqiao.cases.actions import ActionForbidden, ActionInvalid, Ctx, action
from fengqiao.cases.models import CaseEvent
from fengqiao.supervision.calendar import load_calendar
from fengqiao.supervision.models import Instruction


@action("instruct", _("领导批示"), inputs.InstructInput)
def _instruct(ctx: Ctx) -> None:

    if ctx.actor.user is None:  # pragma: no cover - staff only by ACTION_ROLES
        raise ActionForbidden(gettext("只有领导可以批示。"))
    instruction = Instruction.objects.create(case=ctx.case, author=ctx.actor.user, text=ctx.data["text"])
    ctx.reason = ctx.data["text"]
    ctx.event_data = {"instruction": instruction.pk}


@action("answer_instruction", _("回复批示"), inputs.AnswerInstructionInput)
def _answer_instruction(ctx: Ctx) -> None:

    instruction = Instruction.objects.filter(pk=ctx.data["instruction"], case=ctx.case).first()
    if instruction is None:
        raise ActionInvalid(gettext("批示不存在。"), {"instruction": [gettext("该案件没有这条批示。")]})
    if instruction.answered_at is not None:
        raise ActionInvalid(gettext("该批示已回复。"), {"instruction": [gettext("该批示已回复。")]})
    instruction.answer = ctx.data["answer"]
    instruction.answered_by = ctx.actor.user
    instruction.answered_at = timezone.now()
    instruction.save(update_fields=["answer", "answered_by", "answered_at"])
    ctx.reason = ctx.data["answer"]
    ctx.event_data = {"instruction": instruction.pk}


# ---------------------------------------------------------------------------------------------
# pre-litigation and other consented extensions (fengqiao/channels)


@action("extend", _("延长时限（当事人同意）"), inputs.ExtendInput, public=True)
def _extend(ctx: Ctx) -> None:
    """Extend the completion deadline once, by the parties' consent, within what the case's deadline
    policy allows (诉前调解: 30 days + one extension of 30)."""

    c = ctx.case
    allowed = c.deadline_policy.extendable_days if c.deadline_policy is not None else 0
    if allowed <= 0 or c.due_at is None:
        raise ActionInvalid(gettext("该案件的时限规则不允许延长。"))
    if CaseEvent.objects.filter(case=c, code="case.extend").exists():
        raise ActionInvalid(gettext("办理时限只能延长一次。"), {"days": [gettext("已延长过一次。")]})
    days = ctx.data["days"]
    if days > allowed:
        raise ActionInvalid(gettext("最多可延长 %(n)s 天。") % {"n": allowed}, {"days": [gettext("超过可延长天数。")]})
    unit = c.deadline_policy.unit  # type: ignore[union-attr]
    before = c.due_at
    cal = load_calendar()
    c.due_at = cal.add(before, days, unit)
    if c.red_at is not None:
        c.red_at = cal.add(c.red_at, days, unit)
    if c.yellow_at is not None:
        c.yellow_at = cal.add(c.yellow_at, days, unit)
    c.reminded_due_at = None
    ctx.reason = ctx.data["consent"]
    ctx.event_data = {"days": days, "due_before": before.isoformat(), "due_after": c.due_at.isoformat()}
