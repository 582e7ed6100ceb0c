"""Tampering with stored audit rows as an attacker with database access would."""

import contextlib

import pytest
from django.db import ProgrammingError, connection, transaction

TRIGGER = "audit_event_append_only"


def on_postgresql() -> bool:
    return connection.vendor == "postgresql"


@contextlib.contextmanager
def trigger_disabled():
    """As the database superuser, switch the append-only trigger off (PostgreSQL only)."""
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE audit_event DISABLE TRIGGER {TRIGGER}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE audit_event ENABLE TRIGGER {TRIGGER}")


def execute_refused(sql: str, params=(), *, operation: str = "") -> None:
    """Run ``sql`` and check that the append-only trigger refuses it (PostgreSQL only)."""
    match = f"audit_event is append-only: {operation}" if operation else "append-only"
    with (
        pytest.raises(ProgrammingError, match=match),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, params)


def tamper(sql: str, params=()) -> None:
    """Run ``sql`` against audit_event behind the application's back.

    SQLite has no trigger, so the statement just runs. On PostgreSQL the trigger refuses it
    first (asserted here), then the test plays a superuser who disables the trigger.
    """
    if on_postgresql():
        execute_refused(sql, params)
        with trigger_disabled(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    else:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


@pytest.fixture
def flushable_audit_table(transactional_db):
    """Let the test database's flush (a TRUNCATE) empty audit_event after a transactional test.

    Requested after ``transactional_db``, so its teardown runs before the flush does.
    """
    yield
    if on_postgresql():
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('cheeseshop.audit_truncate', 'on', false)")
