from django.db import models
from django.utils.translation import gettext_lazy as _


class UnitKind(models.TextChoices):
    COUNTY = "county", _("县（市、区）")
    TOWN = "town", _("乡镇（街道）")
    VILLAGE = "village", _("村（社区）")
    GRID = "grid", _("网格")
    MICROGRID = "microgrid", _("微网格")
    DEPARTMENT = "department", _("部门")
    STATION = "station", _("部门派驻站所")
    CENTRE = "centre", _("县级综治中心")
    SUBCENTRE = "subcentre", _("乡镇综治中心")
    TASKFORCE = "taskforce", _("县级专班")


# Tier of handling (分级诊疗): 1 grid/village, 2 town, 3 county department, 4 county task force.
UNIT_TIER = {
    UnitKind.GRID: 1,
    UnitKind.MICROGRID: 1,
    UnitKind.VILLAGE: 1,
    UnitKind.TOWN: 2,
    UnitKind.SUBCENTRE: 2,
    UnitKind.STATION: 2,
    UnitKind.COUNTY: 3,
    UnitKind.CENTRE: 3,
    UnitKind.DEPARTMENT: 3,
    UnitKind.TASKFORCE: 4,
}


class Role(models.TextChoices):
    DISPATCHER = "dispatcher", _("受理员")
    HANDLER = "handler", _("承办人")
    MEDIATOR = "mediator", _("调解员")
    GRID_WORKER = "grid_worker", _("网格员")
    LEADER = "leader", _("领导")
    SUPERVISOR = "supervisor", _("纪检监督")
    SYSTEM_ADMIN = "system_admin", _("系统管理员")
    SECURITY_ADMIN = "security_admin", _("安全管理员")
    AUDIT_ADMIN = "audit_admin", _("审计管理员")


STAFF_CASE_ROLES = {
    Role.DISPATCHER,
    Role.HANDLER,
    Role.MEDIATOR,
    Role.GRID_WORKER,
    Role.LEADER,
    Role.SUPERVISOR,
}
