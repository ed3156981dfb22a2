"""A web worker loads no classifier stack (issue #21): with triage after the commit, in a deployment with a
broker the Celery workers classify and the web workers never need scikit-learn, SciPy, NumPy or jieba (nor
openpyxl, which django-import-export's format list used to load at the admin's discovery). Checked in a
fresh interpreter: Django set up, the WSGI application built, every URL pattern loaded."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import json, os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fengqiao.settings")
from fengqiao import wsgi
from django.urls import get_resolver
get_resolver().url_patterns
import fengqiao.portal.views, fengqiao.api.views, fengqiao.knowledge.views_portal
heavy = ("sklearn", "scipy", "jieba", "pandas", "numpy", "openpyxl", "networkx")
print(json.dumps(sorted(m for m in heavy if m in sys.modules)))
"""


def test_a_web_worker_with_a_broker_imports_no_classifier_stack() -> None:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "CELERY_BROKER_URL": "redis://127.0.0.1:1/0",  # never contacted: importing only
        "FENGQIAO_WARM_UP": "auto",
    }
    out = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=True
    )
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
