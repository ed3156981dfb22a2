"""The only writer of what triage learns: classifier versions (record a retraining, promote, roll back)
and accepted or dismissed routing-rule suggestions.

Each function runs in one transaction, checks the actor's grant (a system administrator; ``None`` is
the nightly job), writes the change, one :class:`~fengqiao.triage.models.LearningEvent` and one audit
row. Errors are the case action layer's (plain Chinese message, errors per field)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from fengqiao.cases.actions import ActionForbidden, ActionInvalid, InvalidTransition
from fengqiao.core import audit
from fengqiao.org.choices import Role
from fengqiao.triage.models import ClassifierVersion, LearningEvent, RoutingRule, RuleSuggestion

ADMIN_ROLES = frozenset({Role.SYSTEM_ADMIN})

LABELS = {
    "model.train": _l("定时重训生成候选模型"),
    "model.promote": _l("启用模型版本"),
    "model.keep": _l("保留为候选（未达晋升标准）"),
    "model.rollback": _l("回滚模型版本"),
    "rule.suggestion_accept": _l("采纳分流规则调整建议"),
    "rule.suggestion_dismiss": _l("驳回分流规则调整建议"),
}


@dataclass(frozen=True)
class Grant:
    role: str
    unit: Any


def admin_grant(user: Any) -> Grant | None:
    """The user's system-administrator grant (the widest one), or None."""
    if not getattr(user, "is_authenticated", False):
        return None
    grants = [g for g in user.role_grants() if g.role in ADMIN_ROLES]
    if not grants:
        return None
    g = min(grants, key=lambda g: len(g.unit.path))
    return Grant(g.role, g.unit)


def _require(user: Any) -> Grant:
    grant = admin_grant(user)
    if grant is None:
        raise ActionForbidden(_("只有系统管理员可以调整分流模型和分流规则。"))
    return grant


def _record(
    code: str,
    actor: Any,
    grant: Grant | None,
    *,
    version: ClassifierVersion | None = None,
    suggestion: RuleSuggestion | None = None,
    reason: str = "",
    **data: Any,
) -> LearningEvent:
    user = actor if getattr(actor, "is_authenticated", False) else None
    event = LearningEvent.objects.create(
        code=code,
        actor=user,
        actor_role=grant.role if grant else "",
        actor_unit=grant.unit if grant else None,
        version=version,
        suggestion=suggestion,
        reason=reason,
        data=data,
    )
    obj = version if version is not None else suggestion
    audit.record(
        code,
        user=user,
        role=grant.role if grant else "",
        unit_id=grant.unit.pk if grant else None,
        obj=obj,
        username="" if user else "system:triage_learning",
        detail={"event": event.pk, "reason": reason[:500], **data},
    )
    return event


def _reason(data: dict[str, Any], required: bool) -> str:
    value = str(data.get("reason") or "").strip()
    if required and not value:
        raise ActionInvalid(_("请填写理由。"), {"reason": [_("请填写理由。")]})
    if len(value) > 2000:
        raise ActionInvalid(_("内容过长。"), {"reason": [_("不能超过2000字。")]})
    return value


def _activate(cv: ClassifierVersion, user: Any) -> ClassifierVersion | None:
    """Make ``cv`` the one active version of its task; return the version it replaced."""
    from fengqiao.triage.ml import registry

    old = ClassifierVersion.objects.select_for_update().filter(task=cv.task, is_active=True).exclude(pk=cv.pk).first()
    if old is not None:
        old.is_active = False
        old.save(update_fields=["is_active"])
    cv.is_active = True
    cv.promoted_at = timezone.now()
    cv.promoted_by = user if getattr(user, "is_authenticated", False) else None
    if old is not None:
        cv.previous = old
    cv.save(update_fields=["is_active", "promoted_at", "promoted_by", "previous"])
    registry.clear_cache()  # this process at once; others within TRIAGE_REGISTRY_CHECK_SECONDS
    transaction.on_commit(registry.clear_cache)
    return old


def record_training(cv: ClassifierVersion, *, promote: bool, reason: str, data: dict[str, Any]) -> LearningEvent:
    """The nightly job's verdict on a new version: promote it, or keep it as a candidate with the reason."""
    with transaction.atomic():
        cv = ClassifierVersion.objects.select_for_update().get(pk=cv.pk)
        cv.decision = reason
        cv.save(update_fields=["decision"])
        _record("model.train", None, None, version=cv, reason=reason, **data)
        if promote:
            old = _activate(cv, None)
            return _record("model.promote", None, None, version=cv, reason=reason, replaced=old.version if old else "")
        return _record("model.keep", None, None, version=cv, reason=reason)


def promote(actor: Any, cv: ClassifierVersion, data: dict[str, Any] | None = None) -> ClassifierVersion:
    """An administrator activates a version (a candidate the rule refused, say) with a reason."""
    from fengqiao.triage.ml import registry

    data = data or {}
    grant = _require(actor)
    reason = _reason(data, required=True)
    with transaction.atomic():
        cv = ClassifierVersion.objects.select_for_update().get(pk=cv.pk)
        if cv.is_active:
            raise InvalidTransition(_("该版本已在使用中。"))
        if not registry.resolve_path(cv.path).exists():
            raise ActionInvalid(_("模型文件不存在，不能启用。"))
        old = _activate(cv, actor)
        _record("model.promote", actor, grant, version=cv, reason=reason, replaced=old.version if old else "")
    return cv


def rollback_target(task: str) -> ClassifierVersion | None:
    """The version the active one replaced (else the latest one that was active before)."""
    active = ClassifierVersion.objects.filter(task=task, is_active=True).first()
    if active is not None and active.previous_id:
        return ClassifierVersion.objects.filter(pk=active.previous_id).first()
    qs = ClassifierVersion.objects.filter(task=task, is_active=False, promoted_at__isnull=False)
    return qs.order_by("-promoted_at").first()


def rollback(actor: Any, task: str, data: dict[str, Any] | None = None) -> ClassifierVersion:
    """One action: the task's active version gives way to the one it replaced."""
    from fengqiao.triage.ml import registry

    data = data or {}
    grant = _require(actor)
    reason = _reason(data, required=False) or _("回滚到上一版本")
    with transaction.atomic():
        active = ClassifierVersion.objects.select_for_update().filter(task=task, is_active=True).first()
        target = rollback_target(task)
        if active is None or target is None:
            raise InvalidTransition(_("没有可以回滚到的上一版本。"))
        if not registry.resolve_path(target.path).exists():
            raise ActionInvalid(_("上一版本的模型文件不存在，不能回滚。"))
        active.is_active = False
        active.save(update_fields=["is_active"])
        target = ClassifierVersion.objects.select_for_update().get(pk=target.pk)
        target.is_active = True
        target.promoted_at = timezone.now()
        target.promoted_by = actor
        target.save(update_fields=["is_active", "promoted_at", "promoted_by"])
        registry.clear_cache()
        transaction.on_commit(registry.clear_cache)
        _record("model.rollback", actor, grant, version=target, reason=reason, replaced=active.version)
    return target


# ---------------------------------------------------------------------------------------------
# routing-rule suggestions (fengqiao.triage.overrides computes them from recorded events)


def decide_suggestion(actor: Any, data: dict[str, Any], *, accept: bool) -> RuleSuggestion:
    """Accept (apply the change) or dismiss the current suggestion for ``data["rule"]``. The suggestion
    is recomputed from the events at this moment and must still match what the page showed."""
    from fengqiao.triage import overrides

    grant = _require(actor)
    raw = str(data.get("rule") or "")
    rule = RoutingRule.objects.filter(pk=int(raw)).first() if raw.isdigit() else None
    if rule is None:
        raise ActionInvalid(_("分流规则不存在。"), {"rule": [_("请选择有效的分流规则。")]})
    reason = _reason(data, required=not accept)
    with transaction.atomic():
        rule = RoutingRule.objects.select_for_update().get(pk=rule.pk)
        stat = overrides.rule_stats(rule_ids=[rule.pk]).get(rule.pk)
        sug = stat.suggestion if stat is not None else None
        if sug is None or str(data.get("target") or "") != str(sug.target.pk) or data.get("kind") != sug.kind:
            raise InvalidTransition(_("该建议已变化或不再成立，请刷新页面后重试。"))
        row = RuleSuggestion.objects.create(
            rule=rule,
            rule_name=rule.name,
            kind=sug.kind,
            target=sug.target,
            category=sug.category,
            routed=stat.routed if stat else 0,
            overridden=stat.overridden if stat else 0,
            toward=sug.toward,
            evidence={"targets": stat.targets_list() if stat else [], "window_days": overrides.WINDOW_DAYS},
            status="accepted" if accept else "dismissed",
            reason=reason,
            decided_by=actor,
        )
        change: dict[str, Any] = {}
        if accept:
            change = overrides.apply(rule, sug, row)
        code = "rule.suggestion_accept" if accept else "rule.suggestion_dismiss"
        _record(code, actor, grant, suggestion=row, reason=reason, rule=rule.pk, change=change)
    return row


def event_label(code: str) -> str:
    return str(LABELS.get(code, _("其他操作")))
