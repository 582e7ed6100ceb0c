"""What every ``cheeseshop`` command shares: its messages — results on standard output,
refusals and warnings on standard error, one line each, flushed at once (operators pipe and log
them) — and starting Django with the database up to date.

Migrations run once, by ``cheeseshop migrate`` (and ``serve``, which runs it first): under a
database lock, so that nodes starting at once on one database wait for each other instead of
racing to create the same tables. Other commands migrate only a single machine's SQLite
database; on a database that nodes share, they refuse and say to run ``cheeseshop migrate``.
"""

import gettext
import os
import sys
from collections.abc import Callable, Collection, Mapping
from pathlib import Path

# The name of the lock every migrating process takes (cheeseshop.locks.lock_for_session).
MIGRATION_LOCK = "cheeseshop.migrate"


def say(message: str) -> None:
    sys.stdout.write(message + "\n")
    sys.stdout.flush()


def complain(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


# Where a Unix tool looks for the language to speak, first first (GNU gettext's order).
LANGUAGE_VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")
LOCALE_DIR = Path(__file__).resolve().parent / "locale"


def shipped_languages() -> list[str]:
    """English and every language with a catalogue, in Django's spelling ("pt-br")."""
    from django.utils.translation import to_language

    catalogues = (entry.name for entry in os.scandir(LOCALE_DIR) if entry.is_dir())
    return ["en", *sorted(to_language(name) for name in catalogues)]


def language_from_environment(
    environ: Mapping[str, str], shipped: Collection[str] | None = None
) -> str:
    """The shipped language nearest to the one the environment asks for, as GNU tools choose:
    ``LANGUAGE`` (a colon-separated list of preferences), then the first of ``LC_ALL``,
    ``LC_MESSAGES`` and ``LANG`` that is set ("fr_FR.UTF-8" → "fr", "pt_PT" → "pt-br",
    "zh_CN" → "zh-hans"); English when none is shipped, or the locale is "C" or "POSIX"
    (which turns ``LANGUAGE`` off too). Needs no settings: ``--help`` speaks it too."""
    shipped = shipped_languages() if shipped is None else shipped
    locale = next((environ[name] for name in LANGUAGE_VARIABLES[1:] if environ.get(name)), "")
    if locale in {"C", "POSIX"} or locale.startswith(("C.", "POSIX.")):
        return "en"
    for wanted in [*environ.get("LANGUAGE", "").split(":"), locale]:
        # "fr_FR.UTF-8@euro": the language and territory, in Django's spelling ("fr-fr").
        code = wanted.split(".")[0].split("@")[0].replace("_", "-").lower()
        nearest = _nearest_language(code, shipped) if code else None
        if nearest:
            return nearest
    return "en"


def _nearest_language(code: str, shipped: Collection[str]) -> str | None:
    """``code`` itself, the variant Django's locale data names for it (zh-cn → zh-hans), its
    generic language (fr-fr → fr), or a shipped variant of that (pt → pt-br)."""
    from django.conf.locale import LANG_INFO

    generic = code.split("-", maxsplit=1)[0]
    candidates = [code, *LANG_INFO.get(code, {}).get("fallback", []), generic]
    found = next((candidate for candidate in candidates if candidate in shipped), None)
    return found or next((name for name in shipped if name.startswith(generic + "-")), None)


def help_gettext() -> Callable[[str], str]:
    """``gettext`` for the commands' ``--help``, which is printed before Django (and the settings
    it would load, which create the data directory) starts: the standard library's, on the same
    compiled catalogue, in the environment's language."""
    from django.utils.translation import to_locale

    language = to_locale(language_from_environment(os.environ))
    return gettext.translation("django", LOCALE_DIR, [language], fallback=True).gettext


def speak_the_users_language() -> None:
    """Translate what the command prints into the language of its environment."""
    from django.utils import translation

    translation.activate(language_from_environment(os.environ))


def setup_django_offline() -> None:
    """Django as far as translated messages need it, where there is no index, data directory or
    database (a TUF key holder's machine, a publisher's CI scanning with ``malware scan``).
    Nothing when Django is already set up."""
    import django
    from django.conf import settings

    if not settings.configured:
        # The languages shipped: a catalogue each, and English (which needs none).
        languages = [(code, code) for code in shipped_languages()]
        settings.configure(USE_I18N=True, LOCALE_PATHS=[str(LOCALE_DIR)], LANGUAGES=languages)
        django.setup()
        speak_the_users_language()


def setup_django(*, in_the_users_language: bool = True) -> None:
    """Load the settings (``cheeseshop.settings`` unless DJANGO_SETTINGS_MODULE says) and apps,
    and speak the environment's language (``in_the_users_language``)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cheeseshop.settings")
    import django

    django.setup()
    if in_the_users_language:
        speak_the_users_language()


def pending_migrations() -> list[str]:
    """The migrations the database lacks, "app.name" each, in the order they would apply."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]


def migrate() -> list[str]:
    """Apply the migrations the database lacks, waiting for any other process migrating it;
    what was applied (nothing when another process did it meanwhile)."""
    from django.core.management import call_command

    from cheeseshop.locks import lock_for_session
    from cheeseshop.new_database import start_from_snapshot

    with lock_for_session(MIGRATION_LOCK):
        pending = pending_migrations()
        # A new SQLite database: what the migrations would write, at once (new_database).
        if pending and start_from_snapshot() and not pending_migrations():
            return pending
        if pending:
            call_command("migrate", interactive=False, verbosity=0)
    return pending


def is_shared_database() -> bool:
    """Whether other machines may use this database: anything but SQLite."""
    from django.db import connection

    return connection.vendor != "sqlite"


def ensure_migrated() -> None:
    """The database up to date before a command uses it: a single machine's SQLite database is
    migrated here, as a convenience; a shared one is migrated by `cheeseshop migrate` alone
    (one deliberate step per release), so this exits with one line saying to run it."""
    pending = pending_migrations()
    if not pending:
        return
    if not is_shared_database():
        migrate()
        return
    complain(lacking_migrations(pending))
    raise SystemExit(1)


def lacking_migrations(pending: list[str]) -> str:
    from django.utils.translation import ngettext

    # Translators: %(first)s names a migration ("accounts.0007_secret_key_fingerprint");
    # `cheeseshop migrate` is a command, not to be translated.
    return ngettext(
        "error: the database lacks %(count)d migration (%(first)s): run `cheeseshop migrate`",
        "error: the database lacks %(count)d migrations (%(first)s first): run "
        "`cheeseshop migrate`",
        len(pending),
    ) % {"count": len(pending), "first": pending[0]}


def start_django() -> None:
    """What a command that uses the index's data does first."""
    setup_django()
    ensure_migrated()
