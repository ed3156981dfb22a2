"""Fengqiao settings: one module, read from the environment.

Nothing set → an embedded deployment: SQLite under ``var/``, background work in-process.
``DATABASE_URL`` / ``CELERY_BROKER_URL`` / ``REDIS_URL`` set → a real deployment.
"""

from __future__ import annotations

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
    "django_otp.plugins.otp_totp",
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

# Oversized form posts go back to the form with a Chinese message (fengqiao.core.limits); it reads
# the form before the CSRF check would.
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.csrf.CsrfViewMiddleware"), "fengqiao.core.limits.RequestLimitsMiddleware"
)
