"""The hash chain: every recorded event links to the previous one, and a change to any stored
row, made behind the application's back, makes ``verify_chain`` name that row."""

import hashlib
import json
import threading
from datetime import UTC

import pytest
from django.db import ProgrammingError, connection, transaction
from django.test import RequestFactory

from cheeseshop.accounts.services import create_user
from cheeseshop.audit.chain import CONTENT_FIELDS, GENESIS_HASH, link_hash, verify_chain
from cheeseshop.audit.models import Event, EventTag
from cheeseshop.audit.services import CLI, SESSION, Credential, record_event, record_events
from tests.audit.tampering import (  # noqa: F401 - a fixture
    execute_refused,
    flushable_audit_table,
    on_postgresql,
    tamper,
    trigger_disabled,
)

PIP_UA = (
    'pip/26.3 {"ci":null,"cpu":"x86_64","implementation":{"name":"CPython","version":"3.11.7"},'
    '"installer":{"name":"pip","version":"26.3"},"python":"3.11.7",'
    '"system":{"name":"Linux","release":"6.1.0"}}'
)


@pytest.fixture
def alice(db):
    return create_user("alice", "alice@example.com")


def record_some(user, count: int = 5) -> list[Event]:
    request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.9", HTTP_USER_AGENT=PIP_UA)
    events = []
    for number in range(count):
        events.append(
            record_event(
                EventTag.ACCOUNT_LOGIN_SUCCESS if number % 2 else EventTag.ACCOUNT_LOGOUT,
                request=request,
                actor=user,
                user=user,
                credential=SESSION,
                additional={"number": number, "nested": {"b": [1, 2.5], "a": "é"}},
            )
        )
    return events


def test_events_get_consecutive_sequence_numbers_from_one(alice):
    events = record_some(alice)
    assert [event.sequence for event in Event.objects.order_by("id")] == [1, 2, 3, 4, 5]
    assert [event.sequence for event in events] == [1, 2, 3, 4, 5]


def test_a_chain_of_real_events_verifies(alice):
    record_some(alice)
    result = verify_chain()
    assert result.intact
    assert result.broken is None
    assert (result.count, result.first_sequence, result.last_sequence) == (5, 1, 5)
    assert result.head == Event.objects.get(sequence=5).chain_hash


def test_an_empty_trail_verifies_with_nothing_checked(db):
    result = verify_chain()
    assert result.intact
    assert (result.count, result.first_sequence, result.head) == (0, None, GENESIS_HASH)


def expected_hash(previous_hash: str, event_id: int) -> str:
    """The documented formula, computed here without the application's code."""
    stored = Event.objects.get(pk=event_id)
    content = {
        "sequence": stored.sequence,
        "tag": stored.tag,
        "time": stored.time.astimezone(UTC).isoformat(timespec="microseconds"),
        "user_id": stored.user_id,
        "project_id": stored.project_id,
        "file_id": stored.file_id,
        "actor_id": stored.actor_id,
        "credential": stored.credential,
        "ip_hash": stored.ip_hash,
        "ip_prefix": stored.ip_prefix,
        "user_agent": stored.user_agent,
        "user_agent_info": stored.user_agent_info,
        "additional": stored.additional,
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((previous_hash + canonical).encode()).hexdigest()


def test_the_chain_hash_is_sha256_of_the_previous_hash_and_the_canonical_content(alice):
    first, second = record_some(alice, 2)
    assert first.chain_hash == expected_hash(GENESIS_HASH, first.id)
    assert second.chain_hash == expected_hash(first.chain_hash, second.id)
    assert Event.objects.get(pk=second.pk).chain_hash == second.chain_hash


def test_json_that_the_database_normalises_still_verifies(alice):
    # tuples come back as lists, integral floats (1e20) as integers on PostgreSQL's jsonb
    record_event(
        EventTag.ADMIN_FLAG_CHANGE,
        actor=alice,
        credential=Credential("admin", {"scopes": ("a", "b")}),
        additional={"big": 1e20, "one": 1.0, "pair": (1, 2), "text": "line\u2028break"},
    )
    assert verify_chain().intact


def test_events_record_time_in_sequence_order(alice):
    record_some(alice)
    times = list(Event.objects.order_by("sequence").values_list("time", flat=True))
    assert times == sorted(times)


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("additional", '{"number": 99}'),
        ("tag", "project:create"),
        ("actor_id", "424242"),
        ("ip_hash", "0" * 64),
        ("credential", '{"method": "token"}'),
        ("time", "2020-01-01 00:00:00+00:00"),
        ("chain_hash", "f" * 64),
    ],
)
def test_changing_any_stored_field_of_one_event_makes_verify_name_it(alice, column, value):
    events = record_some(alice)
    target = events[2]
    if column == "time" and not on_postgresql():
        value = "2020-01-01 00:00:00"
    if column in {"additional", "credential"} and on_postgresql():
        sql = f"UPDATE audit_event SET {column} = %s::jsonb WHERE id = %s"  # noqa: S608
    else:
        sql = f"UPDATE audit_event SET {column} = %s WHERE id = %s"  # noqa: S608
    tamper(sql, [value, target.id])

    result = verify_chain()
    assert not result.intact
    assert (result.broken.event_id, result.broken.sequence) == (target.id, 3)
    assert "changed after it was recorded" in result.broken.reason
    assert result.count == 2  # the two events before it verified


def test_rewriting_an_events_hash_to_match_its_new_content_breaks_the_next_link(alice):
    events = record_some(alice)
    target = Event.objects.get(pk=events[1].pk)
    previous = Event.objects.get(pk=events[0].pk).chain_hash
    fields = {name: getattr(target, name) for name in CONTENT_FIELDS if name != "additional"}
    forged = link_hash(previous, {**fields, "additional": {"number": 1, "forged": True}})
    sql = "UPDATE audit_event SET additional = %s, chain_hash = %s WHERE id = %s"
    if on_postgresql():
        sql = sql.replace("additional = %s", "additional = %s::jsonb")
    tamper(sql, ['{"number": 1, "forged": true}', forged, target.id])

    result = verify_chain()
    assert result.broken.event_id == events[2].id


def test_deleting_an_event_makes_verify_name_the_one_after_the_gap(alice):
    events = record_some(alice)
    tamper("DELETE FROM audit_event WHERE id = %s", [events[1].id])
    result = verify_chain()
    assert (result.broken.event_id, result.broken.sequence) == (events[2].id, 3)
    assert "jumps from 1 to 3" in result.broken.reason


def test_deleting_the_oldest_events_without_an_expiry_record_is_caught(alice):
    events = record_some(alice)
    tamper("DELETE FROM audit_event WHERE id IN (%s, %s)", [events[0].id, events[1].id])
    result = verify_chain()
    assert (result.broken.event_id, result.broken.sequence) == (events[2].id, 3)
    assert "no audit:expire event records their removal" in result.broken.reason


def test_update_is_refused_by_the_database_on_postgresql(alice):
    if not on_postgresql():
        pytest.skip("the append-only trigger is PostgreSQL's; SQLite relies on the chain")
    event = record_some(alice, 1)[0]
    execute_refused(
        "UPDATE audit_event SET tag = 'x' WHERE id = %s", [event.id], operation="UPDATE"
    )
    with pytest.raises(ProgrammingError, match="UPDATE refused"), transaction.atomic():
        Event.objects.filter(pk=event.pk).update(additional={"x": 1})
    assert Event.objects.get(pk=event.pk).tag == event.tag


def test_delete_is_refused_by_the_database_on_postgresql(alice):
    if not on_postgresql():
        pytest.skip("the append-only trigger is PostgreSQL's; SQLite relies on the chain")
    event = record_some(alice, 1)[0]
    execute_refused("DELETE FROM audit_event WHERE id = %s", [event.id], operation="DELETE")
    with pytest.raises(ProgrammingError, match="DELETE refused"), transaction.atomic():
        Event.objects.all().delete()
    assert Event.objects.filter(pk=event.pk).exists()


def test_truncate_is_refused_by_the_database_on_postgresql(alice):
    if not on_postgresql():
        pytest.skip("the append-only trigger is PostgreSQL's; SQLite relies on the chain")
    record_some(alice, 1)
    with connection.cursor() as cursor:  # as the application's connections have it
        cursor.execute("SELECT set_config('cheeseshop.audit_truncate', 'off', true)")
    execute_refused("TRUNCATE audit_event", operation="TRUNCATE")
    assert Event.objects.count() == 1


def test_the_trigger_is_back_after_a_superuser_disabled_it(alice):
    if not on_postgresql():
        pytest.skip("the append-only trigger is PostgreSQL's")
    event = record_some(alice, 1)[0]
    with trigger_disabled(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_event SET tag = 'x' WHERE id = %s", [event.id])
    execute_refused("UPDATE audit_event SET tag = 'y' WHERE id = %s", [event.id])


def test_a_rolled_back_event_leaves_no_gap(alice):
    record_some(alice, 2)

    def failing_change():
        with transaction.atomic():
            record_event(EventTag.ACCOUNT_LOGOUT, user=alice, credential=CLI)
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        failing_change()
    event = record_event(EventTag.ACCOUNT_LOGOUT, user=alice, credential=CLI)
    assert event.sequence == 3
    assert verify_chain().intact


@pytest.mark.usefixtures("flushable_audit_table")
def test_concurrent_recorders_keep_one_linear_chain_on_postgresql():
    if not on_postgresql():
        pytest.skip("SQLite runs one writing transaction at a time: nothing to race")
    user = create_user("racer", "racer@example.com")
    threads_count, per_thread = 8, 15
    start = threading.Barrier(threads_count)
    errors = []

    def record_many(number: int) -> None:
        from django.db import connection as thread_connection

        try:
            start.wait(timeout=10)
            for index in range(per_thread):
                with transaction.atomic():
                    record_event(
                        EventTag.ACCOUNT_LOGIN_SUCCESS,
                        user=user,
                        additional={"thread": number, "index": index},
                    )
        except Exception as exc:  # reported below, with the thread that failed
            errors.append((number, exc))
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=record_many, args=(n,)) for n in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    total = threads_count * per_thread
    assert sorted(Event.objects.values_list("sequence", flat=True)) == list(range(1, total + 1))
    result = verify_chain()
    assert result.intact, result.broken
    assert result.count == total


def test_events_recorded_together_link_as_if_recorded_one_by_one(alice):
    record_some(alice, 2)
    together = record_events(
        [
            (EventTag.ACCOUNT_LOGOUT, {"actor": alice, "credential": SESSION}),
            (EventTag.ACCOUNT_LOGIN_SUCCESS, {"user": alice, "additional": {"n": 1}}),
            (EventTag.ACCOUNT_LOGOUT, {"actor": alice, "additional": {"n": 2}}),
        ]
    )

    assert [event.sequence for event in together] == [3, 4, 5]
    assert [event.tag for event in together] == [
        "account:logout",
        "account:login:success",
        "account:logout",
    ]
    assert [event.time for event in together] == sorted(event.time for event in together)
    verification = verify_chain()
    assert verification.intact
    assert verification.count == 5
    assert verification.head == together[-1].chain_hash


def test_events_recorded_together_are_each_announced_once_saved(alice):
    from django.db.models.signals import post_save

    announced = []

    def receiver(sender, instance, created, raw=False, **kwargs):
        announced.append((instance.pk, instance.sequence, created, raw))

    post_save.connect(receiver, sender=Event, dispatch_uid="test-announced")
    try:
        together = record_events([(EventTag.ACCOUNT_LOGOUT, {"actor": alice})] * 3)
    finally:
        post_save.disconnect(dispatch_uid="test-announced", sender=Event)

    assert all(event.pk is not None for event in together)
    assert announced == [(event.pk, event.sequence, True, False) for event in together]
    stored = dict(Event.objects.values_list("pk", "sequence"))
    assert [stored[event.pk] for event in together] == [event.sequence for event in together]


def test_events_recorded_together_and_rolled_back_leave_no_gap(alice):
    record_some(alice, 1)

    def failing_change():
        with transaction.atomic():
            record_events([(EventTag.ACCOUNT_LOGOUT, {"actor": alice})] * 2)
            raise RuntimeError("abandoned")

    with pytest.raises(RuntimeError, match="abandoned"):
        failing_change()

    assert Event.objects.count() == 1
    assert record_events([(EventTag.ACCOUNT_LOGOUT, {"actor": alice})])[0].sequence == 2
    assert verify_chain().intact
