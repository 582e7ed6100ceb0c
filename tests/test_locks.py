"""Locks on names, held until the transaction ends."""

import threading
import time

import pytest
from django.db import connection, transaction

from cheeseshop.locks import lock_for_transaction, lock_id
from tests.audit.tampering import on_postgresql


@pytest.mark.django_db(transaction=True)
def test_a_lock_outside_a_transaction_is_a_programming_error():
    with pytest.raises(RuntimeError, match="needs a transaction"):
        lock_for_transaction("anything")


def test_names_map_to_distinct_signed_64_bit_lock_ids():
    ids = {lock_id(f"cheeseshop.ratelimit:{n}") for n in range(1000)}
    assert len(ids) == 1000
    assert all(-(2**63) <= value < 2**63 for value in ids)


@pytest.mark.django_db(transaction=True)
def test_a_second_transaction_waits_for_the_first_to_end():
    if not on_postgresql():
        pytest.skip("SQLite runs one writing transaction at a time: nothing to race")
    held = threading.Event()
    release = threading.Event()

    def holder():
        try:
            with transaction.atomic():
                lock_for_transaction("name")
                held.set()
                release.wait(timeout=10)
        finally:
            connection.close()

    thread = threading.Thread(target=holder)
    thread.start()
    held.wait(timeout=10)
    threading.Timer(0.5, release.set).start()
    started = time.monotonic()
    with transaction.atomic():
        lock_for_transaction("name")
    assert time.monotonic() - started >= 0.4
    thread.join()
