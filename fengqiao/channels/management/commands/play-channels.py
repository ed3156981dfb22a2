"""Play a 12345 hotline, a police platform and a court against a running Fengqiao over HTTP.

Every request is really signed with the system's key (read from this installation's database, as
the external system would have it configured); a local receiver checks the signature of every
status webhook that comes back. Usage::

    fengqiao demo-serve &                      # or any running instance using the same database
    fengqiao play-channels --base-url http://127.0.0.1:8000
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from django.core.management.base import BaseCommand, CommandError

from fengqiao.channels import signing
from fengqiao.channels.models import ExternalSystem


class Command(BaseCommand):
    help = "扮演 12345 热线、公安警情平台和法院，通过 HTTP 向运行中的演示系统推送签名工单，并接收状态回传。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")
        parser.add_argument("--hook-port", type=int, default=8765, help="本地接收状态回传的端口")
        parser.add_argument("--wait", type=float, default=8.0, help="等待回传的秒数")

    def handle(self, *args: Any, **options: Any) -> None:
        base = options["base_url"].rstrip("/")
        if urlsplit(base).scheme not in ("http", "https"):
            raise CommandError("--base-url 须以 http:// 或 https:// 开头。")
        prefix = urlsplit(base).path.rstrip("/")
        systems = {
            s.code: s for s in ExternalSystem.objects.filter(code__in=["hotline-12345", "police-xj", "court-xj"])
        }
        if len(systems) < 3:
            raise CommandError("未找到演示对接系统：请先运行 fengqiao demo-setup。")
        by_key = {s.key_id: s for s in systems.values()}
        received: list[tuple[str, bool, dict[str, Any]]] = []

        class Hook(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                system = by_key.get(self.headers.get(signing.HEADER_KEY, ""))
                ok = system is not None and not signing.check(
                    str(system.secret),
                    "POST",
                    self.path,
                    self.headers.get(signing.HEADER_TS, ""),
                    self.headers.get(signing.HEADER_NONCE, ""),
                    body,
                    self.headers.get(signing.HEADER_SIG, ""),
                )
                received.append((system.code if system else "?", ok, json.loads(body or b"{}")))
                self.send_response(200 if ok else 401)
                self.end_headers()

            def log_message(self, *a: Any) -> None:
                pass

        server = None
        try:
            server = ThreadingHTTPServer(("127.0.0.1", options["hook_port"]), Hook)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            self.stdout.write(f"状态回传接收端：http://127.0.0.1:{options['hook_port']}/hooks/<系统代码>")
        except OSError as exc:
            self.stdout.write(self.style.WARNING(f"无法监听回传端口（{exc}）：只推送，不接收回传。"))

        def call(system: ExternalSystem, method: str, path: str, payload: Any = None, **tamper: str) -> tuple[int, Any]:
            body = json.dumps(payload, ensure_ascii=False).encode() if payload is not None else b""
            headers = signing.sign_headers(system.key_id, str(system.secret), method, prefix + path, body)
            headers.update(tamper)
            headers["Content-Type"] = "application/json"
            req = urllib.request.Request(base + path, data=body or None, headers=headers, method=method)  # noqa: S310
            try:
                with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310 - the operator's URL
                    return resp.status, json.loads(resp.read())
            except urllib.error.HTTPError as exc:
                raw = exc.read()
                try:
                    return exc.code, json.loads(raw or b"{}")
                except ValueError:
                    return exc.code, {"message": raw[:200].decode("utf-8", "replace")}

        stamp = time.strftime("%Y%m%d%H%M%S")
        hotline, police, court = systems["hotline-12345"], systems["police-xj"], systems["court-xj"]
        steps: list[tuple[str, int, str]] = []

        def show(label: str, status: int, body: Any) -> None:
            text = body.get("case_code") or body.get("message") or ""
            if "received" in body:
                text = f"接收 {body['received']} 件，重复推送 {body['duplicates_refused']} 次，回传 {body['webhooks']}"
            steps.append((label, status, f"{text} {body.get('state_label', '')}".strip()))
            self.stdout.write(f"  {status}  {label}: {text} {body.get('state_label', '')}")

        self.stdout.write("12345 热线：")
        order = {
            "gdbh": f"12345-{stamp}-01",
            "gdbt": "小区楼下烧烤店油烟噪音扰民",
            "sqnr": "白塔镇白塔村村口烧烤店每晚营业到凌晨，油烟和噪音严重影响休息，多次反映未解决。",
            "sqlb": "噪音扰民",
            "ldrxm": "王先生",
            "lddh": "13805761234",
            "fsdd": "白塔镇白塔村村口",
        }
        show("新工单", *call(hotline, "POST", "/api/v1/inbound/cases", order))
        show("同一工单再推一次（幂等）", *call(hotline, "POST", "/api/v1/inbound/cases", order))
        show("查询状态", *call(hotline, "GET", f"/api/v1/inbound/cases/{order['gdbh']}"))
        show(
            "篡改签名（应被拒绝）",
            *call(hotline, "POST", "/api/v1/inbound/cases", {**order, "gdbh": "X"}, **{signing.HEADER_SIG: "0" * 64}),
        )

        self.stdout.write("公安警情平台：")
        show(
            "警情纠纷",
            *call(
                police,
                "POST",
                "/api/v1/inbound/cases",
                {
                    "jqbh": f"JQ{stamp}",
                    "jyqk": "田市镇两户村民因宅基地边界发生口角推搡，民警到场后双方情绪平稳，需村调委会后续调解。",
                    "jqlb": "邻里纠纷",
                    "afdd": "田市镇田市村",
                },
            ),
        )

        self.stdout.write("法院（诉前调解委派）：")
        show(
            "委派诉前调解",
            *call(
                court,
                "POST",
                "/api/v1/inbound/cases",
                {
                    "external_ref": f"(2026)浙1024民诉前调{stamp[-6:]}号",
                    "title": "买卖合同纠纷（诉前调解）",
                    "description": "原告诉称被告拖欠货款五万元，经立案前引导，双方同意由乡镇人民调解委员会先行调解。",
                    "name": "李某",
                    "phone": "13905761111",
                    "respondent_name": "某某建材有限公司",
                    "address": "白塔镇",
                },
            ),
        )
        show("本系统统计", *call(court, "GET", "/api/v1/inbound/stats"))

        if server is not None:
            deadline = time.time() + options["wait"]
            while time.time() < deadline and len(received) < 3:
                time.sleep(0.2)
            self.stdout.write(f"收到状态回传 {len(received)} 条：")
            for code, ok, body in received:
                flag = "签名有效" if ok else "签名无效"
                self.stdout.write(
                    f"  [{code}] {flag} {body.get('event')} {body.get('case_code')} {body.get('state_label')}"
                )
            server.shutdown()
        bad = [s for s in steps if s[1] >= 500]
        if bad:
            raise CommandError(f"服务器错误：{bad}")
