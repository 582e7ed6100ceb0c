"""The failures of a command an operator fixes in the configuration, not in the code, told in
one line (``cheeseshop.cli.main``): a setting that does not parse, a database that does not
answer. Imported by the command line before Django is set up: Django is imported only once the
command has done so."""

import sys
import traceback
from pathlib import Path

_SETTINGS_FILE = Path(__file__).resolve().parent.parent / "settings.py"


def _raised_in(exc: BaseException, path: Path) -> bool:
    return any(
        Path(frame.filename).resolve() == path for frame in traceback.extract_tb(exc.__traceback__)
    )


def settings_problem(exc: BaseException) -> str | None:
    """The message of an error raised while the settings were read (each names its
    CHEESESHOP_* variable), or None for any other exception."""
    if not _raised_in(exc, _SETTINGS_FILE):
        return None
    message = " ".join(str(exc).split()) or type(exc).__name__
    if "CHEESESHOP_" not in message and "dj_database_url" in str(
        [frame.filename for frame in traceback.extract_tb(exc.__traceback__)]
    ):
        message = f"CHEESESHOP_DATABASE_URL: {message}"
    return message


def database_problem(exc: BaseException) -> str | None:
    """``database <url without password> unreachable: <reason>`` when ``exc`` says the database
    cannot be used, else None."""
    if "django.db" not in sys.modules:
        return None
    from django.db import connection

    from cheeseshop.operations.probes import database_is_down, describe_database, reason

    if not database_is_down(exc):
        return None
    # Django keeps no connection object when connecting failed; a failed query keeps it.
    state = "unreachable" if connection.connection is None else "error"
    return f"database {describe_database()} {state}: {reason(exc)}"


def command_failure(exc: BaseException) -> str | None:
    """One line for an exception a command ended with, or None (a bug: its traceback shows)."""
    if "django.core.exceptions" in sys.modules:
        from django.core.exceptions import ImproperlyConfigured

        if isinstance(exc, ImproperlyConfigured):
            return f"configuration: {' '.join(str(exc).split())}"
    return settings_problem(exc) or database_problem(exc)
