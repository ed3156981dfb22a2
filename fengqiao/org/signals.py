"""Permission changes are audited."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from fengqiao.core import audit
from fengqiao.core.context import request_id_var
from fengqiao.org.models import RoleAssignment


@receiver(post_save, sender=RoleAssignment)
def _role_granted(sender: Any, instance: RoleAssignment, created: bool, **kwargs: Any) -> None:
    audit.record(
        "perm.grant" if created else "perm.change",
        obj=instance,
        role=instance.role,
        unit_id=instance.unit_id,
        detail={
            "user": instance.user_id,
            "role": instance.role,
            "unit": instance.unit_id,
            "rid": request_id_var.get(),
        },
    )


@receiver(post_delete, sender=RoleAssignment)
def _role_revoked(sender: Any, instance: RoleAssignment, **kwargs: Any) -> None:
    audit.record(
        "perm.revoke",
        object_type="org.roleassignment",
        object_id=instance.pk or "",
        role=instance.role,
        unit_id=instance.unit_id,
        detail={"user": instance.user_id, "role": instance.role, "unit": instance.unit_id},
    )
