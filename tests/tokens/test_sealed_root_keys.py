"""Token root keys sealed at rest: from a copy of the database (its rows read directly) no token
can be signed — the token API that answered 201 to a forged token answers 401. Keys stored before
sealing are sealed by a migration; keys no configured secret key opens stop the start (with the
way out) and make their tokens invalid, with the rule, never a 500."""

import base64
import json
import logging

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client
from pymacaroons import MACAROON_V2, Macaroon

from cheeseshop import sealing
from cheeseshop.accounts.services import create_user
from cheeseshop.audit.services import SESSION
from cheeseshop.tokens import checks
from cheeseshop.tokens.models import APIToken
from cheeseshop.tokens.services import (
    TokenError,
    authenticate_token,
    issue_token,
    reseal_root_keys,
)

pytestmark = pytest.mark.django_db

load_migration = __import__(
    "cheeseshop.tokens.migrations.0004_seal_root_keys", fromlist=["seal_keys"]
)

OTHER_KEY = "a-secret-key-this-index-was-never-given-" + "x" * 20
NO_LONGER_HELD = (
    "Invalid API Token: the token was issued under a secret key this index no longer holds"
)


@pytest.fixture
def user():
    return create_user("alice", "alice@example.org")


@pytest.fixture
def token(user) -> APIToken:
    return issue_token(user, description="CI", credential=SESSION)[0]


def copied_key(token: APIToken) -> bytes:
    """The root key column of ``token``'s row, read directly from the database."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT key FROM tokens_apitoken WHERE id = %s", [token.id.hex])
        [value] = cursor.fetchone()
    return bytes(value)


def _fernet_payload(stored: bytes) -> bytes:
    token = stored.removeprefix(sealing.PREFIX)
    return base64.urlsafe_b64decode(token + b"=" * (-len(token) % 4))


# What an attacker holding the row might take for the root key.
KEY_GUESSES = {
    "the stored value": lambda stored: stored,
    "the stored value without its prefix": lambda stored: stored.removeprefix(sealing.PREFIX),
    "the decoded payload": _fernet_payload,
    "its last 32 bytes": lambda stored: _fernet_payload(stored)[-32:],
    "its first 32 bytes after the header": lambda stored: _fernet_payload(stored)[25:57],
}


def forged_token(token: APIToken, key: bytes) -> str:
    """A token signed with ``key`` carrying the server's own caveats, as the index issues it."""
    macaroon = Macaroon(
        location="cheeseshop", identifier=str(token.id), key=key, version=MACAROON_V2
    )
    for caveat in token.caveats:
        macaroon.add_first_party_caveat(json.dumps(caveat, separators=(",", ":")))
    return "pypi-" + macaroon.serialize()


def mint_with(raw: str):
    return Client().post(
        "/api/tokens/",
        json.dumps({"description": "forged child"}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {raw}"},
    )


def test_forging_with_the_real_root_key_works_so_the_attack_below_is_real(token):
    assert mint_with(forged_token(token, token.root_key)).status_code == 201


def test_the_copied_row_does_not_hold_the_root_key(token):
    stored = copied_key(token)
    assert token.root_key not in stored
    assert sealing.is_sealed(stored)


@pytest.mark.parametrize("guess", KEY_GUESSES)
def test_a_token_signed_with_what_the_copied_row_holds_is_refused(token, guess):
    response = mint_with(forged_token(token, KEY_GUESSES[guess](copied_key(token))))
    assert response.status_code == 401
    assert "signature is not valid" in response.json()["error"]
    assert not APIToken.objects.filter(description="forged child").exists()


def test_the_migration_seals_root_keys_stored_before_sealing(token):
    root_key = token.root_key
    APIToken.objects.filter(pk=token.pk).update(key=root_key)  # as an older version stored it
    raw = forged_token(token, root_key)  # a token issued then
    load_migration.seal_keys(apps, None)
    stored = copied_key(token)
    assert sealing.is_sealed(stored)
    assert root_key not in stored
    assert authenticate_token(raw).token == token


def test_the_migration_leaves_sealed_keys_as_they_are_and_can_be_undone(token):
    stored = copied_key(token)
    load_migration.seal_keys(apps, None)
    assert copied_key(token) == stored
    load_migration.unseal_keys(apps, None)
    assert copied_key(token) == sealing.unseal(stored)


def test_a_token_whose_key_no_configured_secret_key_opens_is_invalid_with_the_rule(
    user, settings, caplog
):
    _token, raw = issue_token(user, description="CI", credential=SESSION)
    settings.SECRET_KEY = OTHER_KEY
    with caplog.at_level(logging.ERROR, logger="cheeseshop.tokens.services"):
        with pytest.raises(TokenError) as refused:
            authenticate_token(raw)
        response = mint_with(raw)
    assert refused.value.message == NO_LONGER_HELD
    assert response.status_code == 401
    assert response.json() == {"error": NO_LONGER_HELD}
    assert "cannot be opened" in caplog.text


def test_a_token_still_works_with_the_old_key_among_the_fallbacks(user, settings):
    _token, raw = issue_token(user, description="CI", credential=SESSION)
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = OTHER_KEY, [settings.SECRET_KEY]
    assert mint_with(raw).status_code == 201


def test_the_start_is_refused_when_no_configured_key_opens_the_root_keys(token, settings):
    settings.SECRET_KEY = OTHER_KEY
    [error] = checks.token_root_keys_open(databases=["default"])
    assert error.id == "tokens.E001"
    assert "1 API token root key(s)" in error.msg
    assert "CHEESESHOP_SECRET_KEY_FALLBACKS" in error.hint


def test_the_start_goes_ahead_with_the_old_key_among_the_fallbacks(token, settings):
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = OTHER_KEY, [settings.SECRET_KEY]
    assert checks.token_root_keys_open(databases=["default"]) == []


def test_after_a_rotation_reseal_lets_the_old_key_go(user, settings):
    _token, raw = issue_token(user, description="CI", credential=SESSION)
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = OTHER_KEY, [settings.SECRET_KEY]
    assert reseal_root_keys() == 1
    settings.SECRET_KEY_FALLBACKS = []
    assert checks.token_root_keys_open(databases=["default"]) == []
    assert mint_with(raw).status_code == 201


def test_reseal_refuses_keys_no_secret_key_opens(token, settings):
    stored = copied_key(token)
    settings.SECRET_KEY = OTHER_KEY
    with pytest.raises(sealing.Unsealable):
        reseal_root_keys()
    assert copied_key(token) == stored
