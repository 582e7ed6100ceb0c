"""cheeseshop's one settings module.

Every setting an operator may change is read here, once, from a ``CHEESESHOP_*`` environment
variable with an embedded default, so that ``cheeseshop serve`` works on a fresh machine with no
configuration at all. ``cheeseshop --help`` and ``docs/configuration.md`` list them.
"""

import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent


def _env(name: str, default: str) -> str:
    return os.environ.get(f"CHEESESHOP_{name}", default)


def _env_bool(name: str, default: bool) -> bool:
    value = _env(name, "true" if default else "false").strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"CHEESESHOP_{name} must be true or false, not {value!r}")


def _env_int(name: str, default: int) -> int:
    value = _env(name, str(default))
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"CHEESESHOP_{name} must be an integer, not {value!r}") from None


def _load_or_create_secret_key(data_dir: Path) -> str:
    """Read the data directory's secret key, creating it on first start.

    ``O_EXCL`` makes concurrent first starts (server and worker) agree on one key.
    """
    path = data_dir / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


# --- Data directory -----------------------------------------------------------------------------

DATA_DIR = Path(_env("DATA_DIR", "./cheeseshop-data")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = os.environ.get("CHEESESHOP_SECRET_KEY") or _load_or_create_secret_key(DATA_DIR)
DEBUG = _env_bool("DEBUG", False)
ALLOWED_HOSTS = [h.strip() for h in _env("ALLOWED_HOSTS", "*").split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in _env("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]
SITE_NAME = _env("SITE_NAME", "cheeseshop")

# --- Index behaviour ----------------------------------------------------------------------------

CHEESESHOP_MAX_FILE_SIZE = _env_int("MAX_FILE_SIZE", 100 * 1024 * 1024)
CHEESESHOP_MAX_PROJECT_SIZE = _env_int("MAX_PROJECT_SIZE", 10 * 1024 * 1024 * 1024)
CHEESESHOP_UPLOAD_REQUIRES_2FA = _env_bool("UPLOAD_REQUIRES_2FA", True)
CHEESESHOP_TOKEN_PREFIX = _env("TOKEN_PREFIX", "pypi-")
CHEESESHOP_TOKEN_LOCATION = _env("TOKEN_LOCATION", "cheeseshop")
# Seconds installers may cache index pages (PyPI uses 10 minutes behind a purged CDN; a
# self-hosted index without one wants changes seen sooner).
CHEESESHOP_SIMPLE_MAX_AGE = _env_int("SIMPLE_MAX_AGE", 60)
# New projects per hour, per user and per IP address (PyPI: 20 and 40).
CHEESESHOP_PROJECT_CREATE_USER_LIMIT = _env("PROJECT_CREATE_USER_LIMIT", "20/hour")
CHEESESHOP_PROJECT_CREATE_IP_LIMIT = _env("PROJECT_CREATE_IP_LIMIT", "40/hour")

# --- Django ---------------------------------------------------------------------------------

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "allauth",
    "allauth.account",
    "django_tasks",
    "django_tasks_db",
    "cheeseshop.accounts",
    "cheeseshop.audit",
    "cheeseshop.tokens",
    "cheeseshop.packaging",
    "cheeseshop.upload",
    "cheeseshop.index",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "cheeseshop.urls"
WSGI_APPLICATION = "cheeseshop.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
APPEND_SLASH = True

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# SQLite by default, in the data directory, in WAL mode so the worker and the web server do not
# block each other; PostgreSQL (or any URL dj-database-url reads) through CHEESESHOP_DATABASE_URL.
DATABASE_URL = _env("DATABASE_URL", f"sqlite:///{DATA_DIR / 'cheeseshop.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=600)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;"
        ),
    }
else:
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

CACHE_URL = _env("CACHE_URL", "locmem://")
if CACHE_URL.startswith("redis://"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Files: local directory under the data directory by default; any Django storage backend
# (django-storages' S3 backend, say) through CHEESESHOP_FILES_STORAGE + CHEESESHOP_FILES_OPTIONS.
FILES_DIR = Path(_env("FILES_DIR", str(DATA_DIR / "files"))).resolve()
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(DATA_DIR / "media")},
    },
    "packages": {
        "BACKEND": _env("FILES_STORAGE", "django.core.files.storage.FileSystemStorage"),
        "OPTIONS": {"location": str(FILES_DIR)},
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
STATIC_URL = "/static/"
# Serve static files straight from the package, so `serve` needs no collectstatic step.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Background tasks: in the database by default (the worker runs inside `cheeseshop serve`);
# "immediate" runs them inline (tests), "rq" hands them to RQ on Redis at scale.
TASKS_BACKEND = _env("TASKS_BACKEND", "database")
TASKS = {
    "default": {
        "BACKEND": {
            "database": "django_tasks_db.DatabaseBackend",
            "immediate": "django_tasks.backends.immediate.ImmediateBackend",
            "dummy": "django_tasks.backends.dummy.DummyBackend",
        }.get(TASKS_BACKEND, TASKS_BACKEND),
    }
}

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if _env_bool("BEHIND_PROXY", False) else None
)

# Upload bodies stream to a temporary file above this size; the size limit itself is enforced by
# the upload view while streaming, not by Django's blanket limit.
DATA_UPLOAD_MAX_MEMORY_SIZE = None
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_TEMP_DIR = None
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": _env("LOG_LEVEL", "INFO")},
    "loggers": {"django.request": {"level": "ERROR"}},
}
