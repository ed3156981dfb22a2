"""OpenAPI schema: every operation documents its error answers.

All API errors share one shape (:data:`ERROR_SCHEMA`): ``detail`` (Chinese), ``code`` and, for
invalid input, ``errors`` by field. DRF's own field validation answers ``{field: [messages]}``, which
the schema allows as additional properties. :class:`FengqiaoAutoSchema` adds 400/403/404/429/503
to every operation (and 409/412/422 to writes) unless the view documents that status itself.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema

# One shape for every error answer; a plain schema (a serializer field named "errors" would shadow
# Serializer.errors). Additional properties stay allowed: DRF's field errors are {field: [messages]}.
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "detail": {"type": "string", "description": "错误说明（中文）"},
        "code": {"type": "string", "description": "机器可读的错误代码，如 invalid、forbidden、unavailable"},
        "errors": {"type": "object", "additionalProperties": {}, "description": "按字段列出的输入错误"},
    },
}


ERRORS = {
    "400": "输入有误（字段错误、控制字符、JSON 嵌套过深、日期超出范围、分页参数无效）",
    "403": "未登录或无权限",
    "404": "不存在或不在您的权限范围内",
    "429": "请求过于频繁",
    "503": "数据库或缓存暂时不可用（带 Retry-After）",
}
WRITE_ERRORS = {
    "409": "当前状态不允许该操作，或外部编号已由其他单位登记",
    "412": "If-Match 版本已过期",
    "422": "幂等键已用于内容不同的请求",
}


class FengqiaoAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        extra = dict(ERRORS)
        if self.method in ("POST", "PUT", "PATCH", "DELETE"):
            extra.update(WRITE_ERRORS)
        for status, description in extra.items():
            if status not in responses:
                response = self._get_response_for_code(dict(ERROR_SCHEMA), status, direction=direction)
                response["description"] = description
                responses[status] = response
        return responses
