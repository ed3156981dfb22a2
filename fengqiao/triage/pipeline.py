"""The triage pipeline, run inside ``register_case`` / ``register_many`` for every new case from every channel.

Two steps around the insert of the case row:

``prepare(values, actor)`` (before the insert) classifies the text (type and domain, the active
models of :mod:`fengqiao.triage.ml.registry`), locates the place (:mod:`.location`), weighs the risk
(:mod:`fengqiao.triage.risk`) and routes (:mod:`.routing`). It fills what the caller left empty —
type and domain when the model is confident, location, a higher risk and priority — and returns a
:class:`Plan` whose owner, level and deadline policy ``register_case`` uses.

``record_many([(plan, case, parties), ...])`` (after the insert, same transaction, in a savepoint)
stores the text signatures and looks for duplicates and group matters (:mod:`.duplicates`, set-based
for a batch), proposes teams (:mod:`.team`) and writes the
:class:`~fengqiao.triage.models.TriageResult` rows; ``Plan.after_event``
then, on high risk, notifies the leaders of the owner unit (inbox + SMS
outbox). The registration event carries the explanation and decisions (``data["triage"]``), so a
new case still has exactly one event. A failure in triage is logged and never stops the intake.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from fengqiao.triage import duplicates, routing
from fengqiao.triage.location import Location, resolve

log = logging.getLogger(__name__)

RISK_ORDER = {"low": 0, "medium": 1, "high": 2}


# ---------------------------------------------------------------------------------------------
# classifier and risk assessment, as plain data for the plan (a failure never stops the intake)


def predict(task: str, text: str) -> dict[str, Any]:
    """{"top": [{"code", "p"}], "confident": bool, "version": str}; "missing" when no model is active."""
    from fengqiao.triage.ml import registry

    try:
        r = registry.predict(task, text)
    except Exception:  # a broken model must not stop intake
        log.exception("triage classifier %s failed", task)
        r = None
    if r is None:
        return {"top": [], "confident": False, "version": "", "missing": True}
    top = [{"code": str(code), "p": round(float(p), 3)} for code, _name, p in r.top[:3]]
    return {"top": top, "confident": r.confident, "version": r.version}


def assess_risk(text: str, people: int, vulnerable: bool, history: int) -> dict[str, Any]:
    from fengqiao.triage import risk

    try:
        r = risk.assess(text, people=people, vulnerable=vulnerable, history=history)
    except Exception:
        log.exception("triage risk assessment failed")
        return {"level": "low", "score": 0, "reasons": [], "hits": [], "missing": True}
    return {
        "level": r.level if r.level in RISK_ORDER else "low",
        "score": float(r.score),
        "reasons": list(r.reasons),
        "hits": [h.as_dict() for h in r.hits],
        "_raw": r,
    }


def warm_up() -> float:
    """Load what the first triage of a process would otherwise load on a citizen's request — the
    classifiers, jieba's dictionary, cpca's matcher, the gazetteer, the risk lexicon — and return the
    seconds it took. Web processes (fengqiao/wsgi.py) and Celery workers call it once at start;
    ``FENGQIAO_WARM_UP=0`` turns it off. A failure is logged, never raised."""
    from fengqiao.triage import location

    t = time.perf_counter()
    try:
        predict("type", "邻里纠纷预热")
        predict("domain", "邻里纠纷预热")
        location._load_cpca()
        resolve("仙居县白塔镇")
        assess_risk("邻里纠纷预热", 1, False, 0)
        duplicates.minhash("邻里纠纷预热")  # datasketch (and the SciPy it imports): seconds on first use
    except Exception:
        log.exception("triage warm-up failed")
    return time.perf_counter() - t


# ---------------------------------------------------------------------------------------------
# small per-process caches of reference rows


_ref: dict[str, Any] = {}


def forget_reference(**_: Any) -> None:
    _ref.clear()


post_save.connect(forget_reference, sender="cases.Category", dispatch_uid="triage-ref-cat")
post_save.connect(forget_reference, sender="cases.Domain", dispatch_uid="triage-ref-dom")
post_delete.connect(forget_reference, sender="cases.Category", dispatch_uid="triage-ref-cat-del")
post_delete.connect(forget_reference, sender="cases.Domain", dispatch_uid="triage-ref-dom-del")


def _categories() -> dict[str, Any]:
    from fengqiao.cases.models import Category

    got = _ref.get("cat")
    if got is None or time.monotonic() - got[0] > 60:
        got = (time.monotonic(), {c.code: c for c in Category.objects.filter(is_active=True)})
        _ref["cat"] = got
    return got[1]  # type: ignore[no-any-return]


def _domains() -> dict[str, Any]:
    from fengqiao.cases.models import Domain

    got = _ref.get("dom")
    if got is None or time.monotonic() - got[0] > 60:
        got = (time.monotonic(), {d.code: d for d in Domain.objects.filter(is_active=True)})
        _ref["dom"] = got
    return got[1]  # type: ignore[no-any-return]


def _named(top: list[dict[str, Any]], table: dict[str, Any]) -> list[dict[str, Any]]:
    return [{**t, "name": table[t["code"]].name if t["code"] in table else t["code"]} for t in top]


# ---------------------------------------------------------------------------------------------
# the plan


@dataclass
class Plan:
    text: str
    started: float
    type_pred: dict[str, Any]
    domain_pred: dict[str, Any]
    category: Any
    category_source: str
    domain: Any
    domain_source: str
    location: Location
    location_unit: Any
    standard_address: Any
    risk: dict[str, Any]
    route: routing.Route
    review: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    result: Any = None

    @property
    def owner(self) -> Any:
        return self.route.owner

    @property
    def level(self) -> int | None:
        return self.route.level

    def apply_deadlines(self, case: Any, now: dt.datetime) -> None:
        if self.route.deadline_policy is not None and case.owner_unit_id == getattr(self.route.owner, "pk", None):
            routing.apply_deadline_policy(case, self.route.deadline_policy, now)

    def finish(self, case: Any, dup: duplicates.DuplicateReport, proposal: Any) -> Any:
        """The result row (unsaved) from the duplicate report and the team proposal."""
        explanation = self.route.explanation
        if self.route.owner is None:
            explanation = f"未命中任何分流规则 → 兜底：{case.owner_unit.name}"
        elif case.owner_unit_id != self.route.owner.pk:
            explanation += f"；首接负责：由{case.owner_unit.name}先行负责"
        review = list(self.review)
        if dup.merge:
            review.append(f"同一来电人近{duplicates.MERGE_DAYS}天内有相似在办案件 {dup.merge[0].code}，建议合并")
        if dup.group:
            review.append(dup.group["reason"])
        elapsed = (time.perf_counter() - self.started) * 1000
        from fengqiao.triage.models import TriageResult

        return TriageResult(
            case=case,
            elapsed_ms=round(elapsed, 2),
            type_top=_named(self.type_pred["top"], _categories()),
            domain_top=_named(self.domain_pred["top"], _domains()),
            confident=bool(self.type_pred["confident"]) or self.category_source == "given",
            location=self.location.as_dict(),
            located=case.location_unit_id is not None,
            routing=self.route.as_dict(),
            explanation=explanation,
            risk={k: v for k, v in self.risk.items() if not k.startswith("_")},
            duplicates=dup.as_list(),
            group=dup.group,
            team=proposal.members,
            needs_review=bool(review),
            review_reasons=review,
        )

    def event_data(self) -> dict[str, Any]:
        """What the registration event carries about triage (its explanation and the decisions)."""
        r = self.result
        if r is None:
            return {}
        return {
            "explanation": r.explanation,
            "category": self.category_source,
            "domain": self.domain_source,
            "type_top": r.type_top,
            "domain_top": r.domain_top,
            "location": self.location.chain,
            "location_method": self.location.method,
            "location_reason": self.location.reason,
            "rule": r.routing.get("rule"),
            "risk": r.risk.get("level"),
            "risk_reasons": r.risk.get("reasons", [])[:5],
            "duplicates": [d["code"] for d in r.duplicates],
            "group": bool(r.group),
            "team": [{"mediator": m["mediator"], "name": m["name"], "lead": m["lead"]} for m in r.team],
            "review": r.review_reasons,
            "ms": r.elapsed_ms,
            "timings": dict(self.timings),
        }

    def after_event(self, case: Any, event: Any) -> None:
        """High risk: tell the leaders (needs the event the notification points to)."""
        if self.result is not None and case.risk == "high":  # assessed, or marked by the registrar
            try:
                with transaction.atomic():
                    notify_leaders(case, event, self.result)
            except Exception:
                log.exception("high-risk notification for case %s failed", case.pk)


def _ms(t: float) -> float:
    return round((time.perf_counter() - t) * 1000, 2)


def record_many(entries: list[tuple[Plan, Any, list[dict[str, Any]]]], memo: dict[Any, Any] | None = None) -> None:
    """After the cases are inserted (same transaction, one savepoint): store their text signatures,
    look for duplicates and group matters (each case against the cases registered before it, its
    batch included), propose teams and write the result rows; each plan gets its ``result``. A
    failure is logged and the intake goes on without the stored triage."""
    if not entries:
        return
    t = time.perf_counter()
    try:
        with transaction.atomic():
            _record_many(entries, memo)
    except Exception:
        log.exception("triage of %s new case(s) could not be recorded", len(entries))
        for plan, _, _ in entries:
            plan.result = None
    share = _ms(t) / len(entries)
    for plan, _, _ in entries:
        plan.timings["record_ms"] = round(share, 2)


def _record_many(entries: list[tuple[Plan, Any, list[dict[str, Any]]]], memo: dict[Any, Any] | None) -> None:
    from fengqiao.core import crypto
    from fengqiao.triage import team
    from fengqiao.triage.models import TextSignature, TriageResult

    t = time.perf_counter()
    items = []
    for plan, case, parties in entries:
        values = duplicates.minhash(plan.text)
        phones = [crypto.search_hash(p["phone"]) for p in parties if p.get("phone")]
        items.append((case, phones, values))
    TextSignature.objects.bulk_create(
        [
            duplicates.signature_row(case.pk, plan.text, case.created_at, v)
            for (plan, _, _), (case, _, v) in zip(entries, items, strict=True)
        ]
    )
    reports = duplicates.check_many(items)
    dup_ms = _ms(t) / len(entries)

    results = []
    for (plan, case, _), dup in zip(entries, reports, strict=True):
        t = time.perf_counter()
        code = case.category.code if case.category_id and case.category else ""
        proposal = team.propose(code, case.location_unit_id, plan.text, plan.risk.get("_raw"), memo=memo)
        plan.timings["duplicates_ms"] = round(dup_ms, 2)
        plan.timings["team_ms"] = _ms(t)
        plan.result = plan.finish(case, dup, proposal)
        results.append(plan.result)
    TriageResult.objects.bulk_create(results)


def notify_leaders(case: Any, event: Any, result: Any) -> int:
    """High risk: the leaders of the owner unit (or the nearest unit above with leaders) get an inbox
    notification and an SMS through the outbox (retries, dead letter)."""
    from fengqiao.notify.models import Notification
    from fengqiao.notify.outbox import queue_sms
    from fengqiao.org.choices import Role
    from fengqiao.org.models import User

    chain = [int(x) for x in case.owner_unit.path.strip("/").split("/") if x]
    leaders: list[Any] = []
    for unit_id in reversed(chain):
        leaders = list(
            User.objects.filter(is_active=True, role_assignments__unit_id=unit_id, role_assignments__role=Role.LEADER)
        )
        if leaders:
            break
    reasons = "；".join(result.risk.get("reasons", [])[:3])
    text = (
        f"【枫桥】高风险案件{case.display_code}（{case.title[:20]}）已登记，责任单位{case.owner_unit.name}。{reasons}"[
            :300
        ]
    )
    for u in leaders:
        Notification.objects.get_or_create(user=u, event=event, defaults={"case": case, "kind": "high_risk"})
        if u.mobile:
            queue_sms(u.mobile, text, f"triage-risk:{case.pk}:{u.pk}", case=case, template="high_risk")
    return len(leaders)


def _history(parties: list[dict[str, Any]]) -> int:
    """Earlier cases of the same applicant phone (a repeat complainant weighs in the risk)."""
    from fengqiao.core import crypto

    return history_many([[crypto.search_hash(p["phone"]) for p in parties if p.get("phone")]])[0]


def prepare(
    values: dict[str, Any],
    actor: Any = None,
    now: dt.datetime | None = None,
    *,
    history: int | None = None,
    memo: dict[Any, Any] | None = None,
) -> Plan | None:
    """Triage before the insert; fills ``values`` (type, domain, location, risk, priority) and
    returns the plan (``None`` if triage itself failed — the intake goes on without it). A bulk
    registration passes the applicant's ``history`` (counted for the whole batch at once) and a
    ``memo`` dict shared by its rows (units and addresses looked up once)."""
    try:
        return _prepare(values, now or timezone.now(), history, memo if memo is not None else {})
    except Exception:
        log.exception("triage failed before registration")
        return None


def history_many(phone_hash_lists: list[list[str]]) -> list[int]:
    """Earlier cases of each applicant's phones (``_history`` of several applicants), one query."""
    from fengqiao.cases.models import Party

    wanted = {h for hs in phone_hash_lists for h in hs}
    cases: dict[str, set[int]] = {}
    if wanted:
        for h, cid in Party.objects.filter(phone_hash__in=wanted).values_list("phone_hash", "case_id"):
            cases.setdefault(h, set()).add(cid)
    return [len(set().union(*(cases.get(h, set()) for h in hs))) if hs else 0 for hs in phone_hash_lists]


def _memo_get(memo: dict[Any, Any], model: Any, pk: int) -> Any:
    key = (model._meta.label, pk)
    if key not in memo:
        memo[key] = model.objects.get(pk=pk)
    return memo[key]


def _prepare(values: dict[str, Any], now: dt.datetime, history: int | None, memo: dict[Any, Any]) -> Plan:
    from fengqiao.cases.choices import Priority
    from fengqiao.org.models import StandardAddress, Unit

    started = time.perf_counter()
    timings: dict[str, float] = {}
    text = duplicates.case_text(values.get("title", ""), values.get("description", ""))
    review: list[str] = []

    t = time.perf_counter()
    type_pred = predict("type", text)
    domain_pred = predict("domain", text)
    timings["classify_ms"] = _ms(t)
    cats, doms = _categories(), _domains()
    category, category_source = values.get("category"), "given"
    if category is None:
        category_source = ""
        top = type_pred["top"][0]["code"] if type_pred["top"] else ""
        if top in cats and cats[top].parent_id and type_pred["confident"]:
            category, category_source = cats[top], "predicted"
            values["category"] = category
        elif type_pred.get("missing"):
            review.append("无可用的类型分类模型，请人工确定纠纷类型")
        else:
            review.append("纠纷类型置信度不足，请人工确认")
    domain, domain_source = values.get("domain"), "given"
    if domain is None:
        domain_source = ""
        top = domain_pred["top"][0]["code"] if domain_pred["top"] else ""
        if top in doms and domain_pred["confident"]:
            domain, domain_source = doms[top], "predicted"
            values["domain"] = domain

    t = time.perf_counter()
    location_unit = values.get("location_unit")
    std = values.get("standard_address")
    if location_unit is None and std is not None:
        location_unit = std.grid
    if location_unit is not None:
        loc = Location(method="given", unit_id=location_unit.pk)
        from fengqiao.triage.location import gazetteer

        g = gazetteer()
        if location_unit.pk in g.units:
            loc.chain = [u.name for u in g.chain(location_unit.pk)]
    else:
        loc = resolve(values.get("address_text", ""), values.get("lat"), values.get("lon"))
        if not loc.resolved and not loc.reason.startswith("地址属于"):
            # Citizens often name the village only in the description.
            from_text = resolve(text)
            if from_text.resolved:
                from_text.method = "text"
                loc = from_text
        if loc.resolved:
            location_unit = _memo_get(memo, Unit, int(loc.unit_id or 0))
            values["location_unit"] = location_unit
            if loc.standard_address_id and std is None:
                std = _memo_get(memo, StandardAddress, loc.standard_address_id)
                values["standard_address"] = std
        else:
            review.append(f"属地未能确定：{loc.reason}")
    timings["locate_ms"] = _ms(t)

    t = time.perf_counter()
    parties = values.get("parties", [])
    risk = assess_risk(
        text,
        people=int(values.get("people_count") or 1),
        vulnerable=any(p.get("vulnerable") for p in parties),
        history=_history(parties) if history is None else history,
    )
    given_risk = values.get("risk") or "low"
    if RISK_ORDER[risk["level"]] > RISK_ORDER.get(given_risk, 0):
        values["risk"] = risk["level"]
    if values.get("risk") == "high":
        values["priority"] = max(int(values.get("priority") or Priority.NORMAL), int(Priority.URGENT))
    elif values.get("risk") == "medium":
        values["priority"] = max(int(values.get("priority") or Priority.NORMAL), int(Priority.HIGH))
    timings["risk_ms"] = _ms(t)

    t = time.perf_counter()
    route = routing.route(
        routing.RouteInput(
            category=category,
            domain=domain,
            location=location_unit,
            channel=values.get("channel", ""),
            risk=values.get("risk") or "low",
            when=now,
        )
    )
    timings["route_ms"] = _ms(t)
    timings["prepare_ms"] = _ms(started)
    return Plan(
        text=text,
        started=started,
        type_pred=type_pred,
        domain_pred=domain_pred,
        category=category,
        category_source=category_source,
        domain=domain,
        domain_source=domain_source,
        location=loc,
        location_unit=location_unit,
        standard_address=std,
        risk=risk,
        route=route,
        review=review,
        timings=timings,
    )


# ---------------------------------------------------------------------------------------------
# re-run on change


def after_update(case: Any, changed: set[str], now: dt.datetime | None = None) -> dict[str, Any]:
    """Type or location changed (``update`` action): route again. A case not yet accepted takes the
    new level and deadline policy; the owner is only suggested (moving it is a 转办 by a person).
    Returns what to add to the update event."""
    try:
        return _after_update(case, changed, now)
    except Exception:
        log.exception("re-routing case %s failed", case.pk)
        return {}


def _after_update(case: Any, changed: set[str], now: dt.datetime | None) -> dict[str, Any]:
    from fengqiao.cases.workflow import State
    from fengqiao.triage.models import TriageResult

    route = routing.route(
        routing.RouteInput(
            category=case.category,
            domain=case.domain,
            location=case.location_unit,
            channel=case.channel,
            risk=case.risk,
            when=now or timezone.now(),
        )
    )
    out: dict[str, Any] = {}
    if route.rule_id is not None:  # without a rule nothing changes: the event stays as it was
        out = {"routing": route.as_dict(), "explanation": route.explanation}
    if route.owner is not None and route.owner.pk != case.owner_unit_id:
        out["suggest_owner"] = {"unit": route.owner.pk, "name": route.owner.name}
    if case.state == State.REGISTERED and not case.pending_unit_id and route.owner is not None:
        if route.owner.pk == case.owner_unit_id and route.level is not None:
            case.level = route.level
        if route.deadline_policy is not None and route.owner.pk == case.owner_unit_id:
            routing.apply_deadline_policy(case, route.deadline_policy, case.created_at)
    resolved_type = "category" in changed and case.category_id is not None
    resolved_place = "location_unit" in changed and case.location_unit_id is not None
    tr = TriageResult.objects.filter(case=case).first()
    if tr is not None:
        tr.routing = route.as_dict()
        tr.explanation = route.explanation
        reasons = [
            r for r in tr.review_reasons if not (resolved_type and "类型" in r) and not (resolved_place and "属地" in r)
        ]
        tr.review_reasons = reasons
        tr.needs_review = bool(reasons)
        if resolved_place:
            tr.located = True
        tr.save(update_fields=["routing", "explanation", "review_reasons", "needs_review", "located"])
    return out


def preview(
    title: str,
    description: str,
    *,
    address_text: str = "",
    channel: str = "web",
    lat: float | None = None,
    lon: float | None = None,
    category: Any = None,
    when: dt.datetime | None = None,
) -> dict[str, Any]:
    """Dry run for the rules page: what triage would decide for a sample, without writing anything."""
    from fengqiao.triage import team

    values: dict[str, Any] = {
        "title": title,
        "description": description,
        "address_text": address_text,
        "channel": channel,
        "lat": lat,
        "lon": lon,
        "category": category,
        "parties": [],
        "people_count": 1,
        "risk": "low",
        "priority": 2,
    }
    plan = _prepare(values, when or timezone.now(), None, {})
    code = plan.category.code if plan.category is not None else ""
    proposal = team.propose(
        code, plan.location_unit.pk if plan.location_unit else None, plan.text, plan.risk.get("_raw")
    )
    similar = duplicates.find_similar(plan.text)[:5]
    return {
        "plan": plan,
        "type_top": _named(plan.type_pred["top"], _categories()),
        "domain_top": _named(plan.domain_pred["top"], _domains()),
        "risk": {k: v for k, v in plan.risk.items() if not k.startswith("_")},
        "team": proposal.members,
        "similar": similar,
        "elapsed_ms": round((time.perf_counter() - plan.started) * 1000, 1),
    }
