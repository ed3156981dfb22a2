"""The suite's own servers: a PostgreSQL cluster, a Redis, gunicorn (2 workers) and Celery, all on
loopback ports of their own. The machine's shared PostgreSQL (5432) and Redis (6379) are never touched.

Every process is started in a session of its own and stopped by its process group id; ``Stack.close``
stops everything that is still running (called from ``finally`` and ``atexit``).
"""

# ruff: noqa: S603, S607 - the suite's own servers and tools, started with fixed arguments on loopback

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
PG_BIN = Path(os.environ.get("RESILIENCE_PG_BIN", "/usr/lib/postgresql/15/bin"))


def port_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def wait_port(port: int, seconds: float, proc: subprocess.Popen[bytes] | None = None) -> bool:
    stop = time.monotonic() + seconds
    while time.monotonic() < stop:
        if proc is not None and proc.poll() is not None:
            return False
        if not port_free(port):
            return True
        time.sleep(0.1)
    return False


def stop_group(proc: subprocess.Popen[bytes] | None, sig: int = signal.SIGTERM, wait: float = 15.0) -> None:
    """Stop a process we started (and its children) through its own process group."""
    if proc is None or proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)
    try:
        proc.wait(wait)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


def rss_kb(pid: int) -> int:
    """Resident memory of a process and all its children (kB), from /proc."""
    total = 0
    pids = [pid]
    with contextlib.suppress(FileNotFoundError):
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    for p in pids:
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total


@dataclass
class Ports:
    pg: int = 55432
    redis: int = 56379
    web: int = 58080
    gateway: int = 58090
    restore_pg: int = 55433


@dataclass
class Stack:
    ports: Ports = field(default_factory=Ports)
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="fq-resilience-")))
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    pg_running: bool = False
    extra_clusters: list[Path] = field(default_factory=list)
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(48))
    data_key: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    audit_key: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    extra_env: dict[str, str] = field(default_factory=dict)

    # --- paths ------------------------------------------------------------------------------------
    @property
    def pgdata(self) -> Path:
        return self.workdir / "pg" / "data"

    @property
    def wal_archive(self) -> Path:
        return self.workdir / "pg" / "archive"

    @property
    def var(self) -> Path:
        return self.workdir / "var"

    @property
    def logs(self) -> Path:
        return self.workdir / "logs"

    @property
    def database_url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.ports.pg}/fengqiao"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.web}"

    def env(self) -> dict[str, str]:
        """The production-like environment of every Fengqiao process (docs/deployment.md)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "fengqiao.settings",
                "FENGQIAO_PRODUCTION": "1",
                "SECRET_KEY": self.secret_key,
                "FENGQIAO_DATA_KEY": self.data_key,
                "FENGQIAO_AUDIT_KEY": self.audit_key,
                "DATABASE_URL": self.database_url,
                "DB_CONN_MAX_AGE": "60",
                "CELERY_BROKER_URL": f"redis://127.0.0.1:{self.ports.redis}/0",
                "REDIS_URL": f"redis://127.0.0.1:{self.ports.redis}/1",
                "ALLOWED_HOSTS": "127.0.0.1,localhost",
                "CSRF_TRUSTED_ORIGINS": f"https://127.0.0.1:{self.ports.web}",
                "FENGQIAO_VAR_DIR": str(self.var),
                "FENGQIAO_MODEL_DIR": str(self.var / "models"),
                # The real Aliyun backend, pointed at the suite's fake gateway on loopback.
                "FENGQIAO_SMS_BACKEND": "fengqiao.notify.aliyun.AliyunSMSBackend",
                "ALIYUN_SMS_ENDPOINT": f"http://127.0.0.1:{self.ports.gateway}/",
                "ALIYUN_SMS_ACCESS_KEY_ID": "resilience-key",
                "ALIYUN_SMS_ACCESS_KEY_SECRET": "resilience-secret",
                "ALIYUN_SMS_SIGN_NAME": "枫桥",
                "ALIYUN_SMS_TEMPLATES": '{"*": "SMS_0001", "verify": "SMS_0002"}',
                "ALIYUN_SMS_TIMEOUT": "10",
                "LOG_LEVEL": "WARNING",
            }
        )
        env.update(self.extra_env)
        return env

    def _spawn(self, name: str, cmd: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        self.logs.mkdir(parents=True, exist_ok=True)
        out = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 - owned by the process
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env or self.env(), stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.procs[name] = proc
        return proc

    # --- PostgreSQL -------------------------------------------------------------------------------
    def _as_postgres(
        self, cmd: list[str], check: bool = True, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, check=check, capture_output=True, text=True, timeout=timeout)

    def _chown_postgres(self, path: Path) -> None:
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            for p in [path, *path.rglob("*")]:
                os.chown(p, pw.pw_uid, pw.pw_gid)

    def init_postgres(self) -> None:
        if not port_free(self.ports.pg):
            raise RuntimeError(f"port {self.ports.pg} is taken: another suite running?")
        (self.workdir / "pg").mkdir(parents=True, exist_ok=True)
        self.wal_archive.mkdir(parents=True, exist_ok=True)
        self.workdir.chmod(0o755)
        self._chown_postgres(self.workdir / "pg")
        self._as_postgres(
            [
                str(PG_BIN / "initdb"),
                "-D",
                str(self.pgdata),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale",
                "C.UTF-8",
            ]
        )
        self.write_pg_conf(self.pgdata, self.ports.pg)
        self.start_postgres()
        self._as_postgres([str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.ports.pg), "fengqiao"])

    def write_pg_conf(self, data: Path, port: int) -> None:
        """Loopback only, WAL archived (docs/backup.md): archive_timeout bounds what a lost server loses."""
        conf = f"""
listen_addresses = '127.0.0.1'
port = {port}
unix_socket_directories = '{data.parent}'
max_connections = 100
shared_buffers = 64MB
wal_level = replica
archive_mode = on
archive_command = 'test ! -f {self.wal_archive}/%f && cp %p {self.wal_archive}/%f'
archive_timeout = 30
logging_collector = off
"""
        with open(data / "postgresql.conf", "a") as fh:
            fh.write(conf)

    def start_postgres(self, data: Path | None = None) -> None:
        data = data or self.pgdata
        log = data.parent / f"{data.name}.log"
        self._as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60", "start"])
        if data == self.pgdata:
            self.pg_running = True

    def stop_postgres(self, data: Path | None = None, mode: str = "fast") -> None:
        data = data or self.pgdata
        self._as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", mode, "-w", "-t", "60", "stop"], check=False)
        if data == self.pgdata:
            self.pg_running = False

    def psql(self, sql: str, port: int | None = None, db: str = "fengqiao") -> str:
        r = subprocess.run(
            ["psql", "-h", "127.0.0.1", "-p", str(port or self.ports.pg), "-U", "postgres", "-d", db, "-At", "-c", sql],
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
        )
        return r.stdout.strip()

    # --- Redis ------------------------------------------------------------------------------------
    def start_redis(self) -> None:
        if not port_free(self.ports.redis):
            raise RuntimeError(f"port {self.ports.redis} is taken")
        proc = self._spawn(
            "redis",
            [
                "redis-server",
                "--port",
                str(self.ports.redis),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
        )
        if not wait_port(self.ports.redis, 20, proc):
            raise RuntimeError("redis did not start")

    def stop_redis(self) -> None:
        stop_group(self.procs.pop("redis", None))

    # --- Fengqiao -----------------------------------------------------------------------------------
    def manage(
        self, *args: str, timeout: float = 600, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(BIN / "fengqiao"), *args],
            cwd=ROOT,
            env=env or self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def start_web(self, workers: int = 2) -> None:
        if not port_free(self.ports.web):
            raise RuntimeError(f"port {self.ports.web} is taken")
        conf = ROOT / "deploy" / "gunicorn.conf.py"  # the production settings, when the project ships them
        proc = self._spawn(
            "web",
            [
                str(BIN / "gunicorn"),
                *(["-c", str(conf)] if conf.exists() else []),
                "fengqiao.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.ports.web}",
                "--workers",
                str(workers),
                "--threads",
                "4",
                "--worker-class",
                "gthread",
                "--max-requests",
                "5000",
                "--max-requests-jitter",
                "500",
                "--timeout",
                "60",
                "--access-logfile",
                str(self.logs / "access.log"),
                "--forwarded-allow-ips",
                "127.0.0.1",
            ],
        )
        if not wait_port(self.ports.web, 60, proc):
            raise RuntimeError("gunicorn did not start (see logs/web.log)")

    def wait_ready(self, seconds: float = 600) -> float:
        """Seconds until ``/healthz`` answers 200 (workers import the whole project first: slow on a busy machine)."""
        import http.client

        t0 = time.monotonic()
        while time.monotonic() - t0 < seconds:
            if self.procs.get("web") is None or self.procs["web"].poll() is not None:
                raise RuntimeError("gunicorn exited (see logs/web.log)")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.ports.web, timeout=10)
                conn.request("GET", "/healthz", headers={"X-Forwarded-Proto": "https", "Host": "127.0.0.1"})
                status = conn.getresponse().status
                conn.close()
                if status == 200:
                    return time.monotonic() - t0
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(1)
        raise RuntimeError(f"Fengqiao did not answer /healthz within {seconds:.0f}s")

    def web_rss_kb(self) -> int:
        proc = self.procs.get("web")
        return rss_kb(proc.pid) if proc else 0

    def start_worker(self) -> subprocess.Popen[bytes]:
        return self._spawn(
            "worker",
            [
                str(BIN / "celery"),
                "-A",
                "fengqiao",
                "worker",
                "-l",
                "warning",
                "--concurrency",
                "2",
                "--without-gossip",
                "--without-mingle",
                "-n",
                f"resilience-{secrets.token_hex(3)}@%h",
            ],
        )

    def start_beat(self) -> subprocess.Popen[bytes]:
        return self._spawn(
            "beat",
            [str(BIN / "celery"), "-A", "fengqiao", "beat", "-l", "warning", "-s", str(self.workdir / "beat-schedule")],
        )

    def stop(self, name: str, sig: int = signal.SIGTERM) -> None:
        stop_group(self.procs.pop(name, None), sig)

    # --- teardown ---------------------------------------------------------------------------------
    def close(self, keep: bool = False) -> None:
        for name in list(self.procs):
            with contextlib.suppress(Exception):
                self.stop(name)
        for data in self.extra_clusters:
            with contextlib.suppress(Exception):
                self.stop_postgres(data, mode="immediate")
        if self.pg_running:
            with contextlib.suppress(Exception):
                self.stop_postgres(mode="immediate")
        if not keep:
            shutil.rmtree(self.workdir, ignore_errors=True)
