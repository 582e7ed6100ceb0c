"""Locks on names, held until the current database transaction ends.

What a check-then-write needs when the check is a count (a rate limit, a quota) rather than a
row that could be locked: every process and machine that takes the same name waits for the
one holding it to commit, and then counts what it wrote.
"""

import hashlib

from django.db import transaction

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
