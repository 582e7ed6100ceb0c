"""The probes of what every node shares, the database and the cache (``cheeseshop.health``),
and the one-line descriptions of those services an operator reads: never with a password."""

import contextlib
import uuid
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, InterfaceError, OperationalError, connection

from cheeseshop.errors import first_line

# What the database driver raises when the database cannot be used now (refused, gone, locked,
# unmigrated), as opposed to a bug: such requests answer 503.
DATABASE_DOWN = (OperationalError, InterfaceError)


def database_is_down(exc: BaseException) -> bool:
    return isinstance(exc, DATABASE_DOWN)


# URL schemes of the database engines, for messages.
_ENGINE_SCHEMES = {
    "django.db.backends.postgresql": "postgresql",
    "django.db.backends.sqlite3": "sqlite",
    "django.db.backends.mysql": "mysql",
}
_DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306}


def describe_database() -> str:
    """The default database as a URL without its password: ``postgresql://user@host:5432/db``."""
    database = settings.DATABASES["default"]
    engine = database["ENGINE"]
    scheme = _ENGINE_SCHEMES.get(engine, engine.rsplit(".", 1)[-1])
    if scheme == "sqlite":
        return f"sqlite:///{database['NAME']}"
    user = f"{database['USER']}@" if database.get("USER") else ""
    host = database.get("HOST") or "localhost"
    port = database.get("PORT") or _DEFAULT_PORTS.get(scheme, "")
    return f"{scheme}://{user}{host}{f':{port}' if port else ''}/{database.get('NAME', '')}"


def without_password(url: str) -> str:
    """``url`` with the password of its user part removed."""
    bits = urlsplit(url)
    if bits.password is None:
        return url
    user = f"{bits.username}@" if bits.username else ""
    host = bits.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{user}{host}{f':{bits.port}' if bits.port else ''}"
    return urlunsplit(bits._replace(netloc=netloc))


def reason(exc: BaseException) -> str:
    """An exception's message as the end of a one-line sentence: its first line, the last of
    its "...failed: " prefixes dropped (psycopg nests them), and a leading FATAL: too."""
    line = first_line(exc)
    line = line.rpartition("failed: ")[2] or line
    line = line.removeprefix("FATAL:").strip()
    if line[:1].isupper() and line[1:2].islower():  # "Connection refused" → "connection refused"
        line = line[0].lower() + line[1:]
    return line


def database_problem() -> str | None:
    """``SELECT 1`` on the default database."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        # A broken connection is dropped: the next request connects afresh.
        with contextlib.suppress(Exception):
            connection.close()
        return f"{describe_database()} unreachable: {reason(exc)}"
    return None


def describe_cache() -> str:
    return without_password(settings.CACHE_URL)


def cache_problem() -> str | None:
    """A set and a get of a key of its own on the default cache."""
    key = f"cheeseshop:health:{uuid.uuid4().hex}"
    try:
        cache.set(key, "ok", timeout=30)
        stored = cache.get(key)
        cache.delete(key)
    except Exception as exc:  # each cache library raises its own errors
        return f"{describe_cache()} unreachable: {reason(exc)}"
    if stored != "ok":
        return f"{describe_cache()} did not return what was stored in it"
    return None
