"""Demo data for mediation: agreements on a few mediated cases (one confirmed by both parties and
sealed, then confirmed by the court; one refused; others waiting), sessions planned for the coming
days. Return-visit plans come by themselves from the demo's resolved cases."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from fengqiao.cases.actions import ActionError
from fengqiao.cases.models import Case, CaseEvent
from fengqiao.cases.workflow import State
from fengqiao.mediation import actions, agreements, policy, schedule
from fengqiao.mediation.models import Agreement, Decision, SessionPlan

FACTS = "双方因{title}发生纠纷，经村调委会和镇综治中心多次上门了解，双方同意在调解员主持下协商解决。"


def _actor(case: Case) -> Any:
    users = [case.handler] if case.handler_id else []
    users += [m.mediator.user for m in case.team.select_related("mediator__user") if m.mediator.user_id]
    for user in users:
        if user is not None and policy.may(user, "draft_agreement", case):
            return user
    return None


def _draft(case: Case, user: Any) -> Agreement:
    parties = agreements.signing_parties(case)
    payer = next((p for p in parties if p.role == "respondent"), parties[0] if parties else None)
    return actions.draft_agreement(
        user,
        case,
        {
            "facts": FACTS.format(title=case.title),
            "responsibilities": "双方均有沟通不畅之处，被申请人负主要责任。",
            "performance": "按约定期限一次性履行，调解委员会负责回访监督。",
            "organisation": f"{case.owner_unit.name}人民调解委员会",
            "obligations": [
                {
                    "party": payer.pk if payer else "",
                    "content": "向申请人支付补偿款",
                    "amount": "3000",
                    "deadline": (timezone.localdate() + dt.timedelta(days=30)).isoformat(),
                },
                {"party": "", "content": "双方今后和睦相处，不再就此事发生争执", "amount": "", "deadline": ""},
            ],
        },
        via="demo",
    )


def seed_mediation(limit: int = 8) -> dict[str, int]:
    if Agreement.objects.exists():
        return {"agreements": Agreement.objects.count(), "plans": SessionPlan.objects.count(), **seed_co_applicant()}
    made = {"agreements": 0, "sealed": 0, "refused": 0, "plans": 0}
    cases = (
        Case.objects.filter(state=State.MEDIATING, parties__role="respondent")
        .exclude(parties__phone_hash="")
        .select_related("owner_unit")
        .distinct()
        .order_by("created_at")
    )
    for i, case in enumerate(cases[: limit * 3]):
        if made["agreements"] >= limit:
            break
        user = _actor(case)
        if user is None or not case.parties.exists():
            continue
        a = _draft(case, user)
        made["agreements"] += 1
        signatures = list(a.signatures.select_related("party"))
        if i % 3 == 0 and all(s.party.phone_hash for s in signatures):
            for s in signatures:
                actions.decide(s.token, Decision.CONFIRMED, phone_hash=s.party.phone_hash, via="demo")
            made["sealed"] += 1
        elif i % 3 == 1 and signatures and signatures[-1].party.phone_hash:
            s = signatures[-1]
            actions.decide(
                s.token, Decision.REFUSED, "补偿金额偏高，希望再商量。", phone_hash=s.party.phone_hash, via="demo"
            )
            made["refused"] += 1
        when = timezone.localtime(timezone.now() + dt.timedelta(days=1 + i % 5)).replace(
            hour=9 + i % 6, minute=0, second=0, microsecond=0
        )
        place = "" if i % 4 == 0 else f"{case.owner_unit.name}调解室"
        url = "https://meeting.example.cn/room/" + case.code if i % 4 == 0 else ""
        try:
            schedule.schedule_session(user, case, {"starts_at": when, "place": place, "online_url": url}, via="demo")
            made["plans"] += 1
        except ActionError:
            pass
    made.update(seed_co_applicant())
    return made


def seed_co_applicant() -> dict[str, int]:
    """A second applicant on one mediating case (登记/更正当事人), once."""
    from fengqiao.cases.actions import Actor, perform

    made = {"parties_added": 0}
    first = Case.objects.filter(state=State.MEDIATING, handler__isnull=False).order_by("created_at").first()
    if first is None or first.handler is None or CaseEvent.objects.filter(code="case.edit_party", via="demo").exists():
        return made
    try:
        perform(
            "edit_party",
            first,
            Actor.staff(first.handler),
            {"role": "applicant", "name": "周桂芳", "phone": "13757120386", "reason": "共同申请人（申请人之妻）"},
            via="demo",
        )
        made["parties_added"] += 1
    except ActionError:
        pass
    return made
