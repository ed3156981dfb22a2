# gunicorn settings for Fengqiao (docs/deployment.md): gunicorn -c deploy/gunicorn.conf.py fengqiao.wsgi
# The access log never holds a tracking secret (/portal/t/<secret>/) or a searched phone number: every
# field is redacted by fengqiao.core.gunicorn_log.RedactingLogger; the format logs the path without
# the query string anyway.
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "4"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
max_requests = 5000
max_requests_jitter = 500
graceful_timeout = 5
accesslog = "-"
access_log_format = '%(t)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'
logger_class = "fengqiao.core.gunicorn_log.RedactingLogger"
# Load the application — and with it the triage models, jieba and the gazetteer (fengqiao/wsgi.py runs the
# registered warm-ups) — once in the master, before the workers are forked: they share those pages.
preload_app = True
