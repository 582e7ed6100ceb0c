"""``cheeseshop check``: the whole configuration, checked as a starting index would use it, one
line per problem on standard error and exit status 1 if there is any.

In order: the settings load (each CHEESESHOP_* value parses, the cache URL's scheme is known);
the libraries the configured services need are installed (the extras); every health probe
answers (the database, the cache, and what other apps register: storage, the task queue);
Django's system checks pass (errors only; those that read the database too when it answers:
stored secrets open, this node's secret key is the one the other nodes use); and, as a warning
only, no migration is pending.
"""

import importlib.util
import os
from urllib.parse import urlsplit

from cheeseshop.console import complain, say, speak_the_users_language
from cheeseshop.operations.failures import settings_problem


def _first_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ImportError:  # a parent package missing
        return False


def missing_extras(settings) -> list[str]:
    """The libraries the configured services need that are not installed, each with the
    setting that asks for it and the extra that installs it."""
    needs = []  # (setting without its CHEESESHOP_ prefix, what it names, module, extra)
    engine = settings.DATABASES["default"]["ENGINE"]
    if engine == "django.db.backends.postgresql" and not (
        _installed("psycopg") or _installed("psycopg2")
    ):
        needs.append(("DATABASE_URL", "a PostgreSQL database", "psycopg", "postgres"))
    for setting, url in (
        ("CACHE_URL", settings.CACHE_URL),
        ("RATELIMIT_STORAGE", settings.CHEESESHOP_RATELIMIT_STORAGE),
    ):
        if urlsplit(url).scheme in ("redis", "rediss"):
            needs.append((setting, "Redis", "redis", "redis"))
    storage = settings.STORAGES["packages"]["BACKEND"]
    if storage.startswith("storages."):
        needs.append(("FILES_STORAGE", storage, "storages", "s3"))
        if ".s3" in storage:
            needs.append(("FILES_STORAGE", storage, "boto3", "s3"))
    tasks = settings.TASKS["default"]["BACKEND"]
    if tasks.startswith("django_tasks_rq"):
        needs.append(("TASKS_BACKEND", "RQ", "django_tasks_rq", "rq"))
        needs.append(("TASKS_BACKEND", "RQ", "rq", "rq"))
    return [
        f"CHEESESHOP_{setting} names {what}, which needs {module}: install cheeseshop[{extra}]"
        for setting, what, module, extra in needs
        if not _installed(module)
    ]


def system_check_errors(databases: list[str] | None = None) -> list[str]:
    """Django's system check errors; with ``databases``, those that read them too (stored
    secrets that do not open, a secret key other nodes do not use)."""
    from django.core import checks

    return [
        " ".join(f"{message.id}: {message.msg}".split())
        for message in checks.run_checks(include_deployment_checks=False, databases=databases)
        if message.is_serious() and not message.is_silenced()
    ]


def probe_problems() -> tuple[list[str], bool]:
    """Each failing probe's line, and whether the database answered."""
    from cheeseshop import health

    results = health.run_probes()
    database_ok = all(result.ok for result in results if result.name == "database")
    return [f"{result.name} {result.problem}" for result in results if not result.ok], database_ok


def pending_migrations() -> int:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def check() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cheeseshop.settings")
    from django.conf import settings

    try:
        settings.INSTALLED_APPS  # noqa: B018  (reading one setting loads them all)
    except Exception as exc:
        complain(settings_problem(exc) or f"settings: {_first_line(exc)}")
        return 1
    problems = missing_extras(settings)
    try:
        import django

        django.setup()
    except Exception as exc:
        for problem in [*problems, f"cheeseshop could not start: {_first_line(exc)}"]:
            complain(problem)
        return 1
    from django.utils.translation import gettext as _
    from django.utils.translation import ngettext

    speak_the_users_language()
    found, database_ok = probe_problems()
    problems += system_check_errors(["default"] if database_ok else None)
    problems += found
    for problem in problems:
        complain(problem)
    if database_ok:
        pending = pending_migrations()
        if pending:
            message = ngettext(
                "warning: %(count)d migration not applied yet: `cheeseshop migrate` (or "
                "`cheeseshop serve`) applies it",
                "warning: %(count)d migrations not applied yet: `cheeseshop migrate` (or "
                "`cheeseshop serve`) applies them",
                pending,
            )
            complain(message % {"count": pending})
    if problems:
        return 1
    say(_("cheeseshop check: no problem found"))
    return 0
