"""Locks on names, held until the current database transaction ends (or, for a run of
several transactions, until a block ends).

What a check-then-write needs when the check is a count (a rate limit, a quota) rather than a
row that could be locked: every process and machine that takes the same name waits for the
one holding it to commit, and then counts what it wrote.
"""

import contextlib
import fcntl
import hashlib
from collections.abc import Iterator

from django.db import connections, transaction

# A signed 64-bit number: what pg_advisory_xact_lock takes.
_LOCK_ID_BYTES = 8


def lock_id(name: str) -> int:
    digest = hashlib.blake2b(name.encode(), digest_size=_LOCK_ID_BYTES).digest()
    return int.from_bytes(digest, "big", signed=True)


def lock_for_transaction(*names: str) -> None:
    """Wait for, then hold, a lock on each of ``names`` until the current transaction ends."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("a lock for the transaction needs a transaction (transaction.atomic)")
    if connection.vendor == "sqlite":
        # Transactions begin IMMEDIATE (settings.DATABASES): each holds the database's only
        # write lock from its first statement, so they already run one at a time.
        return
    if connection.vendor != "postgresql":
        raise NotImplementedError(f"no transaction locks on {connection.vendor}")
    with connection.cursor() as cursor:
        # Always in the same order, so two transactions taking the same names cannot deadlock.
        for name in sorted(set(names)):
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_id(name)])


@contextlib.contextmanager
def lock_for_session(name: str, using: str = "default") -> Iterator[None]:
    """Wait for, then hold, a lock on ``name`` across transactions, until the block ends: what
    a run of several transactions (migrating the database) needs when two machines may start it
    at once."""
    connection = connections[using]
    if connection.vendor == "sqlite":
        with _file_lock(connection.settings_dict["NAME"]):
            yield
        return
    if connection.vendor != "postgresql":
        raise NotImplementedError(f"no session locks on {connection.vendor}")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [lock_id(name)])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [lock_id(name)])


@contextlib.contextmanager
def _file_lock(database: str) -> Iterator[None]:
    """SQLite has no named locks: a lock on a file beside the database, which every process
    on the machine sharing that database sees. An in-memory database has no other process."""
    if not database or str(database).startswith((":memory:", "file:")):
        yield
        return
    try:
        lock_file = open(f"{database}.lock", "a")  # noqa: SIM115 (closed below)
    except OSError:
        # No directory to put it in: the database cannot be opened either, and says so.
        yield
        return
    with lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)
