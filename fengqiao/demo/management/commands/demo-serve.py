from __future__ import annotations

import os
import shutil
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from fengqiao.demo.seed import DEMO_PASSWORD
from fengqiao.org.models import User


class Command(BaseCommand):
    help = "Serve the demo with gunicorn (a production-grade server) on 127.0.0.1, printing where to start."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=2)

    def handle(self, *args: Any, **options: Any) -> None:
        host, port = options["host"], options["port"]
        base = f"http://{host}:{port}"
        self.stdout.write(self.style.SUCCESS(f"\n枫桥演示已就绪：{base}/"))
        self.stdout.write(f"  接口文档   {base}/api/docs/")
        self.stdout.write(f"  管理后台   {base}/admin/")
        self.stdout.write(f"  演示账号（密码 {DEMO_PASSWORD}）：")
        names = [
            "admin",
            "zx_shouli",
            "bt_shouli",
            "bt_chengban",
            "rsj_chengban",
            "wgy_baita",
            "tjy_chen",
            "bt_lingdao",
            "xian_lingdao",
            "jiwei",
            "anquan",
            "shenji",
        ]
        for user in sorted(User.objects.filter(username__in=names), key=lambda u: names.index(u.username)):
            roles = "、".join(sorted({g.get_role_display() for g in user.role_grants()}))
            self.stdout.write(f"    {user.username:<14} {user.display_name}（{roles}，{user.unit}）")
        self.stdout.flush()
        gunicorn = shutil.which("gunicorn", path=os.path.dirname(sys.executable)) or shutil.which("gunicorn")
        if gunicorn is None:
            raise CommandError("gunicorn is not installed")
        argv = [
            gunicorn,
            "fengqiao.wsgi:application",
            "--bind",
            f"{host}:{port}",
            "--workers",
            str(options["workers"]),
            "--threads",
            "4",
            "--access-logfile",
            "-",
            "--access-logformat",
            '%(t)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms',
            "--logger-class",
            "fengqiao.core.gunicorn_log.RedactingLogger",  # no tracking secrets in the access log
            "--graceful-timeout",
            "5",
            "--preload",  # the models are loaded once, before the fork (fengqiao/wsgi.py)
        ]
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fengqiao.settings")
        # The embedded scheduler (Celery beat's job in production): supervision sweep + SMS relay.
        fq = shutil.which("fengqiao", path=os.path.dirname(sys.executable))
        if fq is not None and not settings.CELERY_BROKER_URL.startswith(("redis", "amqp")):
            # This process becomes gunicorn (execv below): the scheduler stops when its parent is gone.
            subprocess.Popen([fq, "run-scheduler", "--with-parent", str(os.getpid())])  # noqa: S603 - our own command
            self.stdout.write("  调度进程   督办扫描每分钟一次，短信外发每5秒一次（控制台输出）")
        if not settings.DEBUG:
            os.environ.setdefault("FENGQIAO_SERVE_STATIC", "1")
        os.execv(gunicorn, argv)  # noqa: S606 - replace this process with the server
