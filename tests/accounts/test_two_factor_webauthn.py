"""WebAuthn with a software authenticator (tests.accounts.two_factor_helpers.SoftKey): add
labelled keys on the web pages, log in with password + key, and with a passkey alone."""

import json

import pytest
from allauth.mfa.models import Authenticator
from django.test import Client

from cheeseshop.audit.models import Event
from tests.accounts.conftest import is_logged_in
from tests.accounts.two_factor_helpers import (  # noqa: F401 (a fixture)
    SoftKey,
    cheeseshop_mfa_settings,
    confirm_identity,
    js_data,
    log_in_with_password,
)

pytestmark = pytest.mark.django_db


def add_key(client, key: SoftKey, name: str, *, passkey: bool):
    """The "Add a security key" page, as its script drives it: options in, credential out."""
    page = client.get("/account/2fa/webauthn/add/")
    assert page.status_code == 200, page.status_code
    options = js_data(page.content.decode())["creation_options"]
    credential = key.create(options, resident=passkey)
    form = {"name": name, "credential": json.dumps(credential)}
    if passkey:
        form["passwordless"] = "on"
    return client.post("/account/2fa/webauthn/add/", form)


@pytest.fixture
def key() -> SoftKey:
    return SoftKey()


@pytest.fixture
def enrolled(alice, alice_client, key):
    confirm_identity(alice_client)
    response = add_key(alice_client, key, "laptop passkey", passkey=True)
    assert response.status_code == 302, response.status_code
    return alice


def test_adding_a_key_needs_a_recent_confirmation_of_identity(alice_client):
    response = alice_client.get("/account/2fa/webauthn/add/")
    assert response.status_code == 302
    assert response["Location"].startswith("/account/reauthenticate/")


def test_add_page_has_one_button_and_loads_its_script_from_static_files(alice_client):
    confirm_identity(alice_client)
    content = alice_client.get("/account/2fa/webauthn/add/").content.decode()
    action = content.index('action="/account/2fa/webauthn/add/"')
    form = content[content.rindex("<form", 0, action) : content.index("</form>", action)]
    assert form.count("<button") == 1
    assert 'name="passwordless"' in form
    assert '<script src="/static/mfa/js/webauthn.js"></script>' in content
    # Only data blocks inline: the CSP (script-src 'self') forbids inline code.
    for block in content.split("<script")[1:]:
        head = block[: block.index(">")]
        assert "src=" in head or 'type="application/json"' in head, head


def test_several_labelled_keys_can_be_added(alice, alice_client, key):
    confirm_identity(alice_client)
    assert add_key(alice_client, key, "laptop passkey", passkey=True).status_code == 302
    assert add_key(alice_client, SoftKey(), "yubikey", passkey=False).status_code == 302
    keys = Authenticator.objects.filter(user=alice, type=Authenticator.Type.WEBAUTHN)
    assert sorted(k.wrap().name for k in keys) == ["laptop passkey", "yubikey"]
    listing = alice_client.get("/account/2fa/webauthn/").content.decode()
    assert "laptop passkey" in listing
    assert "yubikey" in listing
    assert "Passkey (also logs in without password)" in listing


def test_the_first_key_brings_recovery_codes(enrolled):
    assert Authenticator.objects.filter(
        user=enrolled, type=Authenticator.Type.RECOVERY_CODES
    ).exists()


def test_a_forged_registration_is_refused(alice, alice_client, key):
    confirm_identity(alice_client)
    page = alice_client.get("/account/2fa/webauthn/add/")
    options = js_data(page.content.decode())["creation_options"]
    options["publicKey"]["challenge"] = "AAAAAAAAAAAAAAAAAAAAAA"  # not the server's challenge
    credential = key.create(options)
    response = alice_client.post(
        "/account/2fa/webauthn/add/", {"name": "x", "credential": json.dumps(credential)}
    )
    assert response.status_code == 200
    assert not Authenticator.objects.filter(user=alice).exists()


def test_login_with_password_then_security_key(enrolled, key):
    client = Client()
    assert log_in_with_password(client)["Location"] == "/account/2fa/authenticate/"
    page = client.get("/account/2fa/authenticate/").content.decode()
    assert "Use a security key" in page
    assertion = key.get(js_data(page)["request_options"])
    response = client.post("/account/2fa/authenticate/", {"credential": json.dumps(assertion)})
    assert response.status_code == 302
    assert is_logged_in(client)
    event = Event.objects.filter(tag="account:login:success").last()
    assert event.credential == {"method": "password+webauthn"}


def test_another_authenticators_answer_is_refused_at_login(enrolled):
    client = Client()
    log_in_with_password(client)
    page = client.get("/account/2fa/authenticate/").content.decode()
    stranger = SoftKey()
    stranger.create(
        {
            "publicKey": {
                "rp": {"id": "testserver"},
                "user": {"id": "eA"},
                "challenge": "AAAA",
            }
        }
    )
    options = js_data(page)["request_options"]
    options["publicKey"]["allowCredentials"] = []
    assertion = stranger.get(options)
    response = client.post("/account/2fa/authenticate/", {"credential": json.dumps(assertion)})
    assert response.status_code == 200
    assert not is_logged_in(client)


def test_login_page_offers_sign_in_with_a_passkey(client, db):
    content = client.get("/account/login/").content.decode()
    assert "Sign in with a passkey" in content
    assert 'action="/account/2fa/webauthn/login/"' in content


def test_passkey_login_needs_no_password(enrolled, key):
    client = Client()
    options = client.get(
        "/account/2fa/webauthn/login/", headers={"X-Requested-With": "XMLHttpRequest"}
    ).json()["request_options"]
    assert options["publicKey"]["userVerification"] == "required"
    assertion = key.get(options)
    response = client.post("/account/2fa/webauthn/login/", {"credential": json.dumps(assertion)})
    assert response.status_code == 302
    assert is_logged_in(client)
    event = Event.objects.filter(tag="account:login:success").last()
    assert event.credential == {"method": "passkey"}


def test_passkey_login_without_user_verification_is_refused(enrolled, key):
    key.user_verified = False
    client = Client()
    options = client.get(
        "/account/2fa/webauthn/login/", headers={"X-Requested-With": "XMLHttpRequest"}
    ).json()["request_options"]
    response = client.post(
        "/account/2fa/webauthn/login/", {"credential": json.dumps(key.get(options))}
    )
    assert response.status_code == 302
    assert response["Location"] == "/account/login/"
    assert not is_logged_in(client)


def test_removing_a_key_needs_confirmation_and_warns_when_it_is_the_last(
    enrolled, alice_client, settings
):
    settings.CHEESESHOP_UPLOAD_REQUIRES_2FA = True
    settings.CHEESESHOP_MANAGE_REQUIRES_2FA = True
    [authenticator] = Authenticator.objects.filter(type=Authenticator.Type.WEBAUTHN)
    url = f"/account/2fa/webauthn/keys/{authenticator.pk}/remove/"
    page = alice_client.get(url).content.decode()
    assert "This is your last two-factor method." in page
    assert "uploads made with your API tokens are refused" in page
    assert alice_client.post(url).status_code == 302
    assert not Authenticator.objects.filter(user=enrolled).exists()  # codes went too


def test_removing_one_of_two_keys_does_not_warn(enrolled, alice_client):
    add_key(alice_client, SoftKey(), "yubikey", passkey=False)
    first = Authenticator.objects.filter(type=Authenticator.Type.WEBAUTHN).first()
    page = alice_client.get(f"/account/2fa/webauthn/keys/{first.pk}/remove/").content.decode()
    assert "This is your last two-factor method." not in page


def test_reauthenticating_with_a_key(enrolled, key):
    client = Client()
    options = client.get(
        "/account/2fa/webauthn/login/", headers={"X-Requested-With": "XMLHttpRequest"}
    ).json()["request_options"]
    client.post("/account/2fa/webauthn/login/", {"credential": json.dumps(key.get(options))})
    page = client.get("/account/2fa/webauthn/reauthenticate/").content.decode()
    assertion = key.get(js_data(page)["request_options"])
    response = client.post(
        "/account/2fa/webauthn/reauthenticate/", {"credential": json.dumps(assertion)}
    )
    assert response.status_code == 302
    event = Event.objects.filter(tag="account:reauthenticate").last()
    assert event.credential == {"method": "webauthn"}
