"""Two-factor secrets sealed at rest: a copy of the database (its rows read directly) gives
neither the TOTP secret nor the seed of the recovery codes; secrets stored before sealing are
sealed by a migration; secrets no configured key opens stop the start (with the way out) and
refuse the second step cleanly, never with a 500."""

import base64
import hmac
import json
import logging
from hashlib import sha1

import pytest
from allauth.mfa import app_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.apps import apps
from django.db import connection
from django.test import Client

from cheeseshop import sealing
from cheeseshop.accounts import checks, sealed_secrets
from tests.accounts.conftest import STRONG_PASSWORD, is_logged_in
from tests.accounts.two_factor_helpers import (  # noqa: F401 (a fixture)
    Clock,
    cheeseshop_mfa_settings,
    confirm_identity,
    enrol_totp,
    log_in_with_password,
    recovery_codes_on_page,
)

pytestmark = pytest.mark.django_db

load_migration = __import__(
    "cheeseshop.accounts.migrations.0005_seal_two_factor_secrets", fromlist=["seal_secrets"]
)

OTHER_KEY = "a-secret-key-this-index-was-never-given-" + "x" * 20


@pytest.fixture
def app(alice_client, clock):
    return enrol_totp(alice_client, clock)


@pytest.fixture
def codes(app, alice_client) -> list[str]:
    return recovery_codes_on_page(
        alice_client.get("/account/2fa/recovery-codes/").content.decode()
    )


def copied_rows() -> dict[str, dict]:
    """What a copy of the database holds for each type of method: the rows, read directly."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT type, data FROM mfa_authenticator")
        rows = cursor.fetchall()
    return {kind: json.loads(data) if isinstance(data, str) else data for kind, data in rows}


def codes_from_seed(seed: str) -> list[str]:
    """The recovery codes allauth derives from a seed: what an attacker holding it computes."""
    h = hmac.new(key=seed.encode(), msg=None, digestmod=sha1)
    found = []
    for i in range(app_settings.RECOVERY_CODE_COUNT):
        h.update(f"{i:3},".encode())
        value = int.from_bytes(h.digest()[: app_settings.RECOVERY_CODE_DIGITS // 2], "big")
        found.append(
            str(value % 10**app_settings.RECOVERY_CODE_DIGITS).zfill(
                app_settings.RECOVERY_CODE_DIGITS
            )
        )
    return found


def second_step(code: str) -> tuple[Client, object]:
    client = Client()
    assert log_in_with_password(client)["Location"] == "/account/2fa/authenticate/"
    return client, client.post("/account/2fa/authenticate/", {"code": code})


def test_the_copied_totp_row_does_not_hold_the_apps_secret(app):
    stored = copied_rows()["totp"]["secret"]
    assert app.secret not in json.dumps(copied_rows())
    assert sealing.is_sealed(stored)


def _fernet_payload(stored: str) -> bytes:
    token = stored.removeprefix(sealing.PREFIX.decode())
    return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))


def _as_base32(data: bytes) -> str:
    return base64.b32encode(data).decode().rstrip("=")


# What an attacker holding the row might take for the app's secret (base32, as apps take it).
SECRET_GUESSES = {
    # 32 characters: the length of the apps' own secrets (and a whole number of base32 blocks).
    "the stored value, letters only": lambda stored: "".join(
        c for c in stored.upper() if c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    )[:32],
    "the decoded payload": lambda stored: _as_base32(_fernet_payload(stored)),
    "its last 20 bytes": lambda stored: _as_base32(_fernet_payload(stored)[-20:]),
    "20 bytes after its header": lambda stored: _as_base32(_fernet_payload(stored)[25:45]),
}


@pytest.mark.parametrize("guess", SECRET_GUESSES)
def test_a_code_computed_from_the_copied_totp_row_does_not_log_in(app, clock, guess):
    import pyotp

    stored = copied_rows()["totp"]["secret"]
    client, _ = second_step(pyotp.TOTP(SECRET_GUESSES[guess](stored)).at(clock.time))
    assert not is_logged_in(client)
    # The app's own code logs in (the attempt above is not refused for another reason).
    clock.next_step()
    client, _ = second_step(app.at(clock.time))
    assert is_logged_in(client)


def test_codes_derived_from_the_copied_recovery_seed_do_not_log_in(codes):
    stored_seed = copied_rows()["recovery_codes"]["seed"]
    derived = codes_from_seed(stored_seed)
    assert set(derived).isdisjoint(codes)
    client, _ = second_step(derived[0])
    assert not is_logged_in(client)
    # The seed itself, opened with the index's key, gives the codes shown (the check above
    # is not vacuous).
    assert codes_from_seed(sealing.unseal_text(stored_seed)) == codes


def test_enrolment_and_login_still_work_with_sealed_secrets(app, codes, clock):
    client, response = second_step(app.at(clock.time))
    assert response.status_code == 302
    assert is_logged_in(client)
    client, response = second_step(codes[0])
    assert is_logged_in(client)


def _store_plain_secrets(user, secret: str, seed: str) -> None:
    """Methods as the index stored them before sealing: plain text."""
    Authenticator.objects.create(user=user, type="totp", data={"secret": secret})
    Authenticator.objects.create(
        user=user,
        type="recovery_codes",
        data={"seed": seed, "used_mask": 0, "migrated_codes": ["123456", "654321"]},
    )


def test_the_migration_seals_secrets_stored_before_sealing(alice, clock):
    import pyotp

    secret, seed = pyotp.random_base32(), "ab" * 40
    _store_plain_secrets(alice, secret, seed)
    load_migration.seal_secrets(apps, None)
    rows = copied_rows()
    assert secret not in json.dumps(rows)
    assert seed not in json.dumps(rows)
    assert all(sealing.is_sealed(code) for code in rows["recovery_codes"]["migrated_codes"])
    assert rows["recovery_codes"]["used_mask"] == 0
    client, _ = second_step(pyotp.TOTP(secret).at(clock.time))
    assert is_logged_in(client)


def test_the_migration_leaves_sealed_secrets_as_they_are_and_can_be_undone(app):
    before = copied_rows()
    load_migration.seal_secrets(apps, None)
    assert copied_rows() == before
    load_migration.unseal_secrets(apps, None)
    assert copied_rows()["totp"]["secret"] == app.secret


def test_the_recovery_codes_of_a_migrated_seed_are_those_of_the_plain_seed(alice):
    seed = "cd" * 40
    _store_plain_secrets(alice, "JBSWY3DPEHPK3PXP", seed)
    load_migration.seal_secrets(apps, None)
    wrapped = RecoveryCodes(Authenticator.objects.get(type="recovery_codes"))
    assert wrapped.generate_codes() == ["123456", "654321"]  # carried-over codes win, as before


def test_the_start_is_refused_when_no_configured_key_opens_the_secrets(app, settings):
    settings.SECRET_KEY = OTHER_KEY
    [error] = checks.two_factor_secrets_open(databases=["default"])
    assert error.id == "accounts.E001"
    assert "2 stored two-factor secret(s)" in error.msg
    assert "CHEESESHOP_SECRET_KEY_FALLBACKS" in error.hint
    assert "cheeseshop reseal" in error.hint


def test_the_start_goes_ahead_with_the_old_key_among_the_fallbacks(app, settings):
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = OTHER_KEY, [old_key]
    assert checks.two_factor_secrets_open(databases=["default"]) == []


def test_secrets_stored_plain_do_not_stop_the_start_the_migration_seals_them(alice):
    _store_plain_secrets(alice, "JBSWY3DPEHPK3PXP", "ef" * 40)
    assert checks.two_factor_secrets_open(databases=["default"]) == []


@pytest.mark.parametrize("code_kind", ["totp", "recovery code", "wrong"])
def test_a_second_step_with_unopenable_secrets_is_refused_cleanly(
    app, codes, clock, settings, caplog, code_kind
):
    code = {"totp": app.at(clock.time), "recovery code": codes[0], "wrong": "000000"}[code_kind]
    settings.SECRET_KEY = OTHER_KEY
    with caplog.at_level(logging.ERROR, logger="cheeseshop.accounts.mfa_adapter"):
        client, response = second_step(code)
    assert response.status_code == 200
    assert "cannot read your two-factor secrets" in response.content.decode()
    assert not is_logged_in(client)
    assert "cannot be opened" in caplog.text


def test_the_password_alone_still_does_not_log_in_when_secrets_cannot_be_opened(app, settings):
    settings.SECRET_KEY = OTHER_KEY
    client = Client()
    client.post("/account/login/", {"login": "alice", "password": STRONG_PASSWORD})
    assert not is_logged_in(client)


def test_after_a_rotation_reseal_lets_the_old_key_go(app, codes, clock, settings):
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = OTHER_KEY, [old_key]
    assert sealed_secrets.reseal_two_factor_secrets() == 2
    settings.SECRET_KEY_FALLBACKS = []
    assert checks.two_factor_secrets_open(databases=["default"]) == []
    client, _ = second_step(app.at(clock.time))
    assert is_logged_in(client)
    client, _ = second_step(codes[0])
    assert is_logged_in(client)


def test_reseal_refuses_secrets_no_key_opens(app, settings):
    settings.SECRET_KEY = OTHER_KEY
    with pytest.raises(sealing.Unsealable):
        sealed_secrets.reseal_two_factor_secrets()


def test_reseal_seals_what_was_stored_plain(alice):
    _store_plain_secrets(alice, "JBSWY3DPEHPK3PXP", "ab" * 40)
    assert sealed_secrets.reseal_two_factor_secrets() == 2
    assert "JBSWY3DPEHPK3PXP" not in json.dumps(copied_rows())


@pytest.mark.parametrize(
    "path",
    ["/account/2fa/", "/account/2fa/recovery-codes/", "/account/2fa/recovery-codes/download/"],
)
def test_a_page_needing_secrets_no_key_opens_says_so_with_503_not_500(alice, settings, path):
    from cheeseshop.accounts.services import enrol_totp as enrol_by_operator

    enrol_by_operator(alice)
    settings.SECRET_KEY = OTHER_KEY
    client = Client(raise_request_exception=False)
    client.force_login(alice)
    confirm_identity(client)  # the recovery codes pages ask for a recent confirmation
    response = client.get(path)
    assert response.status_code == 503
    assert "cannot read your two-factor secrets" in response.content.decode()
