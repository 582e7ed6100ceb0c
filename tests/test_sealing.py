"""Sealed values (cheeseshop.sealing): what a copy of the database holds instead of a secret.
Opened only with SECRET_KEY or one of SECRET_KEY_FALLBACKS; a rotation keeps them open through
the fallbacks until `reseal` moves them to the new key."""

import pytest

from cheeseshop import sealing

OLD_KEY = "an-old-secret-key-" + "o" * 40
NEW_KEY = "a-new-secret-key-" + "n" * 40
SECRET = b"JBSWY3DPEHPK3PXP-a-totp-secret"


@pytest.fixture
def under_old_key(settings):
    settings.SECRET_KEY = OLD_KEY
    settings.SECRET_KEY_FALLBACKS = []
    return settings


def _sealed_under_old_key(settings) -> bytes:
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = OLD_KEY, []
    return sealing.seal(SECRET)


def test_a_sealed_value_opens_and_shows_nothing_of_the_secret(under_old_key):
    sealed = sealing.seal(SECRET)
    assert SECRET not in sealed
    assert sealing.is_sealed(sealed)
    assert sealing.unseal(sealed) == SECRET


def test_sealing_twice_gives_two_different_values(under_old_key):
    assert sealing.seal(SECRET) != sealing.seal(SECRET)


def test_text_is_sealed_as_text(under_old_key):
    sealed = sealing.seal_text("a secret")
    assert isinstance(sealed, str)
    assert sealing.unseal_text(sealed) == "a secret"


@pytest.mark.parametrize("plain", [b"", b"JBSWY3DPEHPK3PXP", bytes(range(32)), "4f2a" * 20])
def test_a_plain_value_is_refused_as_not_sealed(under_old_key, plain):
    assert not sealing.is_sealed(plain)
    with pytest.raises(sealing.Unsealable) as refused:
        sealing.unseal(plain)
    assert refused.value.message == "the value is not sealed"


def test_a_value_sealed_under_another_key_is_refused_with_the_rule(settings):
    sealed = _sealed_under_old_key(settings)
    settings.SECRET_KEY = NEW_KEY
    with pytest.raises(sealing.Unsealable) as refused:
        sealing.unseal(sealed)
    assert "neither SECRET_KEY nor one of SECRET_KEY_FALLBACKS" in refused.value.message
    assert not sealing.opens(sealed)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda sealed: sealed[:-1] + (b"A" if sealed[-1:] != b"A" else b"B"),
        lambda sealed: sealed[: len(sealed) // 2],
        lambda sealed: sealed + b"AAAA",
        lambda sealed: sealing.PREFIX + b"not fernet at all",
        lambda sealed: sealing.PREFIX,
    ],
)
def test_a_tampered_value_does_not_open(under_old_key, tamper):
    with pytest.raises(sealing.Unsealable):
        sealing.unseal(tamper(sealing.seal(SECRET)))


def test_a_value_sealed_under_a_fallback_key_opens(settings):
    sealed = _sealed_under_old_key(settings)
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = NEW_KEY, [OLD_KEY]
    assert sealing.unseal(sealed) == SECRET


def test_resealing_moves_a_value_to_the_current_key_so_the_fallback_can_go(settings):
    sealed = _sealed_under_old_key(settings)
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = NEW_KEY, [OLD_KEY]
    resealed = sealing.reseal(sealed)
    settings.SECRET_KEY_FALLBACKS = []
    assert sealing.unseal(resealed) == SECRET
    assert not sealing.opens(sealed)


def test_resealing_a_value_no_key_opens_is_refused(settings):
    sealed = _sealed_under_old_key(settings)
    settings.SECRET_KEY = NEW_KEY
    with pytest.raises(sealing.Unsealable):
        sealing.reseal(sealed)


# -- the class: what a copy of the database gives


def _every_stored_value() -> list[bytes]:
    """Every value of every row of every table, as a copy of the database holds it."""
    from django.db import connection

    values = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        values.append(bytes(value))
                    elif value is not None:
                        values.append(str(value).encode())
    return values


@pytest.fixture
def an_account_with_every_secret(db):
    """alice: an authenticator app, recovery codes, an API token, a live session."""
    from allauth.mfa.models import Authenticator
    from django.test import Client

    from cheeseshop.accounts.services import create_user, enrol_totp
    from cheeseshop.audit.services import SESSION
    from cheeseshop.tokens.services import issue_token

    user = create_user("alice", "alice@example.org", password="correct-horse-battery-staple-42")
    _uri, totp_secret = enrol_totp(user)
    codes = Authenticator.objects.get(user=user, type="recovery_codes").wrap().generate_codes()
    token, raw_token = issue_token(user, description="CI", credential=SESSION)
    client = Client()
    client.force_login(user)
    return {
        "the TOTP secret": totp_secret.encode(),
        "a recovery code": codes[0].encode(),
        "the recovery-code seed": sealing.unseal(
            Authenticator.objects.get(user=user, type="recovery_codes").data["seed"]
        ),
        "the token's root key": token.root_key,
        "the token's root key, in hex": token.root_key.hex().encode(),
        "the token": raw_token.encode(),
        "the session key": client.session.session_key.encode(),
    }


SECRETS = [
    "the TOTP secret",
    "a recovery code",
    "the recovery-code seed",
    "the token's root key",
    "the token's root key, in hex",
    "the token",
    "the session key",
]


@pytest.mark.parametrize("secret", SECRETS)
def test_a_copy_of_the_database_holds_no_secret_that_logs_in(an_account_with_every_secret, secret):
    value = an_account_with_every_secret[secret]
    assert not [stored for stored in _every_stored_value() if value in stored]
