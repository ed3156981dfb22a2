"""gunicorn's access log without secrets: every atom (request line, path, query string, Referer and
other headers) passes through :func:`fengqiao.core.logging.redact` before it is written.

Used by ``fengqiao demo-serve`` and deploy/gunicorn.conf.py (``logger_class``)."""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

from fengqiao.core.logging import redact


class RedactingLogger(Logger):  # type: ignore[misc]
    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        return {key: redact(value) if isinstance(value, str) else value for key, value in atoms.items()}
