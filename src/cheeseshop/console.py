"""What every ``cheeseshop`` command shares: its messages — results on standard output,
refusals and warnings on standard error, one line each, flushed at once (operators pipe and log
them) — and starting Django with the database up to date."""

import os
import sys


def say(message: str) -> None:
    sys.stdout.write(message + "\n")
    sys.stdout.flush()


def complain(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def setup_django() -> None:
    """Load the settings (``cheeseshop.settings`` unless DJANGO_SETTINGS_MODULE says) and apps.
    A setting refused (its ValueError names the variable and the rule) ends the command with
    that one line, exit status 2."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cheeseshop.settings")
    import django
    from django.conf import settings

    try:
        settings.INSTALLED_APPS  # noqa: B018 (reading one setting reads the settings module)
    except ValueError as exc:
        complain(f"cheeseshop: {exc}")
        raise SystemExit(2) from None

    django.setup()


def migrate() -> None:
    """Apply any migration the database lacks."""
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def start_django() -> None:
    """What a command that uses the index's data does first."""
    setup_django()
    migrate()
