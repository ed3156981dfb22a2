"""The only writer of volunteer work: register a volunteer, publish an activity, sign up, check in and
out (hours → points by the activity's rule), redeem in the village's 道德超市.

Points rule: whole minutes served (check-out − check-in, capped at the activity's length) × the
activity's points per hour ÷ 60, rounded down; credited once per sign-up (ledger source
"signup:<id>"). A redemption locks the reward row, refuses when the stock is 0 or the balance is short,
takes one from the stock and appends a negative ledger line ("redeem:<id>") in one transaction, so
concurrent redemptions never push the stock below zero nor the balance below zero."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import serializers

from fengqiao.cases.actions import ActionForbidden, ActionInvalid, InvalidTransition
from fengqiao.core import audit, crypto
from fengqiao.core.validators import validate_phone
from fengqiao.gridwork.actions import validate
from fengqiao.gridwork.models_volunteer import Activity, PointsEntry, Redemption, Reward, SignUp, Volunteer
from fengqiao.gridwork.policy import scope_paths
from fengqiao.org.choices import Role, UnitKind
from fengqiao.org.models import Unit

ORGANISERS = frozenset({Role.GRID_WORKER, Role.DISPATCHER, Role.HANDLER, Role.LEADER})


class VolunteerInput(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=50)
    phone = serializers.CharField(max_length=20)

    def validate_phone(self, value: str) -> str:
        from django.core.exceptions import ValidationError

        try:
            validate_phone(value)
        except ValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc
        return crypto.normalise_phone(value)


class ActivityInput(serializers.Serializer[Any]):
    title = serializers.CharField(max_length=100)
    place = serializers.CharField(max_length=200)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    capacity = serializers.IntegerField(min_value=1, max_value=10000)
    points_per_hour = serializers.IntegerField(min_value=0, max_value=100, default=10)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["ends_at"] <= attrs["starts_at"]:
            raise serializers.ValidationError({"ends_at": [_("结束时间须晚于开始时间。")]})
        return attrs


def _need(user: Any, unit: Unit) -> str:
    for p in scope_paths(user, ORGANISERS):
        if unit.path.startswith(p):
            return p
    raise ActionForbidden(_("您无权管理%(unit)s的志愿服务。") % {"unit": unit.name})


def _audit(code: str, user: Any, obj: Any, **detail: Any) -> None:
    audit.record(f"volunteer.{code}", user=user, obj=obj, detail=detail)


def register_volunteer(user: Any, village: Unit, data: Any) -> Volunteer:
    if village.kind != UnitKind.VILLAGE:
        raise ActionInvalid(_("请选择村（社区）。"), {"village": [_("志愿者按村（社区）登记。")]})
    _need(user, village)
    values = validate(VolunteerInput, data)
    digest = crypto.search_hash(values["phone"])
    if Volunteer.objects.filter(phone_hash=digest).exists():
        raise ActionInvalid(_("该手机号已登记为志愿者。"), {"phone": [_("该手机号已登记为志愿者。")]})
    with transaction.atomic():
        v = Volunteer.objects.create(
            village=village,
            village_path=village.path,
            name=values["name"].strip(),
            phone=values["phone"],
            phone_hash=digest,
            registered_by=user,
        )
        _audit("register", user, v)
    return v


def publish_activity(user: Any, unit: Unit, data: Any) -> Activity:
    _need(user, unit)
    values = validate(ActivityInput, data)
    with transaction.atomic():
        a = Activity.objects.create(unit=unit, unit_path=unit.path, created_by=user, **values)
        _audit("publish", user, a)
    return a


def sign_up(user: Any, activity: Activity, volunteer: Volunteer) -> SignUp:
    with transaction.atomic():
        a = Activity.objects.select_for_update().get(pk=activity.pk)
        _need(user, a.unit)
        if a.ends_at <= timezone.now():
            raise InvalidTransition(_("活动已结束，不能报名。"))
        if a.signed_up >= a.capacity:
            raise InvalidTransition(_("报名人数已满。"))
        try:
            with transaction.atomic():
                s = SignUp.objects.create(activity=a, volunteer=volunteer)
        except IntegrityError as exc:
            raise InvalidTransition(_("该志愿者已报名。")) from exc
        a.signed_up += 1
        a.save(update_fields=["signed_up"])
        _audit("signup", user, s)
    return s


def check_in(user: Any, signup: SignUp) -> SignUp:
    with transaction.atomic():
        s = SignUp.objects.select_for_update().select_related("activity__unit").get(pk=signup.pk)
        _need(user, s.activity.unit)
        if s.checked_in_at is None:
            s.checked_in_at = timezone.now()
            s.save(update_fields=["checked_in_at"])
            _audit("checkin", user, s)
    return s


def check_out(user: Any, signup: SignUp) -> SignUp:
    """Sign out, count the minutes and credit the points (once, whatever the number of taps)."""
    with transaction.atomic():
        s = SignUp.objects.select_for_update().select_related("activity__unit").get(pk=signup.pk)
        a = s.activity
        _need(user, a.unit)
        if s.checked_in_at is None:
            raise InvalidTransition(_("尚未签到，不能签退。"))
        if s.checked_out_at is None:
            s.checked_out_at = timezone.now()
            start = max(s.checked_in_at, a.starts_at)
            end = min(s.checked_out_at, a.ends_at)
            s.minutes = max(0, int((end - start).total_seconds() // 60))
            s.save(update_fields=["checked_out_at", "minutes"])
            _audit("checkout", user, s, minutes=s.minutes)
        points = s.minutes * a.points_per_hour // 60
        if points > 0:
            PointsEntry.objects.get_or_create(
                source=f"signup:{s.pk}",
                defaults={"volunteer_id": s.volunteer_id, "delta": points, "reason": a.title, "actor": user},
            )
    return s


def balance(volunteer: Volunteer) -> int:
    """The balance, recomputed from the ledger."""
    return int(PointsEntry.objects.filter(volunteer=volunteer).aggregate(s=Sum("delta"))["s"] or 0)


def redeem(user: Any, reward: Reward, volunteer: Volunteer) -> Redemption:
    with transaction.atomic():
        r = Reward.objects.select_for_update().select_related("village").get(pk=reward.pk)
        _need(user, r.village)
        Volunteer.objects.select_for_update().filter(pk=volunteer.pk).first()  # one redemption per person at a time
        if r.village_id != volunteer.village_id:
            raise ActionInvalid(_("只能在本村（社区）的道德超市兑换。"))
        if r.stock <= 0:
            raise InvalidTransition(_("%(name)s已兑完。") % {"name": r.name})
        if balance(volunteer) < r.cost:
            raise InvalidTransition(_("积分不足。"))
        r.stock -= 1
        r.save(update_fields=["stock"])
        red = Redemption.objects.create(reward=r, volunteer=volunteer, cost=r.cost, by=user)
        PointsEntry.objects.create(
            volunteer=volunteer, delta=-r.cost, source=f"redeem:{red.pk}", reason=r.name, actor=user
        )
        _audit("redeem", user, red, cost=r.cost)
    return red


def ranking(village: Unit, limit: int = 20) -> list[tuple[Volunteer, int]]:
    """Volunteers of a village by points earned (credits only; spending does not lower one's rank)."""
    rows = (
        PointsEntry.objects.filter(volunteer__village=village, delta__gt=0)
        .values("volunteer")
        .annotate(s=Sum("delta"))
        .order_by("-s")[:limit]
    )
    by_id = {v.pk: v for v in Volunteer.objects.filter(pk__in=[r["volunteer"] for r in rows])}
    return [(by_id[r["volunteer"]], int(r["s"])) for r in rows]
