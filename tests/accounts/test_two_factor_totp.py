"""TOTP end to end, with pyotp as the authenticator app: enrol on the web pages, log out, log in
with password + code; replayed, wrong and out-of-window codes refused; attempts limited."""

import pyotp
import pytest
from allauth.mfa.models import Authenticator
from django.test import Client

from cheeseshop.audit.models import Event
from tests.accounts.conftest import is_logged_in
from tests.accounts.two_factor_helpers import (  # noqa: F401 (a fixture)
    Clock,
    cheeseshop_mfa_settings,
    confirm_identity,
    enrol_totp,
    log_in_with_password,
    secret_on_page,
)
from tests.conftest import fresh_settings

pytestmark = pytest.mark.django_db


@pytest.fixture
def app(alice_client, clock):
    return enrol_totp(alice_client, clock)


def password_step(client=None) -> Client:
    client = client or Client()
    response = log_in_with_password(client)
    assert response.status_code == 302
    assert response["Location"] == "/account/2fa/authenticate/"
    assert not is_logged_in(client)
    return client


def send_code(client, code: str):
    return client.post("/account/2fa/authenticate/", {"code": code})


def test_adding_an_app_needs_a_recent_confirmation_of_identity(alice_client):
    response = alice_client.get("/account/2fa/totp/activate/")
    assert response.status_code == 302
    assert response["Location"].startswith("/account/reauthenticate/")


def test_activation_page_shows_the_qr_code_as_a_data_image_and_the_secret(alice_client):
    confirm_identity(alice_client)
    content = alice_client.get("/account/2fa/totp/activate/").content.decode()
    assert '<img class="totp-qr"' in content
    assert 'src="data:image/svg+xml;base64,' in content  # allowed by the CSP's img-src data:
    assert 'id="authenticator_secret"' in content
    assert "<svg" not in content  # no inline SVG: the image is a data: URI


def test_a_wrong_activation_code_activates_nothing(alice_client, clock):
    confirm_identity(alice_client)
    alice_client.get("/account/2fa/totp/activate/")
    response = alice_client.post("/account/2fa/totp/activate/", {"code": "000000"})
    assert response.status_code == 200
    assert "Incorrect code" in response.content.decode()
    assert not Authenticator.objects.filter(type=Authenticator.Type.TOTP).exists()


def test_enrolment_activates_the_app_and_generates_recovery_codes(alice, app):
    types = set(Authenticator.objects.filter(user=alice).values_list("type", flat=True))
    assert types == {"totp", "recovery_codes"}


def test_login_needs_the_password_then_a_code_from_the_app(app, clock):
    client = password_step()
    response = send_code(client, app.at(clock.time))
    assert response.status_code == 302
    assert is_logged_in(client)
    event = Event.objects.filter(tag="account:login:success").last()
    assert event.credential == {"method": "password+totp"}


def test_a_code_cannot_be_used_twice(app, clock):
    code = app.at(clock.time)
    first = password_step()
    assert send_code(first, code).status_code == 302
    second = password_step()
    response = send_code(second, code)
    assert response.status_code == 200
    assert "already used" in response.content.decode()
    assert not is_logged_in(second)


def test_the_activation_code_cannot_log_in(alice_client, clock):
    confirm_identity(alice_client)
    page = alice_client.get("/account/2fa/totp/activate/").content.decode()
    code = pyotp.TOTP(secret_on_page(page)).at(clock.time)
    assert alice_client.post("/account/2fa/totp/activate/", {"code": code}).status_code == 302
    client = password_step()
    assert send_code(client, code).status_code == 200
    assert not is_logged_in(client)


def test_a_code_from_an_earlier_step_is_refused_after_a_later_one_was_used(app, clock):
    earlier = app.at(clock.time)
    clock.next_step()
    assert send_code(password_step(), app.at(clock.time)).status_code == 302
    # With a tolerance window the earlier code would still be "valid"; it is older than the
    # last accepted one, so it is refused either way.
    client = password_step()
    assert send_code(client, earlier).status_code == 200
    assert not is_logged_in(client)


def test_a_wrong_code_is_refused_and_recorded(alice, app, clock):
    client = password_step()
    wrong = "000000" if app.at(clock.time) != "000000" else "111111"
    response = send_code(client, wrong)
    assert response.status_code == 200
    assert "Incorrect code" in response.content.decode()
    assert not is_logged_in(client)
    failure = Event.objects.filter(tag="account:login:failure").last()
    assert failure.user_id == alice.pk
    assert failure.additional["reason"] == "invalid_second_factor"


@pytest.mark.parametrize("offset", [-2 * 30, -30, 30, 2 * 30])
def test_a_code_outside_the_time_window_is_refused(app, clock, offset):
    client = password_step()
    assert send_code(client, app.at(clock.time + offset)).status_code == 200
    assert not is_logged_in(client)


def test_a_code_inside_the_tolerance_window_is_accepted_when_configured(app, clock, settings):
    settings.MFA_TOTP_TOLERANCE = 1
    clock.next_step()  # the previous step is later than the activation code's
    client = password_step()
    assert send_code(client, app.at(clock.time - 30)).status_code == 302


def test_failed_codes_are_limited_per_user_with_a_429_saying_how_long(app, clock, settings):
    settings.CHEESESHOP_2FA_USER_LIMIT = "3 per 5 minutes"
    settings.CHEESESHOP_2FA_IP_LIMIT = "100 per 5 minutes"
    client = password_step()
    for _ in range(3):
        assert send_code(client, "000001").status_code == 200
    # Even the right code is refused now: guessing cannot go on.
    response = send_code(client, app.at(clock.time))
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Too many failed two-factor authentication attempts. Try again in" in (
        response.content.decode()
    )
    assert "minutes" in response.content.decode()
    assert not is_logged_in(client)


def test_failed_codes_are_limited_per_address_across_accounts(app, clock, settings):
    from cheeseshop.accounts.services import create_user
    from tests.accounts.conftest import STRONG_PASSWORD

    settings.CHEESESHOP_2FA_USER_LIMIT = "100 per 5 minutes"
    settings.CHEESESHOP_2FA_IP_LIMIT = "2 per 5 minutes"
    create_user("bob", "bob@example.com", password=STRONG_PASSWORD)
    bob_client = Client()
    assert log_in_with_password(bob_client, "bob").status_code == 302
    bob_app = enrol_totp(bob_client, clock)
    client = password_step()
    send_code(client, "000001")
    send_code(client, "000002")
    other = Client()
    assert log_in_with_password(other, "bob").status_code == 302
    assert send_code(other, bob_app.at(clock.time)).status_code == 429


def test_the_default_limits_apply_without_settings(app, clock, settings, monkeypatch):
    # The defaults are settings.py's, for an environment that sets neither variable.
    monkeypatch.delenv("CHEESESHOP_2FA_USER_LIMIT", raising=False)
    monkeypatch.delenv("CHEESESHOP_2FA_IP_LIMIT", raising=False)
    defaults = fresh_settings()
    settings.CHEESESHOP_2FA_USER_LIMIT = defaults.CHEESESHOP_2FA_USER_LIMIT
    settings.CHEESESHOP_2FA_IP_LIMIT = defaults.CHEESESHOP_2FA_IP_LIMIT
    client = password_step()
    for _ in range(5):
        assert send_code(client, "000001").status_code == 200
    assert send_code(client, app.at(clock.time)).status_code == 429
