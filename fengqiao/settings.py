"""Fengqiao settings: one module, read from the environment.

Nothing set → an embedded deployment: SQLite under ``var/``, background work in-process.
``DATABASE_URL`` / ``CELERY_BROKER_URL`` / ``REDIS_URL`` set → a real deployment.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("FENGQIAO_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


PRODUCTION = env_bool("FENGQIAO_PRODUCTION", False)
DEBUG = env_bool("DJANGO_DEBUG", False)

_DEV_SECRET = "dev-insecure-secret-key-change-me-0123456789abcdefghijklmnopqrstuvwxyz"  # noqa: S105
SECRET_KEY = os.environ.get("SECRET_KEY", "" if PRODUCTION else _DEV_SECRET)
if PRODUCTION and len(SECRET_KEY) < 50:
    raise RuntimeError("SECRET_KEY must be set (50+ characters) in production")

# Key for personal data at rest (Fernet/AES) and for the keyed search hash.
_DEV_DATA_KEY = "dev-insecure-data-key-do-not-use-in-production"
FENGQIAO_DATA_KEY = os.environ.get("FENGQIAO_DATA_KEY", "" if PRODUCTION else _DEV_DATA_KEY)
if PRODUCTION and len(FENGQIAO_DATA_KEY) < 32:
    raise RuntimeError("FENGQIAO_DATA_KEY must be set (32+ characters) in production")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "import_export",
    "django_otp",
    "fengqiao.core.thirdparty.TOTPConfig",  # django_otp.plugins.otp_totp, named in Chinese
    "fengqiao.core",
    "fengqiao.org",
    "fengqiao.cases",
    "fengqiao.mediation",
    "fengqiao.triage",
    "fengqiao.supervision",
    "fengqiao.notify",
    "fengqiao.api",
    "fengqiao.web",
    "fengqiao.portal",
    "fengqiao.channels",
    "fengqiao.demo",
    "fengqiao.early_warning",
]

MIDDLEWARE = [
    "fengqiao.core.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "fengqiao.core.middleware.SlidingSessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "fengqiao.urls"
WSGI_APPLICATION = "fengqiao.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "fengqiao" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "fengqiao.web.context_processors.staff",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'fengqiao.sqlite3'}"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;"
            " PRAGMA cache_size=-64000; PRAGMA mmap_size=268435456;"
        ),
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0 if os.environ.get("PYTEST_XDIST_WORKER") else 60
DATABASES["default"].setdefault("TEST", {})
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "fengqiao" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    # Attachments live in private storage: never under STATIC/MEDIA served by the web server.
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(VAR_DIR / "private"), "base_url": "/attachments/"},
    },
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "fengqiao.core.staticfinders.VendorFinder",  # plotly.min.js from the plotly wheel
]
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024

LOGIN_URL = "/staff/login/"
LOGIN_REDIRECT_URL = "/staff/"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "fengqiao.api.pagination.CasePagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "fengqiao.api.errors.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"anon": "60/min", "user": "6000/min"},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Fengqiao API",
    "DESCRIPTION": "枫桥 — one-stop grassroots dispute resolution. Every state change is one POST per action.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "UnitKindEnum": "fengqiao.org.choices.UnitKind",
        "PartyKindEnum": "fengqiao.cases.choices.PartyKind",
        "PartyRoleEnum": "fengqiao.cases.choices.PartyRole",
        "ChannelEnum": "fengqiao.cases.choices.Channel",
        "WarningKindEnum": "fengqiao.early_warning.models.Kind",
        "ArticleKindEnum": "fengqiao.knowledge.choices.ArticleKind",
    },
}

# Background work: Celery when a broker is configured, otherwise run in-process.
_BROKER = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not _BROKER
CELERY_BROKER_URL = _BROKER or "memory://"
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", "") or None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]

# SMS backend, chosen like Django's email backends.
FENGQIAO_SMS_BACKEND = os.environ.get("FENGQIAO_SMS_BACKEND", "fengqiao.notify.backends.ConsoleSMSBackend")
FENGQIAO_SMS_FILE_PATH = os.environ.get("FENGQIAO_SMS_FILE_PATH", str(VAR_DIR / "sms"))

# Security headers; strict transport only where HTTPS terminates in front of us.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = False  # the idle timeout slides: fengqiao.core.middleware.SlidingSessionMiddleware
CSRF_COOKIE_HTTPONLY = False
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "fengqiao.core.logging.RequestIdFilter"},
        "redact": {"()": "fengqiao.core.logging.RedactPersonalDataFilter"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["request_id", "redact"],
        },
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "jieba": {"level": "WARNING"},
        "celery.app.trace": {"level": "WARNING"},
        "kombu.connection": {"level": "ERROR"},
    },
}

FENGQIAO_APP_NAME = _("枫桥矛盾纠纷多元化解平台")
AUTH_USER_MODEL = "org.User"

# Default deadlines until a deadline policy applies (hours/days from registration).
FENGQIAO_DEADLINES = {
    "accept_hours": int(os.environ.get("FENGQIAO_ACCEPT_HOURS", "24")),
    "contact_hours": int(os.environ.get("FENGQIAO_CONTACT_HOURS", "72")),
    "complete_days": int(os.environ.get("FENGQIAO_COMPLETE_DAYS", "15")),
}

# Without a broker: run background work in a thread pool ("thread") or synchronously ("sync").
FENGQIAO_INPROCESS_TASKS = os.environ.get("FENGQIAO_INPROCESS_TASKS", "thread")

FENGQIAO_INSTRUCTION_REMIND_DAYS = int(os.environ.get("FENGQIAO_INSTRUCTION_REMIND_DAYS", "3"))
# Triage classifiers: model files, and the top probability under which a dispatcher must confirm.
FENGQIAO_MODEL_DIR = Path(os.environ.get("FENGQIAO_MODEL_DIR", VAR_DIR / "models"))
TRIAGE_CONFIDENCE_THRESHOLD = float(os.environ.get("TRIAGE_CONFIDENCE_THRESHOLD", "0.6"))
CELERY_BEAT_SCHEDULE = {
    "supervision-sweep": {"task": "fengqiao.supervision.tasks.run_sweep", "schedule": 60.0},
    "outbox-relay": {"task": "fengqiao.notify.tasks.relay_outbox", "schedule": 5.0},
    "audit-chain": {"task": "fengqiao.core.tasks.chain_audit", "schedule": 1.0},
    "rating-reminders": {"task": "fengqiao.notify.tasks.remind_ratings", "schedule": 3600.0},
}
FENGQIAO_ACCOUNTABILITY = {
    "register_hours": int(os.environ.get("FENGQIAO_REGISTER_HOURS", "24")),
    "mediate_days": int(os.environ.get("FENGQIAO_MEDIATE_DAYS", "7")),
    "transfer_count": 3,
    "overdue_count": 3,
    "overdue_window_days": 90,
}
CELERY_BEAT_SCHEDULE["accountability-detect"] = {
    "task": "fengqiao.supervision.tasks.run_accountability",
    "schedule": 3600.0,
}

# Absolute base URL used in SMS links (e.g. https://fengqiao.example.gov.cn); relative links when empty.
FENGQIAO_PUBLIC_URL = os.environ.get("FENGQIAO_PUBLIC_URL", "").rstrip("/")

# --- Hardening (docs/security.md) -----------------------------------------------------------------
# Lockout on every sign-in door (staff login and its second factor, /admin/ which uses the same door,
# the API token endpoint): django-axes, counted in the database so every worker shares the counter.
# Five failures lock the account for 15 minutes, per username (whatever the client address) and per
# (username, address); the address is REMOTE_ADDR, or X-Forwarded-For only from FENGQIAO_TRUSTED_PROXIES.
INSTALLED_APPS.append("fengqiao.core.thirdparty.AxesConfig")  # axes, named in Chinese
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
MIDDLEWARE.append("axes.middleware.AxesMiddleware")
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = int(os.environ.get("FENGQIAO_LOGIN_FAILURES", "5"))
AXES_COOLOFF_TIME = dt.timedelta(minutes=int(os.environ.get("FENGQIAO_LOCK_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", ["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # a lock lasts 15 minutes, as the sign-in page says
AXES_USERNAME_CALLABLE = "fengqiao.web.lockout.axes_username"
AXES_CLIENT_IP_CALLABLE = "fengqiao.core.middleware.client_ip"
AXES_LOCKOUT_CALLABLE = "fengqiao.web.lockout.lockout_response"
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "password", "otp", "token", "sms_code"]
AXES_VERBOSE = False
FENGQIAO_TRUSTED_PROXIES = env_list("FENGQIAO_TRUSTED_PROXIES")

# Rate limits per client address on the public and sign-in doors ("<count>/<second|minute|hour|day>").
FENGQIAO_RATE_LIMITS = {
    "login": os.environ.get("FENGQIAO_RATE_LOGIN", "30/minute"),
    "inbound": os.environ.get("FENGQIAO_RATE_INBOUND", "600/minute"),
    "open311": os.environ.get("FENGQIAO_RATE_OPEN311", "120/minute"),
}
REST_FRAMEWORK["NUM_PROXIES"] = 0  # DRF throttles never trust X-Forwarded-For on their own
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {
    **REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],  # type: ignore[dict-item]
    "login": FENGQIAO_RATE_LIMITS["login"],
}
LOGGING["loggers"]["axes"] = {"level": "WARNING"}  # type: ignore[index]

# The audit chain's seal key: outside the database, so a database user alone cannot rewrite the chain
# unnoticed. Not set → derived from SECRET_KEY. Changing it makes earlier rows fail audit-verify.
FENGQIAO_AUDIT_KEY = os.environ.get("FENGQIAO_AUDIT_KEY", "")
# Optional external anchor: `fengqiao audit-anchor` appends the chain's head here (a file on other
# storage, or shipped to a log host); audit-verify then also checks every anchored row.
FENGQIAO_AUDIT_ANCHOR_FILE = os.environ.get("FENGQIAO_AUDIT_ANCHOR_FILE", "")
# runserver's request lines through the same redacting handler as everything else.
LOGGING["loggers"]["django.server"] = {"handlers": ["console"], "level": "INFO", "propagate": False}  # type: ignore[index]

# Content-Security-Policy on every response (django-csp 4): scripts only from our own origin (no inline
# script, no inline handler, no eval); styles may be inline (Plotly and Swagger UI write style rules at
# run time), see docs/security.md. FENGQIAO_CSP_EXTRA_SOURCES adds hosts (e.g. a map tile server).
from csp.constants import NONE, SELF, UNSAFE_INLINE  # noqa: E402

_CSP_EXTRA = env_list("FENGQIAO_CSP_EXTRA_SOURCES")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:", "blob:", *_CSP_EXTRA],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF, *_CSP_EXTRA],
        "worker-src": [SELF, "blob:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
INSTALLED_APPS.append("csp")
MIDDLEWARE.append("csp.middleware.CSPMiddleware")
# Cache-Control: no-store on everything a signed-in user is shown and on the whole API (revealed
# phone numbers, export.xlsx, 一事一档 file.pdf, case detail and reveal): fengqiao.core.middleware.
MIDDLEWARE.append("fengqiao.core.middleware.NoStoreMiddleware")
# Evaluation (考评反馈): the app, the index recomputed hourly, monthly reports generated daily for the last month.
INSTALLED_APPS.append("fengqiao.evaluation")
CELERY_BEAT_SCHEDULE["evaluation-index"] = {"task": "fengqiao.evaluation.tasks.refresh_index", "schedule": 3600.0}
CELERY_BEAT_SCHEDULE["evaluation-reports"] = {"task": "fengqiao.evaluation.tasks.monthly_reports", "schedule": 86400.0}
# Atlas (一张图, big screens, statistics): docs/map.md. The map is tile-free unless a tile URL template
# is set (e.g. a county's 天地图 key: https://t0.tianditu.gov.cn/DataServer?T=vec_w&x={x}&y={y}&l={z}&tk=KEY).
INSTALLED_APPS.append("fengqiao.atlas")
FENGQIAO_MAP_TILES = os.environ.get("FENGQIAO_MAP_TILES", "")
FENGQIAO_MAP_TILES_ATTRIBUTION = os.environ.get("FENGQIAO_MAP_TILES_ATTRIBUTION", "")
# Datum of those tiles: "wgs84" (天地图, CGCS2000) or "gcj02" (高德, 腾讯); geometry is shifted to match.
FENGQIAO_MAP_TILES_CRS = os.environ.get("FENGQIAO_MAP_TILES_CRS", "wgs84")
if FENGQIAO_MAP_TILES:  # the configured tile host is the only outside source the CSP admits
    from urllib.parse import urlsplit as _urlsplit

    _tiles = _urlsplit(FENGQIAO_MAP_TILES)
    _tile_origin = f"{_tiles.scheme}://{_tiles.netloc}"
    for _directive in ("img-src", "connect-src"):
        CONTENT_SECURITY_POLICY["DIRECTIVES"][_directive].append(_tile_origin)  # type: ignore[index]
# --- Hardening (issue #12; docs/reliability.md) -----------------------------------------------------
# Statement and lock timeouts on PostgreSQL, per connection: a row held by another session or a runaway
# query fails after a bound (→ 503 with Retry-After) instead of stalling every worker thread. The
# `fengqiao` command and Celery workers set their own, longer defaults (fengqiao/cli.py, celery.py).
DB_STATEMENT_TIMEOUT_MS = int(os.environ.get("FENGQIAO_DB_STATEMENT_TIMEOUT_MS", "15000"))
DB_LOCK_TIMEOUT_MS = int(os.environ.get("FENGQIAO_DB_LOCK_TIMEOUT_MS", "5000"))
if DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql"):
    _pg_options = DATABASES["default"].setdefault("OPTIONS", {})
    # JIT compilation off by default (docs/scaling.md): it cost ~250 ms per drill-down query at 1 M cases,
    # more than it saves on queries of a page's size. FENGQIAO_DB_JIT=1 leaves the server's setting.
    _jit = "" if os.environ.get("FENGQIAO_DB_JIT", "") == "1" else " -c jit=off"
    _pg_options["options"] = (
        f"{_pg_options.get('options', '')} -c statement_timeout={DB_STATEMENT_TIMEOUT_MS}"
        f" -c lock_timeout={DB_LOCK_TIMEOUT_MS}{_jit}"
    ).strip()
# Seconds a client is told to wait (Retry-After) when the database or cache is unavailable.
FENGQIAO_RETRY_AFTER = int(os.environ.get("FENGQIAO_RETRY_AFTER", "30"))
FENGQIAO_JSON_MAX_DEPTH = 32
MIDDLEWARE.insert(1, "fengqiao.core.outage.UnavailableMiddleware")  # right after RequestIdMiddleware
MIDDLEWARE.insert(1, "fengqiao.core.outage.QueueDeadlineMiddleware")  # shed what waited too long, before all else
# A request that waited longer than this in front of the workers (X-Request-Start from the proxy) gets a 503 at
# once (docs/reliability.md); 0 turns shedding off. Below the proxy's and the clients' own timeouts (30–60 s).
FENGQIAO_QUEUE_DEADLINE_S = float(os.environ.get("FENGQIAO_QUEUE_DEADLINE_S", "10"))
MIDDLEWARE.insert(2, "fengqiao.core.guards.InputGuardMiddleware")
REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"] = [
    "fengqiao.api.parsers.SafeJSONParser",
    "rest_framework.parsers.FormParser",
    "rest_framework.parsers.MultiPartParser",
]
if REDIS_URL:  # a cache that degrades to process memory while Redis is down (fengqiao/core/cache.py)
    CACHES["default"]["BACKEND"] = "fengqiao.core.cache.DegradingRedisCache"
    CACHES["default"]["OPTIONS"] = {"socket_connect_timeout": 1, "socket_timeout": 2}  # type: ignore[assignment]
CELERY_BEAT_SCHEDULE["fanout-catch-up"] = {"task": "fengqiao.notify.tasks.catch_up_fanout", "schedule": 300.0}
REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"] = "fengqiao.api.schema.FengqiaoAutoSchema"  # documents error answers
# Early warning (预警研判): one incremental run of every enabled model, then reminders/escalation.
CELERY_BEAT_SCHEDULE["early-warning-run"] = {"task": "fengqiao.early_warning.tasks.run_warnings", "schedule": 600.0}
# Knowledge and self-service (fengqiao.knowledge): articles, consultation assistant, case library, legal aid.
INSTALLED_APPS += ["fengqiao.knowledge"]
# Code of the unit that receives legal aid applications (empty: the unit named 法律援助中心, else 司法局).
FENGQIAO_LEGAL_AID_UNIT = os.environ.get("FENGQIAO_LEGAL_AID_UNIT", "")
# Oversized form posts go back to the form with a Chinese message (fengqiao.core.limits); it reads
# the form before the CSRF check would.
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.csrf.CsrfViewMiddleware"), "fengqiao.core.limits.RequestLimitsMiddleware"
)
CELERY_BEAT_SCHEDULE["atlas-rollups"] = {"task": "fengqiao.atlas.tasks.refresh_rollups", "schedule": 60.0}
CELERY_BEAT_SCHEDULE["atlas-rollups-rebuild"] = {"task": "fengqiao.atlas.tasks.rebuild_rollups", "schedule": 86400.0}
CELERY_BEAT_SCHEDULE["mediation-reminders"] = {"task": "fengqiao.mediation.tasks.mediation_reminders", "schedule": 300}
INSTALLED_APPS.append("fengqiao.gridwork")
CELERY_BEAT_SCHEDULE["triage-catch-up"] = {"task": "fengqiao.triage.tasks.triage_catch_up", "schedule": 60.0}
# Triage that keeps learning (issue 20): nightly retraining at 02:30 Asia/Shanghai (fengqiao.triage.learning).
from celery.schedules import crontab  # noqa: E402

CELERY_BEAT_SCHEDULE["triage-retrain"] = {
    "task": "fengqiao.triage.tasks.retrain_nightly",
    "schedule": crontab(hour=2, minute=30),
}
