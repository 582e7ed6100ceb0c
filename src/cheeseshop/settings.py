"""cheeseshop's one settings module.

Every setting an operator may change is read here, once, from a ``CHEESESHOP_*`` environment
variable with an embedded default, so that ``cheeseshop serve`` works on a fresh machine with no
configuration at all. ``cheeseshop --help`` and ``docs/configuration.md`` list them.
"""

import contextlib
import ipaddress
import os
import secrets
from importlib.util import find_spec
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent

# What cheeseshop writes is for its own user alone: the database, its WAL, the secret key, the
# TUF keys, stored files (a copy of the database is a copy of every account). The command line
# sets this too, before anything it starts; here it covers the WSGI server and `manage`.
PRIVATE_UMASK = 0o077
os.umask(PRIVATE_UMASK)


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


def _base_url(value: str) -> str:
    """An origin, ``scheme://host[:port]``, with no trailing slash."""
    bits = urlsplit(value.strip())
    if bits.scheme not in {"http", "https"} or not bits.hostname:
        raise ValueError(f"CHEESESHOP_BASE_URL must be an http or https URL, not {value!r}")
    if bits.path not in {"", "/"} or bits.query or bits.fragment or bits.username:
        raise ValueError(
            f"CHEESESHOP_BASE_URL must be scheme://host[:port] only (no path, query or user), "
            f"not {value!r}"
        )
    return f"{bits.scheme}://{bits.netloc}"


def parse_trusted_proxies(value: str, name: str = "CHEESESHOP_TRUSTED_PROXIES"):
    """A number of proxy hops (an int, 0 for none), or the trusted networks (a tuple of
    ``ipaddress`` networks) a comma-separated list of CIDRs or addresses names."""
    value = value.strip()
    if not value:
        return 0
    if value.isdigit():
        return int(value)
    networks = []
    for entry in (e.strip() for e in value.split(",")):
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(
                f"{name} must be a number of proxies or comma-separated networks of trusted "
                f"proxies (CIDR, e.g. 10.0.0.0/8), not {entry!r}"
            ) from None
    return tuple(networks)


_REDIS_SCHEMES = ("redis", "rediss")  # rediss: over TLS


def _scheme_checked(name: str, url: str, schemes: tuple[str, ...]) -> str:
    """``url``, once its scheme is known to cheeseshop, and the library it needs installed."""
    scheme = urlsplit(url).scheme if "://" in url else ""
    if scheme not in schemes:
        # The scheme only: the rest of a URL may hold a password.
        given = f"{scheme}://..." if scheme else "a URL without a scheme"
        raise ValueError(
            f"CHEESESHOP_{name} must start with one of "
            f"{', '.join(f'{known}://' for known in schemes)}, not {given}"
        )
    if scheme in _REDIS_SCHEMES:
        try:
            import redis  # noqa: F401
        except ImportError:
            raise ValueError(
                f"CHEESESHOP_{name} names Redis, whose client library is not installed: "
                "pip install 'cheeseshop[redis]'"
            ) from None
    return url


def _load_or_create_secret_key(data_dir: Path) -> str:
    """Read the data directory's secret key, creating it on first start.

    ``O_EXCL`` makes concurrent first starts (server and worker) agree on one key.
    """
    path = data_dir / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


def _restrict(path: Path, mode: int) -> None:
    """Give ``path`` ``mode`` if it exists and is ours to change (an operator's own layout, say
    a data directory owned by another user, is left as it is)."""
    with contextlib.suppress(FileNotFoundError, PermissionError):
        os.chmod(path, mode)


def _restrict_data_dir(data_dir: Path, private_files: list[Path]) -> None:
    """Close a data directory made before its files were private (mode 0755, files 0644): the
    directory becomes 0700, its secrets 0600, at every start."""
    _restrict(data_dir, 0o700)
    for path in private_files:
        _restrict(path, 0o600)


# --- Data directory -----------------------------------------------------------------------------

DATA_DIR = Path(_env("DATA_DIR", "./cheeseshop-data")).resolve()
DATA_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)

SECRET_KEY = os.environ.get("CHEESESHOP_SECRET_KEY") or _load_or_create_secret_key(DATA_DIR)
# Earlier secret keys, still accepted after a rotation: sessions and links signed under them stay
# valid, and what was sealed under them (cheeseshop.sealing) still opens, until `cheeseshop
# reseal` has sealed everything under SECRET_KEY and they can be dropped.
SECRET_KEY_FALLBACKS = [
    k.strip() for k in _env("SECRET_KEY_FALLBACKS", "").split(",") if k.strip()
]
DEBUG = _env_bool("DEBUG", False)
# The index's address as its users reach it: every absolute URL it writes (emails, the JSON API)
# is built from it, never from a request's Host header. `serve` sets it to the address it prints
# when it is unset. Set by the operator, it also decides which Host headers are answered.
BASE_URL = _base_url(_env("BASE_URL", "http://127.0.0.1:8000"))
_BASE_URL_IS_SET = "CHEESESHOP_BASE_URL" in os.environ
_DEFAULT_HOSTS = urlsplit(BASE_URL).hostname if _BASE_URL_IS_SET else "*"
ALLOWED_HOSTS = [h.strip() for h in _env("ALLOWED_HOSTS", _DEFAULT_HOSTS).split(",") if h.strip()]


def serve_environment(base_url: str) -> dict[str, str]:
    """What ``cheeseshop serve`` adds to its processes' environment when it serves on
    ``base_url``: that address as the base URL, unless the operator set one, with any Host
    answered (as before base URLs) unless the operator named the hosts."""
    if _BASE_URL_IS_SET:
        return {}
    return {
        "CHEESESHOP_BASE_URL": base_url,
        "CHEESESHOP_ALLOWED_HOSTS": _env("ALLOWED_HOSTS", "*"),
    }


def sqlite_environment(data_dir: Path, database: Path) -> dict[str, str]:
    """The environment of a process of its own on ``data_dir`` with the SQLite database file
    ``database`` (``python -m cheeseshop.new_database`` migrates a new one so)."""
    return {
        "CHEESESHOP_DATA_DIR": str(data_dir),
        "CHEESESHOP_DATABASE_URL": f"sqlite:///{database}",
    }


CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in _env("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]
SITE_NAME = _env("SITE_NAME", "cheeseshop")

# --- Index behaviour ----------------------------------------------------------------------------

CHEESESHOP_MAX_FILE_SIZE = _env_int("MAX_FILE_SIZE", 100 * 1024 * 1024)
CHEESESHOP_MAX_PROJECT_SIZE = _env_int("MAX_PROJECT_SIZE", 10 * 1024 * 1024 * 1024)
# A distribution's core metadata (METADATA or PKG-INFO, the description included), in bytes.
CHEESESHOP_MAX_METADATA_SIZE = _env_int("MAX_METADATA_SIZE", 1024 * 1024)
# A description is rendered to HTML once, at upload, in a child process given this many
# seconds; a larger one (in characters) or a slower one is shown as plain text.
CHEESESHOP_DESCRIPTION_RENDER_TIMEOUT = float(_env("DESCRIPTION_RENDER_TIMEOUT", "2"))
CHEESESHOP_DESCRIPTION_RENDER_MAX_SIZE = _env_int("DESCRIPTION_RENDER_MAX_SIZE", 512 * 1024)
CHEESESHOP_UPLOAD_REQUIRES_2FA = _env_bool("UPLOAD_REQUIRES_2FA", True)
# Management pages (/manage/) and token creation need a second factor too.
CHEESESHOP_MANAGE_REQUIRES_2FA = _env_bool("MANAGE_REQUIRES_2FA", True)
CHEESESHOP_TOKEN_PREFIX = _env("TOKEN_PREFIX", "pypi-")
CHEESESHOP_TOKEN_LOCATION = _env("TOKEN_LOCATION", "cheeseshop")
# Where distribution files are downloaded from, when not from this index's own /packages/ (a
# CDN or a bucket serving the file storage's layout): the simple pages, the JSON API and the web
# pages link below it. Empty: the index serves them (or redirects to presigned S3 URLs).
CHEESESHOP_FILES_URL = _env("FILES_URL", "")
# Seconds installers may cache index pages (PyPI uses 10 minutes behind a purged CDN; a
# self-hosted index without one wants changes seen sooner).
CHEESESHOP_SIMPLE_MAX_AGE = _env_int("SIMPLE_MAX_AGE", 60)
# TUF (PEP 458): bins of the online role (2**bits; 14 → 16,384 as PEP 458 says), the online
# key (a securesystemslib signer URI; default: a file key in DATA_DIR/tuf/online_key), the
# directory metadata files were kept in before they moved into the database (imported from once,
# by the migration), how often and how far ahead of expiry the online roles are re-signed,
# timestamp.json's cache lifetime, and a CDN purge hook (docs/tuf-admin.md).
CHEESESHOP_TUF_BIT_LENGTH = _env_int("TUF_BIT_LENGTH", 14)
CHEESESHOP_TUF_ONLINE_KEY_URI = _env("TUF_ONLINE_KEY_URI", "") or (
    f"file2:{DATA_DIR / 'tuf' / 'online_key'}"
)
CHEESESHOP_TUF_METADATA_DIR = _env("TUF_METADATA_DIR", "") or str(DATA_DIR / "tuf" / "metadata")
CHEESESHOP_TUF_REFRESH_INTERVAL = _env_int("TUF_REFRESH_INTERVAL", 3600)
CHEESESHOP_TUF_REFRESH_MARGIN = _env_int("TUF_REFRESH_MARGIN", 12 * 3600)
CHEESESHOP_TUF_TIMESTAMP_MAX_AGE = _env_int("TUF_TIMESTAMP_MAX_AGE", 60)
CHEESESHOP_TUF_PURGE_HOOK = _env("TUF_PURGE_HOOK", "")
# Audit trail: days events are kept (0 = forever; expiry is itself a recorded, verifiable
# step), and whether to keep the /24 (IPv4) or /48 (IPv6) network of client IPs beside the
# keyed hash.
CHEESESHOP_AUDIT_RETENTION_DAYS = _env_int("AUDIT_RETENTION_DAYS", 0)
CHEESESHOP_AUDIT_STORE_IP_PREFIX = _env_bool("AUDIT_STORE_IP_PREFIX", False)
# Malware checks: a project younger than this many days is quarantined at once on a threat
# verdict of an enabled check (0 = never; an admin decides every verdict). Nothing is ever
# deleted automatically.
CHEESESHOP_MALWARE_AUTO_QUARANTINE_DAYS = _env_int("MALWARE_AUTO_QUARANTINE_DAYS", 0)
if CHEESESHOP_MALWARE_AUTO_QUARANTINE_DAYS < 0:
    raise ValueError(
        "CHEESESHOP_MALWARE_AUTO_QUARANTINE_DAYS must be 0 (off) or a number of days, not "
        f"{CHEESESHOP_MALWARE_AUTO_QUARANTINE_DAYS}"
    )
# GitHub secret scanning: a JSON file of the public keys that sign leak reports, in GitHub's
# format ({"public_keys": [{"key_identifier", "key", "is_current"}]}); empty: the report
# endpoint /_/secrets/disclose-token answers 404.
CHEESESHOP_SECRET_SCANNING_KEYS = _env("SECRET_SCANNING_KEYS", "")
# New projects per hour, per user and per IP address (PyPI: 20 and 40).
CHEESESHOP_PROJECT_CREATE_USER_LIMIT = _env("PROJECT_CREATE_USER_LIMIT", "20/hour")
CHEESESHOP_PROJECT_CREATE_IP_LIMIT = _env("PROJECT_CREATE_IP_LIMIT", "40/hour")
# Request bodies other than an upload's file part: the largest accepted (bytes), read in memory.
CHEESESHOP_MAX_FORM_SIZE = _env_int("MAX_FORM_SIZE", 4 * 1024 * 1024)
# A request body must keep arriving at this average rate (bytes a second) once its first
# REQUEST_BODY_GRACE seconds are over, or it is cut off (408): a slow body holds a worker thread.
CHEESESHOP_REQUEST_BODY_MIN_RATE = _env_int("REQUEST_BODY_MIN_RATE", 8 * 1024)
CHEESESHOP_REQUEST_BODY_GRACE = _env_int("REQUEST_BODY_GRACE", 10)
# Web server worker processes `cheeseshop serve` starts (4 threads each); 0: one per CPU.
CHEESESHOP_WEB_WORKERS = _env_int("WEB_WORKERS", 0) or os.cpu_count() or 1

# --- Django ---------------------------------------------------------------------------------

INSTALLED_APPS = [
    "cheeseshop.accounts.apps.CheeseshopAdminConfig",  # django.contrib.admin, our site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "csp",
    "allauth",
    # allauth's and django-tasks-db's apps, named in the admin in the reader's language.
    "cheeseshop.accounts.allauth_apps.AllauthAccountConfig",
    "cheeseshop.accounts.allauth_apps.AllauthMFAConfig",
    "django_tasks",
    "cheeseshop.taskqueue.tasks_db_app.TasksDatabaseConfig",
    "cheeseshop.taskqueue",
    "cheeseshop.flags",
    "cheeseshop.accounts",
    "cheeseshop.audit",
    "cheeseshop.tokens",
    "cheeseshop.packaging",
    "cheeseshop.upload",
    "cheeseshop.index",
    "cheeseshop.tuf",
    "cheeseshop.web",
    "cheeseshop.manage",
    "cheeseshop.malware",
    "cheeseshop.operations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # After the language is chosen (its refusals are translated), before anything reads input.
    "cheeseshop.inputs.InputCharactersMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A signed-in user's own language, over the cookie and Accept-Language.
    "cheeseshop.accounts.middleware.UserLanguageMiddleware",
    "cheeseshop.accounts.middleware.UnreadableSecretsMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "cheeseshop.site.BaseURLMiddleware",
    # Names the route that answered, for the metrics (cheeseshop.operations.observer).
    "cheeseshop.operations.middleware.RouteNameMiddleware",
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
                "django.template.context_processors.i18n",
                "cheeseshop.flags.context_processors.admin_flags",
                "cheeseshop.web.context_processors.site",
            ],
        },
    },
]

# SQLite by default, in the data directory, in WAL mode so the worker and the web server do not
# block each other; PostgreSQL (or any URL dj-database-url reads) through CHEESESHOP_DATABASE_URL.
DATABASE_URL = _env("DATABASE_URL", f"sqlite:///{DATA_DIR / 'cheeseshop.sqlite3'}")
# Behind a pooler that hands each transaction to any server connection (PgBouncer's
# pool_mode=transaction), a cursor may not outlive its transaction: Django's server-side cursors
# (QuerySet.iterator() outside a transaction) are turned off (docs/deployment.md, "PgBouncer").
CHEESESHOP_DATABASE_TRANSACTION_POOLING = _env_bool("DATABASE_TRANSACTION_POOLING", False)
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=600,
        disable_server_side_cursors=CHEESESHOP_DATABASE_TRANSACTION_POOLING,
    )
}
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

_restrict_data_dir(
    DATA_DIR,
    [
        DATA_DIR / "secret_key",
        *(
            Path(f"{DATABASES['default']['NAME']}{suffix}")
            for suffix in ("", "-wal", "-shm", "-journal")
            if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
        ),
        *(
            [Path(CHEESESHOP_TUF_ONLINE_KEY_URI.removeprefix("file2:"))]
            if CHEESESHOP_TUF_ONLINE_KEY_URI.startswith("file2:")
            else []
        ),
    ],
)

# The cache: each process's own memory by default (locmem://), or Redis (redis://, or rediss://
# over TLS), shared by every process and node. An unknown scheme is an error, never a silent
# fall back to a cache of each process's own.
CACHE_URL = _scheme_checked(
    "CACHE_URL", _env("CACHE_URL", "locmem://"), ("locmem", *_REDIS_SCHEMES)
)
if urlsplit(CACHE_URL).scheme in _REDIS_SCHEMES:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Files: distributions and their core metadata (PEP 658). CHEESESHOP_FILES_STORAGE is local (a
# directory, FILES_DIR), s3 (a bucket of any S3-compatible server, from the CHEESESHOP_S3_*
# settings below) or the dotted path of another Django storage class.
FILES_DIR = Path(_env("FILES_DIR", str(DATA_DIR / "files"))).resolve()
CHEESESHOP_FILES_STORAGE = _env("FILES_STORAGE", "local").strip() or "local"
CHEESESHOP_S3_BUCKET = _env("S3_BUCKET", "").strip()
CHEESESHOP_S3_ENDPOINT_URL = _env("S3_ENDPOINT_URL", "").strip()
CHEESESHOP_S3_REGION = _env("S3_REGION", "").strip()
CHEESESHOP_S3_ACCESS_KEY_ID = _env("S3_ACCESS_KEY_ID", "").strip()
CHEESESHOP_S3_SECRET_ACCESS_KEY = _env("S3_SECRET_ACCESS_KEY", "").strip()
# A key prefix ("folder") in the bucket; keys never start with a slash.
CHEESESHOP_S3_PREFIX = _env("S3_PREFIX", "").strip().strip("/")
# Seconds a presigned download URL lives; SigV4 allows at most seven days.
CHEESESHOP_S3_URL_EXPIRY = _env_int("S3_URL_EXPIRY", 300)
if not 1 <= CHEESESHOP_S3_URL_EXPIRY <= 7 * 24 * 3600:
    raise ValueError(
        f"CHEESESHOP_S3_URL_EXPIRY must be 1 to 604800 seconds, not {CHEESESHOP_S3_URL_EXPIRY}"
    )


def _files_storage() -> dict:
    """The ``packages`` storage CHEESESHOP_FILES_STORAGE names, with its options."""
    if CHEESESHOP_FILES_STORAGE == "local":
        return {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(FILES_DIR)},
        }
    if CHEESESHOP_FILES_STORAGE == "s3":
        return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": _s3_options()}
    if "." not in CHEESESHOP_FILES_STORAGE:
        raise ValueError(
            "CHEESESHOP_FILES_STORAGE must be local, s3 or the dotted path of a Django storage "
            f"class, not {CHEESESHOP_FILES_STORAGE!r}"
        )
    from django.core.files.storage import FileSystemStorage
    from django.utils.module_loading import import_string

    try:
        storage_class = import_string(CHEESESHOP_FILES_STORAGE)
    except ImportError as exc:
        raise ValueError(
            f"CHEESESHOP_FILES_STORAGE names {CHEESESHOP_FILES_STORAGE!r}, which cannot be "
            f"imported: {exc}"
        ) from None
    # A directory-based class stores in FILES_DIR; any other configures itself.
    is_local = isinstance(storage_class, type) and issubclass(storage_class, FileSystemStorage)
    options = {"location": str(FILES_DIR)} if is_local else {}
    return {"BACKEND": CHEESESHOP_FILES_STORAGE, "OPTIONS": options}


def _s3_options() -> dict:
    """django-storages' S3Storage options from the CHEESESHOP_S3_* settings."""
    import importlib.util

    if not importlib.util.find_spec("storages") or not importlib.util.find_spec("boto3"):
        raise ValueError(
            "CHEESESHOP_FILES_STORAGE=s3 needs django-storages and boto3: "
            "pip install 'cheeseshop[s3]'"
        )
    if not CHEESESHOP_S3_BUCKET:
        raise ValueError("CHEESESHOP_FILES_STORAGE=s3 needs CHEESESHOP_S3_BUCKET, the bucket name")
    if bool(CHEESESHOP_S3_ACCESS_KEY_ID) != bool(CHEESESHOP_S3_SECRET_ACCESS_KEY):
        raise ValueError(
            "CHEESESHOP_S3_ACCESS_KEY_ID and CHEESESHOP_S3_SECRET_ACCESS_KEY go together: set "
            "both, or neither to use boto3's own credentials (environment, instance role)"
        )
    if CHEESESHOP_S3_ENDPOINT_URL:
        bits = urlsplit(CHEESESHOP_S3_ENDPOINT_URL)
        if bits.scheme not in {"http", "https"} or not bits.hostname:
            raise ValueError(
                "CHEESESHOP_S3_ENDPOINT_URL must be an http or https URL, "
                f"not {CHEESESHOP_S3_ENDPOINT_URL!r}"
            )
    return {
        "bucket_name": CHEESESHOP_S3_BUCKET,
        "location": CHEESESHOP_S3_PREFIX,
        "endpoint_url": CHEESESHOP_S3_ENDPOINT_URL or None,
        "region_name": CHEESESHOP_S3_REGION or None,
        # None: boto3's credential chain (AWS_* variables, shared files, an instance role).
        "access_key": CHEESESHOP_S3_ACCESS_KEY_ID or None,
        "secret_key": CHEESESHOP_S3_SECRET_ACCESS_KEY or None,
        # A private bucket: objects get no ACL of their own, and downloads are presigned URLs.
        "default_acl": None,
        "querystring_auth": True,
        "querystring_expire": CHEESESHOP_S3_URL_EXPIRY,
        "signature_version": "s3v4",
        # Servers other than AWS (MinIO, Ceph, moto) are addressed by path: their host names
        # have no per-bucket subdomains.
        "addressing_style": "path" if CHEESESHOP_S3_ENDPOINT_URL else None,
        # Stored paths are content-addressed and checked before saving: never renamed.
        "file_overwrite": True,
        # Stored bytes never change under their name (a CDN in front may keep them).
        "object_parameters": {"CacheControl": "public, max-age=31536000, immutable"},
    }


STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(DATA_DIR / "media")},
    },
    "packages": _files_storage(),
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
STATIC_URL = "/static/"
# The site's own stylesheets and scripts (src/cheeseshop/static/) belong to no single app.
STATICFILES_DIRS = [BASE_DIR / "static"]
# Serve static files straight from the package, so `serve` needs no collectstatic step.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Background tasks: in the database by default (the worker runs inside `cheeseshop serve`);
# "rq" hands them to RQ on Redis at scale (CHEESESHOP_RQ_URL; `cheeseshop worker` runs RQ's
# workers); "immediate" runs them inline (tests). cheeseshop.taskqueue holds what both share:
# leases on running tasks, retries, the outbox that keeps RQ's tasks atomic with their change.
TASKS_BACKEND = _env("TASKS_BACKEND", "database")
# The backends' class paths name the same backends.
TASKS_BACKEND = {
    "django_tasks_db.DatabaseBackend": "database",
    "django_tasks_rq.RQBackend": "rq",
}.get(TASKS_BACKEND, TASKS_BACKEND)
# Every queue a task of ours names (django-tasks' default): RQ needs each one declared.
TASK_QUEUES = ["default"]
# A running task whose worker gave no sign of life for this many seconds is taken again.
CHEESESHOP_TASK_LEASE = _env_int("TASK_LEASE", 30)
# Runs of a task, the first included, before a failing one is left FAILED; the delay before its
# second run (seconds), doubled before each next one.
CHEESESHOP_TASK_MAX_ATTEMPTS = _env_int("TASK_MAX_ATTEMPTS", 5)
CHEESESHOP_TASK_RETRY_DELAY = _env_int("TASK_RETRY_DELAY", 10)
if CHEESESHOP_TASK_LEASE < 3:
    raise ValueError(
        f"CHEESESHOP_TASK_LEASE must be at least 3 seconds, not {CHEESESHOP_TASK_LEASE}"
    )
if CHEESESHOP_TASK_MAX_ATTEMPTS < 1:
    raise ValueError(
        f"CHEESESHOP_TASK_MAX_ATTEMPTS must be at least 1, not {CHEESESHOP_TASK_MAX_ATTEMPTS}"
    )
if CHEESESHOP_TASK_RETRY_DELAY < 0:
    raise ValueError(
        f"CHEESESHOP_TASK_RETRY_DELAY must be 0 or more, not {CHEESESHOP_TASK_RETRY_DELAY}"
    )
CHEESESHOP_RQ_URL = _env("RQ_URL", "")
RQ_QUEUES: dict[str, dict] = {}
if TASKS_BACKEND == "rq":
    if not CHEESESHOP_RQ_URL:
        raise ValueError(
            "CHEESESHOP_TASKS_BACKEND=rq needs CHEESESHOP_RQ_URL (redis://host:6379/0, or "
            "rediss:// for TLS)"
        )
    if urlsplit(CHEESESHOP_RQ_URL).scheme not in {"redis", "rediss", "unix"}:
        raise ValueError(
            f"CHEESESHOP_RQ_URL must be a redis://, rediss:// or unix:// URL, "
            f"not {CHEESESHOP_RQ_URL!r}"
        )
    if not all(find_spec(module) for module in ("django_tasks_rq", "django_rq", "rq", "redis")):
        raise ValueError(
            "CHEESESHOP_TASKS_BACKEND=rq needs RQ, which is not installed: "
            "pip install 'cheeseshop[rq]'"
        )
    # django-rq: its queues, and failed jobs in the admin.
    INSTALLED_APPS.append("cheeseshop.taskqueue.rq_app.RQConfig")
    # RQ stops a job after its timeout (3 minutes by default): here only one that hangs.
    RQ_QUEUES = {name: {"URL": CHEESESHOP_RQ_URL, "DEFAULT_TIMEOUT": 3600} for name in TASK_QUEUES}
    # Jobs are created retrying (CHEESESHOP_TASK_MAX_ATTEMPTS, backing off): a job whose
    # worker died is then re-queued by RQ's cleanup of abandoned jobs, not failed.
    RQ = {"QUEUE_CLASS": "cheeseshop.taskqueue.rq_worker.RetryingQueue"}
TASKS = {
    "default": {
        "BACKEND": {
            "database": "django_tasks_db.DatabaseBackend",
            "rq": "django_tasks_rq.RQBackend",
            "immediate": "django_tasks.backends.immediate.ImmediateBackend",
            "dummy": "django_tasks.backends.dummy.DummyBackend",
        }.get(TASKS_BACKEND, TASKS_BACKEND),
        "QUEUES": TASK_QUEUES,
    }
}

# One backend: every password login, whoever it names, costs one hash (accounts/backends.py).
AUTHENTICATION_BACKENDS = ["cheeseshop.accounts.backends.AuthenticationBackend"]
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
# Languages with a catalogue under src/cheeseshop/locale/ (docs/translating.md).
LANGUAGES = [
    ("en", "English"),
    ("de", "Deutsch"),
    ("es", "Español"),
    ("fr", "Français"),
    ("pt-br", "Português (Brasil)"),
    ("ru", "Русский"),
    ("uk", "Українська"),
    ("ar", "العربية"),
    ("ja", "日本語"),
    ("zh-hans", "简体中文"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

# Served over HTTPS (CHEESESHOP_HTTPS, or behind a TLS-terminating proxy): cookies only over
# TLS, HSTS, and plain-HTTP requests redirected.
HTTPS = _env_bool("HTTPS", False)
# Sessions in the database under a keyed hash of their key: a copy of the table opens none.
SESSION_ENGINE = "cheeseshop.accounts.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "cheeseshop.web.views.csrf_failure"
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
# A redirect would drop an upload's body: /legacy/ refuses plain HTTP instead (403).
SECURE_REDIRECT_EXEMPT = [r"^legacy/?$"]
X_FRAME_OPTIONS = "DENY"
# Content Security Policy: scripts and styles only from our own origin, never inline.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "https:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Who stands between the clients and cheeseshop (docs/configuration.md): a number of proxies,
# each appending the address it was reached from to X-Forwarded-For (the client's address is the
# entry the outermost appended, that many from the right), or the networks the proxies are in
# (the socket's address must be in one; the entries are walked from the right past those in
# them, and the first outside is the client's). Entries to the client's left are written by the
# client and never trusted. 0: no proxy, the socket's address is the client's.
# CHEESESHOP_PROXY_HOPS, its name before, is read when it is unset.
_TRUSTED_PROXIES_NAME = (
    "CHEESESHOP_TRUSTED_PROXIES"
    if "CHEESESHOP_TRUSTED_PROXIES" in os.environ or "CHEESESHOP_PROXY_HOPS" not in os.environ
    else "CHEESESHOP_PROXY_HOPS"
)
CHEESESHOP_TRUSTED_PROXIES = parse_trusted_proxies(
    os.environ.get(_TRUSTED_PROXIES_NAME, ""), _TRUSTED_PROXIES_NAME
)
# Behind a proxy, X-Forwarded-Proto says whether the client used HTTPS: trusted when proxies are
# named (unless set to false), and naming none trusts one.
CHEESESHOP_BEHIND_PROXY = _env_bool("BEHIND_PROXY", bool(CHEESESHOP_TRUSTED_PROXIES))
if CHEESESHOP_BEHIND_PROXY and not os.environ.get(_TRUSTED_PROXIES_NAME, "").strip():
    CHEESESHOP_TRUSTED_PROXIES = 1
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if CHEESESHOP_BEHIND_PROXY else None

# Every request body except an upload's file part is read into memory: this bounds it (Django's
# own check; the server refuses a larger Content-Length before reading). The file part streams to
# a temporary file above FILE_UPLOAD_MAX_MEMORY_SIZE, its limit applied by the upload view.
DATA_UPLOAD_MAX_MEMORY_SIZE = CHEESESHOP_MAX_FORM_SIZE
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_TEMP_DIR = None
# Stored files and the directories made for them: for cheeseshop's own user only (the web
# server reads them as that user; a CDN or FILES_URL serves them to the world).
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

# --- Accounts (django-allauth) --------------------------------------------------------------

LOGIN_URL = "/account/login/"
LOGIN_REDIRECT_URL = "/manage/projects/"
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = True
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
ACCOUNT_CHANGE_EMAIL = False
ACCOUNT_MAX_EMAIL_ADDRESSES = 5
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_PRESERVE_USERNAME_CASING = True
ACCOUNT_USERNAME_MIN_LENGTH = 2
ACCOUNT_REAUTHENTICATION_TIMEOUT = 30 * 60
ACCOUNT_ADAPTER = "cheeseshop.accounts.adapter.AccountAdapter"
# Refuses an address another account has verified (accounts/forms.py says how it answers).
ACCOUNT_FORMS = {"add_email": "cheeseshop.accounts.forms.AddEmailForm"}
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{SITE_NAME}] "
# Our own moving-window limits (cheeseshop.accounts.ratelimits) replace allauth's.
ACCOUNT_RATE_LIMITS = False
# Rate limits, "N per window" in the `limits` library's notation.
CHEESESHOP_LOGIN_LIMIT = _env("LOGIN_LIMIT", "10 per 5 minutes")
CHEESESHOP_SIGNUP_LIMIT = _env("SIGNUP_LIMIT", "10 per hour")
CHEESESHOP_PASSWORD_RESET_LIMIT = _env("PASSWORD_RESET_LIMIT", "5 per day")
CHEESESHOP_EMAIL_VERIFY_LIMIT = _env("EMAIL_VERIFY_LIMIT", "3 per 6 hours")
# Where `limits` keeps its counters, shared by every server process and machine: the database
# (database://, cheeseshop.accounts.ratelimit_storage) or redis://host:port/db. memory://
# counts per process: N workers would allow N times each limit (tests only).
CHEESESHOP_RATELIMIT_STORAGE = _scheme_checked(
    "RATELIMIT_STORAGE",
    _env(
        "RATELIMIT_STORAGE",
        CACHE_URL if urlsplit(CACHE_URL).scheme in _REDIS_SCHEMES else "database://",
    ),
    ("database", "memory", *_REDIS_SCHEMES),
)

# Two-factor authentication (allauth.mfa): TOTP, recovery codes, WebAuthn security keys, and
# passkeys as a password-less login.
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_TOTP_ISSUER = SITE_NAME
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_RECOVERY_CODE_COUNT = 10
# WebAuthn needs a secure origin; http://localhost counts as one for browsers, and this lets
# the index's own tests and a local `cheeseshop serve` use it (never set for a public index).
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = _env_bool("WEBAUTHN_ALLOW_INSECURE_ORIGIN", False)
MFA_ADAPTER = "cheeseshop.accounts.mfa_adapter.MFAAdapter"
# Our forms add rate limits and a database-backed TOTP replay check (allauth's own uses the
# cache, which is per process by default).
MFA_FORMS = {
    "authenticate": "cheeseshop.accounts.mfa_forms.AuthenticateForm",
    "reauthenticate": "cheeseshop.accounts.mfa_forms.ReauthenticateForm",
    "authenticate_webauthn": "cheeseshop.accounts.mfa_forms.AuthenticateWebAuthnForm",
    "reauthenticate_webauthn": "cheeseshop.accounts.mfa_forms.ReauthenticateWebAuthnForm",
    "activate_totp": "cheeseshop.accounts.mfa_forms.ActivateTOTPForm",
}
MFA_RECOVERY_CODES_SHOW_ONCE = True
# Failed second-factor codes, per account and per client address.
CHEESESHOP_2FA_USER_LIMIT = _env("2FA_USER_LIMIT", "5 per 5 minutes")
CHEESESHOP_2FA_IP_LIMIT = _env("2FA_IP_LIMIT", "10 per 5 minutes")

# --- Email ---------------------------------------------------------------------------------

# Without a mail server, messages are written as files under DATA_DIR/outbox (and their links
# logged), so a fresh install works; CHEESESHOP_EMAIL_URL=smtp://user:pass@host:587 (or smtps://)
# sends them for real.
EMAIL_URL = _env("EMAIL_URL", "")
DEFAULT_FROM_EMAIL = _env("EMAIL_FROM", f"{SITE_NAME} <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_FILE_PATH = str(DATA_DIR / "outbox")
if EMAIL_URL:
    from urllib.parse import unquote, urlsplit

    _email = urlsplit(EMAIL_URL)
    if _email.scheme not in {"smtp", "smtps", "smtp+tls"}:
        raise ValueError("CHEESESHOP_EMAIL_URL must be smtp://, smtp+tls:// or smtps://")
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _email.hostname or "localhost"
    EMAIL_PORT = _email.port or {"smtps": 465, "smtp+tls": 587}.get(_email.scheme, 25)
    EMAIL_HOST_USER = unquote(_email.username or "")
    EMAIL_HOST_PASSWORD = unquote(_email.password or "")
    EMAIL_USE_SSL = _email.scheme == "smtps"
    EMAIL_USE_TLS = _email.scheme == "smtp+tls"
else:
    EMAIL_BACKEND = "cheeseshop.accounts.mail.OutboxEmailBackend"

# --- Operations: logs, access log, metrics ---------------------------------------------------

LOG_LEVEL = _env("LOG_LEVEL", "INFO").upper()
# text (one readable line per record) or json (one JSON object per line, the access log too).
CHEESESHOP_LOG_FORMAT = _env("LOG_FORMAT", "text").strip().lower()
if CHEESESHOP_LOG_FORMAT not in {"text", "json"}:
    raise ValueError(f"CHEESESHOP_LOG_FORMAT must be text or json, not {CHEESESHOP_LOG_FORMAT!r}")
# One line per request, written by the web server (uWSGI) itself.
CHEESESHOP_ACCESS_LOG = _env_bool("ACCESS_LOG", True)
# /_/metrics answers requests bearing this token ("Authorization: Bearer <token>"); unset, it
# answers loopback and private addresses only. Anyone else gets a 404.
CHEESESHOP_METRICS_TOKEN = _env("METRICS_TOKEN", "")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        "json": {"()": "cheeseshop.operations.logs.JsonFormatter"},
    },
    "filters": {
        # A request that failed because the database is down: one line, not a traceback.
        "database_down": {"()": "cheeseshop.operations.logs.DatabaseDownFilter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": CHEESESHOP_LOG_FORMAT,
            "filters": ["database_down"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.request": {"level": "ERROR"},
        # python-tuf logs every missing signature of a threshold role at INFO: noise.
        "tuf": {"level": "WARNING"},
        # django-tasks logs every task started and finished; cheeseshop.taskqueue logs failures.
        "django_tasks": {"level": "WARNING"},
    },
}
