"""One secret key for every node: each node records a fingerprint of its key as it starts; a node
with another key is refused (by `cheeseshop migrate` and the system check) and records nothing,
while a deliberate rotation (the new key with the old one as fallback) passes and records the
new key."""

import pytest
from django.db import connection

from cheeseshop.accounts import checks, secret_key
from cheeseshop.accounts.secret_key import SecretKeyMismatch, record_secret_key

pytestmark = pytest.mark.django_db

OLD_KEY = "the-old-secret-key-of-the-cluster-" + "o" * 30
NEW_KEY = "the-new-secret-key-of-the-cluster-" + "n" * 30


@pytest.fixture
def recorded_old_key(settings):
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = OLD_KEY, []
    assert record_secret_key() is True
    return secret_key.recorded_fingerprint()


def stored_rows() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_secretkeyfingerprint")
        return cursor.fetchall()


def test_the_first_start_records_a_fingerprint_that_is_not_the_key(recorded_old_key):
    assert recorded_old_key == secret_key.fingerprint(OLD_KEY)
    assert len(recorded_old_key) == 64
    assert OLD_KEY not in repr(stored_rows())
    assert secret_key.fingerprint(NEW_KEY) != recorded_old_key


def test_a_node_with_the_recorded_key_starts_and_changes_nothing(recorded_old_key):
    assert record_secret_key() is False
    assert checks.secret_key_is_the_clusters(databases=["default"]) == []


def test_a_node_with_another_key_is_refused_and_records_nothing(recorded_old_key, settings):
    settings.SECRET_KEY = NEW_KEY
    with pytest.raises(SecretKeyMismatch) as refused:
        record_secret_key()
    assert "set CHEESESHOP_SECRET_KEY to the same value on every node" in refused.value.message
    assert "CHEESESHOP_SECRET_KEY_FALLBACKS" in refused.value.message
    assert "cheeseshop reseal" in refused.value.message
    assert secret_key.recorded_fingerprint() == recorded_old_key


def test_the_system_check_refuses_a_node_with_another_key(recorded_old_key, settings):
    settings.SECRET_KEY = NEW_KEY
    [error] = checks.secret_key_is_the_clusters(databases=["default"])
    assert error.id == "accounts.E002"
    assert "CHEESESHOP_SECRET_KEY" in error.msg


def test_a_rotation_with_the_old_key_as_fallback_is_accepted_and_records_the_new_key(
    recorded_old_key, settings
):
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = NEW_KEY, [OLD_KEY]
    assert checks.secret_key_is_the_clusters(databases=["default"]) == []
    assert record_secret_key() is True
    assert secret_key.recorded_fingerprint() == secret_key.fingerprint(NEW_KEY)
    # A node still on the old key alone is now the odd one out.
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = OLD_KEY, []
    with pytest.raises(SecretKeyMismatch):
        record_secret_key()


def test_a_database_nothing_was_recorded_in_accepts_any_key(settings):
    settings.SECRET_KEY = NEW_KEY
    assert secret_key.recorded_fingerprint() is None
    assert checks.secret_key_is_the_clusters(databases=["default"]) == []
