"""Sessions stored under a keyed hash of their key: a copy of the session table (its rows read
directly) gives no session anyone can present, while the cookie's holder stays logged in, across
a secret key rotation too (with the old key among the fallbacks)."""

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client

from cheeseshop.accounts.sessions import SessionStore, stored_session_key
from tests.accounts.conftest import is_logged_in

pytestmark = pytest.mark.django_db

load_migration = __import__(
    "cheeseshop.accounts.migrations.0006_hash_session_keys", fromlist=["hash_session_keys"]
)

OTHER_KEY = "a-secret-key-this-index-was-never-given-" + "x" * 20
PRIVATE_PAGE = "/manage/projects/"


def copied_session_keys() -> list[str]:
    """The key column of the session table, read directly from the database."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT session_key FROM django_session")
        return [key for (key,) in cursor.fetchall()]


def presenting(session_key: str) -> Client:
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = session_key
    return client


def sees_the_private_page(client: Client) -> bool:
    return client.get(PRIVATE_PAGE).status_code == 200


def cookie_of(client: Client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def test_the_logged_in_client_sees_the_private_page_so_the_attack_below_is_real(alice_client):
    assert sees_the_private_page(presenting(cookie_of(alice_client)))


def test_the_copied_table_does_not_hold_the_cookies_key(alice_client):
    assert cookie_of(alice_client) not in copied_session_keys()


def test_no_key_from_the_copied_table_logs_in(alice_client):
    stored = copied_session_keys()
    assert stored
    for session_key in stored:
        client = presenting(session_key)
        assert not sees_the_private_page(client)
        assert not is_logged_in(client)


def test_logging_out_deletes_the_stored_session(alice_client):
    stored = stored_session_key(cookie_of(alice_client))
    assert stored in copied_session_keys()
    alice_client.post("/account/logout/")
    assert stored not in copied_session_keys()
    assert not sees_the_private_page(alice_client)


def test_a_session_read_under_a_fallback_key_is_stored_under_the_current_one(
    alice_client, settings
):
    cookie = cookie_of(alice_client)
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = OTHER_KEY, [settings.SECRET_KEY]
    assert "_auth_user_id" in SessionStore(cookie).load()
    assert copied_session_keys() == [stored_session_key(cookie, OTHER_KEY)]


def test_a_session_outlives_a_rotation_with_the_old_key_among_the_fallbacks(
    alice_client, settings
):
    cookie = cookie_of(alice_client)
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = OTHER_KEY, [old_key]
    client = presenting(cookie)
    assert sees_the_private_page(client)
    # Stored under the new key once read (Django gives it a new key too, as it does whenever
    # a session's user is verified with a fallback): dropping the fallback later keeps it.
    assert copied_session_keys() == [stored_session_key(cookie_of(client), OTHER_KEY)]
    settings.SECRET_KEY_FALLBACKS = []
    assert sees_the_private_page(client)


def test_a_rotation_without_the_old_key_ends_the_sessions(alice_client, settings):
    cookie = cookie_of(alice_client)
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = OTHER_KEY, []
    assert not sees_the_private_page(presenting(cookie))


def test_the_migration_hashes_the_sessions_stored_before_and_keeps_them_logged_in(alice_client):
    cookie = cookie_of(alice_client)
    # As an older version stored it: the key itself.
    Session.objects.filter(session_key=stored_session_key(cookie)).update(session_key=cookie)
    load_migration.hash_session_keys(apps, None)
    assert copied_session_keys() == [stored_session_key(cookie)]
    assert sees_the_private_page(presenting(cookie))
    load_migration.hash_session_keys(apps, None)  # twice changes nothing
    assert copied_session_keys() == [stored_session_key(cookie)]


def test_undoing_the_migration_ends_the_hashed_sessions(alice_client):
    load_migration.drop_hashed_sessions(apps, None)
    assert copied_session_keys() == []


@pytest.mark.parametrize("cookie", ["", "short", "x" * 41, "é" * 32, "a\x00b" * 11])
def test_an_odd_cookie_is_no_session_and_no_error(alice_client, cookie):
    assert SessionStore(cookie).load() == {}
    # A NUL in a header is refused before any session loads (cheeseshop.inputs).
    expected = 400 if "\x00" in cookie else 302
    assert (
        Client(headers={"Cookie": f"sessionid={cookie}"}).get(PRIVATE_PAGE).status_code == expected
    )
