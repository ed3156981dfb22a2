"""Administration basics: the audit log (read-only) and the import/export base used for units,
mediators and staff accounts (django-import-export).

Imports are previewed first (a dry run in a rolled-back transaction) with a validation report —
spreadsheet row, column, reason — and only a clean file can be confirmed; the confirmed import runs
in one transaction and is rolled back entirely if any row fails (all or nothing).
"""

from __future__ import annotations

from typing import Any

import tablib
from django.contrib import admin, messages
from django.contrib.auth import get_permission_codename
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from import_export import resources
from import_export.admin import ImportExportModelAdmin
from import_export.formats import base_formats
from import_export.results import Result

from fengqiao.core import adminlabels, audit
from fengqiao.core.models import AuditEntry

PASSWORD_HEADERS = {"password", "密码", "口令", "初始密码"}


class HeaderAliasResource(resources.ModelResource):
    """A resource whose columns have Chinese names, also accepting English aliases
    (``code`` for 单位代码 …); refuses any password column."""

    header_aliases: dict[str, str] = {}

    def before_import(self, dataset: tablib.Dataset, **kwargs: Any) -> None:
        headers = [str(h or "").strip() for h in (dataset.headers or [])]
        if any(h.lower() in PASSWORD_HEADERS for h in headers):
            raise ValueError(
                _("文件中含有密码列：不允许导入密码。导入的账号没有可用密码，请由本人通过“重置密码”设置。")
            )
        aliases = {k.lower(): v for k, v in self.header_aliases.items()}
        dataset.headers = [aliases.get(h.lower(), h) for h in headers]
        super().before_import(dataset, **kwargs)

    def column_label(self, attribute: str) -> str:
        for field in self.fields.values():
            if field.attribute == attribute or field.column_name == attribute:
                return str(field.column_name)
        return attribute

    def template_dataset(self) -> tablib.Dataset:
        """An empty sheet with the import columns and one example row (for the template download)."""
        headers = [f.column_name for f in self.get_import_fields()]
        data = tablib.Dataset(headers=headers)
        example = getattr(self, "example_row", None)
        if example:
            data.append([example.get(h, "") for h in headers])
        return data


def validation_report(resource: HeaderAliasResource, result: Result) -> list[dict[str, Any]]:
    """(spreadsheet row, column, reason) for every problem of an import result. Row 1 of the sheet
    is the header, so data row n is spreadsheet row n + 1."""
    report: list[dict[str, Any]] = []
    for err in result.base_errors:
        report.append({"row": "—", "field": "—", "reason": str(err.error)})
    for error_row in result.error_rows:
        for err in error_row.errors:
            report.append({"row": error_row.number + 1, "field": "—", "reason": str(err.error)})
    for row in result.invalid_rows:
        for attribute, messages_ in row.error_dict.items():
            label = _("整行") if attribute == NON_FIELD_ERRORS else resource.column_label(attribute)
            for message in messages_:
                report.append({"row": row.number + 1, "field": label, "reason": str(message)})
    return report


class FengqiaoImportExportAdmin(ImportExportModelAdmin):
    """Import from Excel/CSV with a dry-run preview and an all-or-nothing confirm; export the same
    columns. Importing needs the add and change permissions of the model."""

    import_template_name = "web/oversight/admin_import.html"
    import_error_display = ("message",)
    formats = [base_formats.XLSX, base_formats.CSV]

    def has_import_permission(self, request: HttpRequest) -> bool:
        opts = self.opts
        return all(
            request.user.has_perm(f"{opts.app_label}.{get_permission_codename(action, opts)}")
            for action in ("add", "change")
        )

    def has_export_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def get_import_data_kwargs(self, **kwargs: Any) -> dict[str, Any]:
        data = super().get_import_data_kwargs(**kwargs)
        data.update(use_transactions=True, rollback_on_validation_errors=True)
        return data

    def _resource(self, request: HttpRequest) -> HeaderAliasResource:
        cls = self.get_import_resource_classes(request)[0]
        return cls(**self.get_import_resource_kwargs(request))

    def import_action(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        response = super().import_action(request, **kwargs)
        if isinstance(response, TemplateResponse) and response.context_data is not None:
            result = response.context_data.get("result")
            if result is not None:
                response.context_data["validation_report"] = validation_report(self._resource(request), result)
            response.context_data["template_url"] = self._template_url()
        return response

    def process_result(self, result: Result, request: HttpRequest) -> HttpResponse:
        if result.has_errors() or result.has_validation_errors():
            # The transaction was rolled back: nothing of the file was written.
            messages.error(request, _("导入失败，未写入任何数据。请按下表修改后重新上传。"))
            context = self.admin_site.each_context(request)
            context.update(
                {
                    "title": _("导入"),
                    "opts": self.model._meta,
                    "form": self.create_import_form(request),
                    "result": result,
                    "validation_report": validation_report(self._resource(request), result),
                    "template_url": self._template_url(),
                }
            )
            return TemplateResponse(request, [self.import_template_name], context)
        totals = result.totals
        audit.record(
            "admin.import",
            user=request.user,
            object_type=self.model._meta.label_lower,
            detail={
                "new": totals.get("new", 0),
                "update": totals.get("update", 0),
                "skip": totals.get("skip", 0),
                "rows": result.total_rows,
            },
        )
        return super().process_result(result, request)

    def _template_url(self) -> str:
        return reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_import_template", current_app=self.admin_site.name
        )

    def get_urls(self) -> list[Any]:
        extra = [
            path(
                "import-template/",
                self.admin_site.admin_view(self.import_template_view),
                name=f"{self.opts.app_label}_{self.opts.model_name}_import_template",
            )
        ]
        return extra + super().get_urls()

    def import_template_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_import_permission(request):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        data = self._resource(request).template_dataset()
        response = HttpResponse(
            data.export("xlsx"), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        response["Content-Disposition"] = f'attachment; filename="{self.opts.model_name}-import-template.xlsx"'
        return response


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = [
        "seq",
        "at",
        "username",
        adminlabels.column("role", "role", _l("角色")),
        adminlabels.column("action", "event", _l("操作")),
        "object_type",
        "object_id",
        "result",
    ]
    list_filter = [
        adminlabels.list_filter("action", "event", _l("操作")),
        "result",
        adminlabels.list_filter("role", "role", _l("角色")),
    ]
    search_fields = ["username", "object_id", "request_id", "action"]
    date_hierarchy = "at"
    readonly_fields = [f.name for f in AuditEntry._meta.fields]
    list_per_page = 50

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
