"""Third-party apps in Chinese: app names through AppConfig subclasses (used in INSTALLED_APPS), the
model names of django-otp's TOTP device (its Meta is not translatable, so the names are set on the
model's options at start; migrations read ``original_attrs`` and see no change), and an admin for TOTP
devices that labels its columns and never shows a secret or its QR code (a security administrator
resets a lost authenticator by deleting the device; the user enrols again on their next login)."""

from __future__ import annotations

from typing import Any

from axes.apps import AppConfig as AxesAppConfig
from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.apps import DefaultConfig as TOTPAppConfig


class _LazyFormat:
    """A tablib format that imports its module on first use. django-import-export lists the available
    formats when it is imported (the admin's discovery, in every web worker), which made tablib import
    openpyxl — and NumPy with it, about 40 MiB per worker — for a spreadsheet import or export that a
    web worker may never do (issue #21). Title and extensions are answered without the import."""

    def __init__(self, path: str, title: str, extensions: tuple[str, ...]) -> None:
        self.path, self.title, self.extensions = path, title, extensions

    def __getattr__(self, name: str) -> Any:
        import importlib

        module, cls = self.path.rsplit(".", 1)
        return getattr(getattr(importlib.import_module(module), cls), name)


def _lazy_spreadsheets() -> None:
    """Run when Django imports the app configs (before any app's ``ready()``: the admin's discovery)."""
    from importlib.util import find_spec

    from tablib.formats import registry

    if find_spec("openpyxl"):
        registry.register("xlsx", _LazyFormat("tablib.formats._xlsx.XLSXFormat", "xlsx", ("xlsx",)))


_lazy_spreadsheets()


class AxesConfig(AxesAppConfig):
    verbose_name = _("登录锁定")


class TOTPConfig(TOTPAppConfig):
    verbose_name = _("双因素认证")

    def ready(self) -> None:
        from django_otp.plugins.otp_totp.models import TOTPDevice

        super().ready()
        TOTPDevice._meta.verbose_name = _("身份验证器")
        TOTPDevice._meta.verbose_name_plural = _("身份验证器")
        if admin.site.is_registered(TOTPDevice):
            admin.site.unregister(TOTPDevice)
        admin.site.register(TOTPDevice, TOTPDeviceAdmin)


class TOTPDeviceForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        fields = ["name", "confirmed"]
        labels = {"name": _("名称"), "confirmed": _("已确认")}
        help_texts = {"name": _("便于识别的名称，如“手机验证器”。"), "confirmed": _("用户已用验证码完成绑定。")}


class TOTPDeviceAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = TOTPDeviceForm
    list_display = ["owner", "device_name", "is_confirmed", "created", "last_used"]
    list_filter = [("confirmed", admin.BooleanFieldListFilter)]
    search_fields = ["user__username"]
    search_help_text = _("按用户名搜索")
    fields = ["name", "confirmed"]
    list_select_related = ["user"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a user enrols their own authenticator on the login page; the secret never passes an admin

    @admin.display(description=_("用户"), ordering="user__username")
    def owner(self, obj: Any) -> str:
        return str(obj.user)

    @admin.display(description=_("名称"), ordering="name")
    def device_name(self, obj: Any) -> str:
        return str(obj.name)

    @admin.display(description=_("已确认"), boolean=True, ordering="confirmed")
    def is_confirmed(self, obj: Any) -> bool:
        return bool(obj.confirmed)

    @admin.display(description=_("创建时间"), ordering="created_at")
    def created(self, obj: Any) -> Any:
        return obj.created_at

    @admin.display(description=_("最近使用"), ordering="last_used_at")
    def last_used(self, obj: Any) -> Any:
        return obj.last_used_at
