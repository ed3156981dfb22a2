"""The django-helpdesk side of ``bench_register_peer.py``: a tiny Django project generated at run time
(never committed) under ``var/peer/``, run with the interpreter of a separate virtualenv (default
``/work/peer-venv``, where ``pip install django-helpdesk==2.6.1 gunicorn psycopg[binary]`` was run).

Only the project's files are written here; the peer's code stays in its own virtualenv.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

SETTINGS = """
import os
SECRET_KEY = "peer-bench-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = [
    "django.contrib.admin", "django.contrib.auth", "django.contrib.contenttypes", "django.contrib.sessions",
    "django.contrib.sites", "django.contrib.messages", "django.contrib.staticfiles", "django.contrib.humanize",
    "rest_framework", "helpdesk",
]
SITE_ID = 1
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "peerproj.urls"
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [], "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request", "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]},
}]
DATABASES = {"default": {
    "ENGINE": "django.db.backends.postgresql", "NAME": os.environ["PEER_DB"], "USER": "postgres",
    "HOST": "127.0.0.1", "PORT": "5432", "CONN_MAX_AGE": 600,
}}
USE_TZ = True
STATIC_URL = "/static/"
# The peer sends its e-mails inside the request; kept in memory here (no SMTP round trip either side).
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
HELPDESK_PUBLIC_TICKET_QUEUE = "public"
HELPDESK_PUBLIC_TICKET_PRIORITY = 3
HELPDESK_TEAMS_MODE_ENABLED = False
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
"""

URLS = """
from django.urls import include, path
urlpatterns = [path("helpdesk/", include("helpdesk.urls", namespace="helpdesk"))]
"""

WSGI = """
import os
from django.core.wsgi import get_wsgi_application
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peerproj.settings")
application = get_wsgi_application()
"""

# Seeds N tickets (one follow-up each, as the public form writes) with set-based SQL, then counts the
# queries of one public submission in-process (warm), and prints "queries <n>".
SEED_AND_COUNT = """
import os, sys, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peerproj.settings")
django.setup()
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from helpdesk.models import Queue, Ticket
n = int(sys.argv[1])
q, _ = Queue.objects.get_or_create(slug="public", defaults={"title": "Public", "allow_public_submission": True})
have = Ticket.objects.count()
if have < n:
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO helpdesk_ticket (title, queue_id, created, modified, submitter_email, status, on_hold,"
            " description, resolution, priority, last_escalation, secret_key, kbitem_id, merged_to_id, due_date)"
            " SELECT 'seed ' || g, %s, now() - (g || ' minutes')::interval, now(), 'seed' || g || '@example.org',"
            " 1, false, '纠纷描述 ' || g, '', 3, NULL, md5(g::text)::uuid, NULL, NULL, NULL"
            " FROM generate_series(%s, %s) g",
            [q.pk, have + 1, n],
        )
        cur.execute(
            "INSERT INTO helpdesk_followup (ticket_id, date, title, comment, public, new_status, message_id, time_spent)"
            " SELECT id, created, 'Ticket Opened By Web', description, true, NULL, NULL, NULL FROM helpdesk_ticket"
            " WHERE id NOT IN (SELECT ticket_id FROM helpdesk_followup)"
        )
        cur.execute("ANALYZE")
c = Client(REMOTE_ADDR="127.0.0.1")
data = {"queue": q.pk, "title": "count", "body": "queries of one public submission", "priority": 3}
c.post("/helpdesk/tickets/submit/", dict(data, submitter_email="warm@example.org"))
with CaptureQueriesContext(connection) as ctx:
    r = c.post("/helpdesk/tickets/submit/", dict(data, submitter_email="count@example.org"))
assert r.status_code == 302, r.status_code
print("queue", q.pk)
print("queries", len(ctx.captured_queries))
"""


def write(root: Path) -> Path:
    """Write the peer project under ``root`` (returns the directory to put on PYTHONPATH)."""
    pkg = root / "peerproj"
    pkg.mkdir(parents=True, exist_ok=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "settings.py").write_text(SETTINGS)
    (pkg / "urls.py").write_text(URLS)
    (pkg / "wsgi.py").write_text(WSGI)
    (root / "seed_and_count.py").write_text(SEED_AND_COUNT)
    return root


def prepare(root: Path, venv: Path, db: str, tickets: int, env: dict[str, str]) -> tuple[int, int]:
    """Fresh database, migrations, seed; returns (queue id, queries per public submission)."""
    subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", "--force", db], check=True)
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", db], check=True)
    py = str(venv / "bin" / "python")
    subprocess.run([py, "-m", "django", "migrate", "-v0"], cwd=root, env=env, check=True)
    out = subprocess.run(
        [py, "seed_and_count.py", str(tickets)], cwd=root, env=env, check=True, capture_output=True, text=True
    ).stdout
    values = dict(line.split() for line in out.splitlines() if line.startswith(("queue", "queries")))
    return int(values["queue"]), int(values["queries"])
