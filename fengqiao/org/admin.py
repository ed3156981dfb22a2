"""Administration of the organisation: units and grids, standard addresses, staff accounts and
their roles — with Excel/CSV import of units/grids and of staff with their roles.

Import columns use natural keys, never database ids:

* units: 单位代码, 单位名称, 类型 (value or Chinese label: ``grid`` / 网格), 上级单位代码, …
* staff: 用户名, 姓名, 所在单位代码, 职务, 角色 ("handler@331024103;leader@331024103", roles by
  value or Chinese label), 启用. Imported accounts get an unusable password (the person sets one
  through password reset); a password column is refused.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from import_export import fields, widgets

from fengqiao.core import audit
from fengqiao.core.admin import FengqiaoImportExportAdmin, HeaderAliasResource
from fengqiao.org.choices import STAFF_CASE_ROLES, Role, UnitKind
from fengqiao.org.models import RoleAssignment, StandardAddress, Unit, User

# ---------------------------------------------------------------------------------------------
# widgets shared by the import resources (also used by fengqiao.mediation.admin)


def cell_text(value: Any) -> str:
    """A spreadsheet cell as text: Excel gives numbers for codes like 331024 (or 331024.0)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


class TextWidget(widgets.Widget):
    def __init__(self, required: bool = False, max_length: int | None = None):
        super().__init__()
        self.required = required
        self.max_length = max_length

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> str:
        text = cell_text(value)
        if self.required and not text:
            raise ValueError(_("必填。"))
        if self.max_length and len(text) > self.max_length:
            raise ValueError(_("不能超过 %(n)s 个字符。") % {"n": self.max_length})
        return text


class ChoiceWidget(widgets.Widget):
    """A choice given by its value (``grid``) or its Chinese label (网格)."""

    def __init__(self, choices: list[tuple[Any, Any]], required: bool = True):
        super().__init__()
        self.by_value = {str(v): v for v, _label in choices}
        self.by_label = {str(label): v for v, label in choices}
        self.labels = dict(choices)
        self.required = required

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> Any:
        text = cell_text(value)
        if not text:
            if self.required:
                raise ValueError(_("必填。"))
            return ""
        if text in self.by_value:
            return self.by_value[text]
        if text in self.by_label:
            return self.by_label[text]
        raise ValueError(
            _("无效的取值“%(v)s”，可填：%(opts)s")
            % {"v": text, "opts": "、".join(str(label) for label in self.by_label)}
        )

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return str(self.labels.get(value, value or ""))


class BoolWidget(widgets.Widget):
    TRUE = {"1", "true", "yes", "y", "是", "启用", "允许", "可", "√"}
    FALSE = {"0", "false", "no", "n", "否", "停用", "不允许", "不可", "×"}

    def __init__(self, default: bool = True):
        super().__init__()
        self.default = default

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> bool:
        if isinstance(value, bool):
            return value
        text = cell_text(value).lower()
        if not text:
            return self.default
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise ValueError(_("请填写“是”或“否”。"))

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return _("是") if value else _("否")


class UnitCodeWidget(widgets.ForeignKeyWidget):
    """A unit given by its code; an unknown code is a validation error of the row."""

    def __init__(self, required: bool = True, kinds: tuple[str, ...] = ()):
        super().__init__(Unit, field="code")
        self.required = required
        self.kinds = kinds

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> Unit | None:
        code = cell_text(value)
        if not code:
            if self.required:
                raise ValueError(_("必填。"))
            return None
        unit = Unit.objects.filter(code=code).first()
        if unit is None:
            raise ValueError(_("单位代码“%(code)s”不存在（须先导入或在本文件中靠前的行里）。") % {"code": code})
        if self.kinds and unit.kind not in self.kinds:
            raise ValueError(
                _("单位“%(name)s”的类型是%(kind)s，这里需要：%(kinds)s。")
                % {
                    "name": unit.name,
                    "kind": unit.get_kind_display(),
                    "kinds": "、".join(str(UnitKind(k).label) for k in self.kinds),
                }
            )
        return unit

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return value.code if value is not None else ""


class ListWidget(widgets.Widget):
    """A list in one cell, separated by ; ； , ， 、 or spaces."""

    SEPARATORS = ";；,，、 \n"

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> list[str]:
        text = cell_text(value)
        for sep in self.SEPARATORS[1:]:
            text = text.replace(sep, ";")
        return [item.strip() for item in text.split(";") if item.strip()]

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return ";".join(str(v) for v in value or [])


# ---------------------------------------------------------------------------------------------
# units and grids

# Which kinds of unit may sit directly under which (the tree of §1 of the specification).
PARENT_KINDS: dict[str, tuple[str, ...]] = {
    UnitKind.COUNTY: (),
    UnitKind.TOWN: (UnitKind.COUNTY,),
    UnitKind.DEPARTMENT: (UnitKind.COUNTY,),
    UnitKind.CENTRE: (UnitKind.COUNTY,),
    UnitKind.TASKFORCE: (UnitKind.COUNTY,),
    UnitKind.SUBCENTRE: (UnitKind.TOWN,),
    UnitKind.STATION: (UnitKind.DEPARTMENT, UnitKind.TOWN),
    UnitKind.VILLAGE: (UnitKind.TOWN,),
    UnitKind.GRID: (UnitKind.VILLAGE, UnitKind.TOWN),
    UnitKind.MICROGRID: (UnitKind.GRID,),
}


class UnitResource(HeaderAliasResource):
    code = fields.Field("code", "单位代码", widget=TextWidget(required=True, max_length=32))
    name = fields.Field("name", "单位名称", widget=TextWidget(required=True, max_length=100))
    kind = fields.Field("kind", "类型", widget=ChoiceWidget(UnitKind.choices))
    parent = fields.Field("parent", "上级单位代码", widget=UnitCodeWidget(required=False), saves_null_values=True)
    short_name = fields.Field("short_name", "简称", widget=TextWidget(max_length=40))
    contact_name = fields.Field("contact_name", "联系人", widget=TextWidget(max_length=50))
    contact_phone = fields.Field("contact_phone", "联系电话", widget=TextWidget(max_length=30))
    address = fields.Field("address", "地址", widget=TextWidget(max_length=200))
    allows_anonymous = fields.Field("allows_anonymous", "允许匿名反映", widget=BoolWidget(default=False))
    is_active = fields.Field("is_active", "启用", widget=BoolWidget(default=True))

    header_aliases = {
        "code": "单位代码",
        "name": "单位名称",
        "kind": "类型",
        "parent": "上级单位代码",
        "parent_code": "上级单位代码",
        "short_name": "简称",
        "contact_name": "联系人",
        "contact_phone": "联系电话",
        "address": "地址",
        "allows_anonymous": "允许匿名反映",
        "is_active": "启用",
    }
    example_row = {
        "单位代码": "331024103201-G03",
        "单位名称": "白塔村第3网格",
        "类型": "网格",
        "上级单位代码": "331024103201",
        "启用": "是",
    }

    class Meta:
        model = Unit
        import_id_fields = ["code"]
        fields = [
            "code",
            "name",
            "kind",
            "parent",
            "short_name",
            "contact_name",
            "contact_phone",
            "address",
            "allows_anonymous",
            "is_active",
        ]
        use_transactions = True
        skip_unchanged = True
        report_skipped = True

    def get_instance(self, instance_loader: Any, row: Any) -> Any:
        code = cell_text(row.get("单位代码"))
        return Unit.objects.filter(code=code).first() if code else None

    def import_instance(self, instance: Unit, row: Any, **kwargs: Any) -> None:
        errors: dict[str, Any] = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as e:
            errors = e.update_error_dict(errors)
        if "kind" not in errors and "parent" not in errors:
            parent: Unit | None = instance.parent if instance.parent_id else None
            allowed = PARENT_KINDS.get(instance.kind, ())
            if parent is None and allowed:
                errors["parent"] = [_("%(kind)s须填写上级单位代码。") % {"kind": UnitKind(instance.kind).label}]
            elif parent is not None and parent.kind not in allowed:
                errors["parent"] = [
                    _("%(kind)s不能设在%(pkind)s“%(name)s”之下。")
                    % {
                        "kind": UnitKind(instance.kind).label,
                        "pkind": parent.get_kind_display(),
                        "name": parent.name,
                    }
                ]
            elif parent is not None and instance.pk and instance.path and parent.path.startswith(instance.path):
                errors["parent"] = [_("不能把单位移到它自己或其下级单位之下。")]
        if errors:
            raise ValidationError(errors)


def _grid_only(request: HttpRequest) -> bool:
    return request.GET.get("model_name") == "standardaddress" and request.GET.get("field_name") == "grid"


@admin.register(Unit)
class UnitAdmin(FengqiaoImportExportAdmin):
    resource_classes = [UnitResource]
    list_display = ["name", "kind", "code", "parent", "depth", "is_active"]
    list_filter = ["kind", "is_active", "allows_anonymous"]
    search_fields = ["name", "code", "short_name"]
    list_select_related = ["parent"]
    autocomplete_fields = ["parent"]
    readonly_fields = ["path", "depth"]
    list_per_page = 50
    fieldsets = (
        (_l("基本信息"), {"fields": ("name", "short_name", "code", "kind", "parent", "is_active")}),
        (_l("联系方式"), {"fields": ("contact_name", "contact_phone", "address")}),
        (_l("网格与群众入口"), {"fields": ("allows_anonymous", "boundary"), "classes": ("collapse",)}),
        (_l("树中位置"), {"fields": ("path", "depth"), "classes": ("collapse",)}),
    )

    def get_search_results(self, request: HttpRequest, queryset: QuerySet[Unit], search_term: str) -> Any:
        qs, distinct = super().get_search_results(request, queryset, search_term)
        if _grid_only(request):  # the grid of a standard address must be a grid
            qs = qs.filter(kind__in=[UnitKind.GRID, UnitKind.MICROGRID])
        return qs, distinct


@admin.register(StandardAddress)
class StandardAddressAdmin(admin.ModelAdmin):
    list_display = ["full_text", "grid", "road", "number"]
    search_fields = ["full_text", "road"]
    list_select_related = ["grid"]
    autocomplete_fields = ["grid"]
    list_filter = [("grid__parent", admin.RelatedOnlyFieldListFilter)]
    fieldsets = (
        (None, {"fields": ("full_text", "grid")}),
        (_l("门牌"), {"fields": ("road", "number")}),
        (_l("坐标"), {"fields": ("lat", "lon"), "classes": ("collapse",)}),
    )

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "grid":
            kwargs["queryset"] = Unit.objects.filter(kind__in=[UnitKind.GRID, UnitKind.MICROGRID])
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


# ---------------------------------------------------------------------------------------------
# staff accounts and roles

IMPORTABLE_ROLES = [(r.value, r.label) for r in Role if r.value in STAFF_CASE_ROLES]


class RolesWidget(widgets.Widget):
    """ "role@unitcode;role@unitcode" ↔ a list of (role, unit). Only case roles can be imported; the
    administrator roles (三员) are granted by hand."""

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> list[tuple[str, Unit]]:
        roles = ChoiceWidget(IMPORTABLE_ROLES)
        out: list[tuple[str, Unit]] = []
        problems: list[str] = []
        specs = ListWidget().clean(value)
        codes = {s.split("@", 1)[1].strip() for s in specs if "@" in s}
        units = {u.code: u for u in Unit.objects.filter(code__in=codes)}
        for spec in specs:
            if "@" not in spec:
                problems.append(_("“%(s)s”格式应为 角色@单位代码。") % {"s": spec})
                continue
            role_text, code = (part.strip() for part in spec.split("@", 1))
            try:
                role = roles.clean(role_text)
            except ValueError:
                problems.append(
                    _("“%(s)s”中的角色无效，可填：%(opts)s")
                    % {"s": spec, "opts": "、".join(str(label) for _v, label in IMPORTABLE_ROLES)}
                )
                continue
            unit = units.get(code)
            if unit is None:
                problems.append(_("“%(s)s”中的单位代码不存在。") % {"s": spec})
                continue
            if (role, unit) not in out:
                out.append((role, unit))
        if problems:
            raise ValueError(" ".join(problems))
        return out

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return ";".join(f"{role}@{unit.code}" for role, unit in value or [])


class UserResource(HeaderAliasResource):
    username = fields.Field("username", "用户名", widget=TextWidget(required=True, max_length=150))
    display_name = fields.Field("display_name", "姓名", widget=TextWidget(required=True, max_length=50))
    unit = fields.Field("unit", "所在单位代码", widget=UnitCodeWidget(required=True))
    title = fields.Field("title", "职务", widget=TextWidget(max_length=50))
    roles = fields.Field("import_roles", "角色", widget=RolesWidget())
    is_active = fields.Field("is_active", "启用", widget=BoolWidget(default=True))

    header_aliases = {
        "username": "用户名",
        "display_name": "姓名",
        "name": "姓名",
        "unit": "所在单位代码",
        "unit_code": "所在单位代码",
        "title": "职务",
        "roles": "角色",
        "is_active": "启用",
    }
    example_row = {
        "用户名": "bt_chengban2",
        "姓名": "吴承办",
        "所在单位代码": "331024103-ZZZX",
        "职务": "综治中心承办人",
        "角色": "handler@331024103",
        "启用": "是",
    }

    class Meta:
        model = User
        import_id_fields = ["username"]
        fields = ["username", "display_name", "unit", "title", "roles", "is_active"]
        use_transactions = True

    def get_instance(self, instance_loader: Any, row: Any) -> Any:
        username = cell_text(row.get("用户名"))
        return User.objects.filter(username=username).first() if username else None

    def import_instance(self, instance: User, row: Any, **kwargs: Any) -> None:
        errors: dict[str, Any] = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as e:
            errors = e.update_error_dict(errors)
        if "username" not in errors:
            try:
                User.username_validator(instance.username)
            except ValidationError as e:
                errors["username"] = e.messages
        if errors:
            raise ValidationError(errors)

    def dehydrate_roles(self, user: User) -> str:
        if not user.pk:
            return ""
        grants = sorted(
            (g.role, g.unit.code) for g in user.role_assignments.select_related("unit").order_by("role", "unit__code")
        )
        return ";".join(f"{role}@{code}" for role, code in grants)

    def before_save_instance(self, instance: User, row: Any, **kwargs: Any) -> None:
        if instance.pk is None:
            # Never a password from a file: the person sets one through password reset.
            instance.set_unusable_password()

    def after_save_instance(self, instance: User, row: Any, **kwargs: Any) -> None:
        wanted: list[tuple[str, Unit]] | None = getattr(instance, "import_roles", None)
        if wanted is None or "角色" not in row:
            return
        keep = {(role, unit.pk) for role, unit in wanted}
        current = {(g.role, g.unit_id): g for g in instance.role_assignments.all()}
        # Administrator roles (三员) are never touched by an import.
        admin_roles = {Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN}
        for key, grant in current.items():
            if key not in keep and grant.role not in admin_roles:
                grant.delete()
        for role, unit in wanted:
            if (role, unit.pk) not in current:
                RoleAssignment.objects.create(user=instance, unit=unit, role=role)
        instance._role_grants = None  # type: ignore[assignment]


class RoleInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0
    autocomplete_fields = ["unit"]
    verbose_name = _l("角色授权")
    verbose_name_plural = _l("角色授权（角色在该单位及其下级单位内有效）")


class RoleFilter(admin.SimpleListFilter):
    title = _l("角色")
    parameter_name = "role"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return list(Role.choices)

    def queryset(self, request: HttpRequest, queryset: QuerySet[User]) -> QuerySet[User]:
        if self.value():
            return queryset.filter(role_assignments__role=self.value()).distinct()
        return queryset


@admin.register(User)
class UserAdmin(FengqiaoImportExportAdmin, BaseUserAdmin):
    resource_classes = [UserResource]
    list_display = ["username", "display_name", "unit", "title", "roles_text", "is_active", "is_staff", "last_login"]
    list_filter = [RoleFilter, "is_active", "is_staff", "unit__kind"]
    search_fields = ["username", "display_name", "unit__name", "unit__code"]
    list_select_related = ["unit"]
    autocomplete_fields = ["unit"]
    inlines = [RoleInline]
    ordering = ["username"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_l("个人信息"), {"fields": ("display_name", "unit", "title", "mobile")}),
        (
            _l("账号权限"),
            {
                "fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions"),
                "description": _l("案件的查看和办理范围由下方的“角色授权”决定；后台权限仅用于系统管理。"),
            },
        ),
        (_l("登录记录"), {"fields": ("last_login", "date_joined"), "classes": ("collapse",)}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "display_name", "unit", "usable_password", "password1", "password2"),
            },
        ),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        return super().get_queryset(request).prefetch_related("role_assignments__unit")

    @admin.display(description=_l("角色"))
    def roles_text(self, obj: User) -> str:
        return "；".join(f"{g.get_role_display()}@{g.unit.name}" for g in obj.role_assignments.all())

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not RoleAssignment:
            return super().save_formset(request, form, formset, change)
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            audit.record(
                "admin.role_revoke",
                user=request.user,
                obj=obj.user,
                detail={"role": obj.role, "unit": obj.unit_id},
            )
            obj.delete()
        for obj in instances:
            obj.save()
            audit.record(
                "admin.role_grant",
                user=request.user,
                obj=obj.user,
                detail={"role": obj.role, "unit": obj.unit_id},
            )
        formset.save_m2m()


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "unit", "created_at"]
    list_filter = ["role", "unit__kind"]
    search_fields = ["user__username", "user__display_name", "unit__name", "unit__code"]
    list_select_related = ["user", "unit"]
    autocomplete_fields = ["user", "unit"]

    def save_model(self, request: HttpRequest, obj: RoleAssignment, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        audit.record(
            "admin.role_grant", user=request.user, obj=obj.user, detail={"role": obj.role, "unit": obj.unit_id}
        )

    def delete_model(self, request: HttpRequest, obj: RoleAssignment) -> None:
        audit.record(
            "admin.role_revoke", user=request.user, obj=obj.user, detail={"role": obj.role, "unit": obj.unit_id}
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[RoleAssignment]) -> None:
        for obj in queryset.select_related("user"):
            audit.record(
                "admin.role_revoke", user=request.user, obj=obj.user, detail={"role": obj.role, "unit": obj.unit_id}
            )
        super().delete_queryset(request, queryset)


__all__ = [
    "BoolWidget",
    "ChoiceWidget",
    "ListWidget",
    "TextWidget",
    "UnitCodeWidget",
    "cell_text",
]
