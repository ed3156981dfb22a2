"""Audit logins (success and failure)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from fengqiao.core import audit


@receiver(user_logged_in)
def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit.record("auth.login", user=user, obj=user, result="ok")


@receiver(user_logged_out)
def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit.record("auth.logout", user=user, obj=user, result="ok")


@receiver(user_login_failed)
def _login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    username = str(credentials.get("username", ""))[:150]
    audit.record("auth.login", username=username, object_type="auth.user", result="denied")


# Every change to reference data (units, addresses, users, categories, mediators …) is audited too.
# Cases are audited by the action layer itself; these are the models edited in the admin or by imports.
AUDITED_MODELS = (
    "org.Unit",
    "org.StandardAddress",
    "org.User",
    "cases.Category",
    "cases.Domain",
    "mediation.Mediator",
)


def _model_saved(sender: Any, instance: Any, created: bool, update_fields: Any = None, **kwargs: Any) -> None:
    if kwargs.get("raw"):
        return
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return  # logins are audited as auth.login
    audit.record(
        f"{sender._meta.label_lower}.{'create' if created else 'change'}",
        obj=instance,
        detail={"fields": sorted(update_fields) if update_fields else []},
    )


def _model_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    audit.record(
        f"{sender._meta.label_lower}.delete", object_type=sender._meta.label_lower, object_id=instance.pk or ""
    )


def connect_model_audit() -> None:
    from django.apps import apps
    from django.db.models.signals import post_delete, post_save

    for label in AUDITED_MODELS:
        model = apps.get_model(label)
        post_save.connect(_model_saved, sender=model, dispatch_uid=f"audit-save-{label}")
        post_delete.connect(_model_deleted, sender=model, dispatch_uid=f"audit-delete-{label}")
