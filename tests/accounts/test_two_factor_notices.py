"""The audit events and emails of two-factor changes and logins: method added and removed,
recovery codes generated, re-authentication, login methods, login from a new device."""

import pytest
from django.core import mail
from django.test import Client

from cheeseshop.accounts.logins import method_from_records
from cheeseshop.audit.models import Event
from tests.accounts.two_factor_helpers import (  # noqa: F401 (a fixture)
    Clock,
    cheeseshop_mfa_settings,
    confirm_identity,
    enrol_totp,
    log_in_with_password,
)

pytestmark = pytest.mark.django_db


def subjects() -> list[str]:
    return [message.subject for message in mail.outbox]


def test_enrolling_records_the_method_and_the_codes_and_mails_both(alice, alice_client, clock):
    mail.outbox.clear()
    enrol_totp(alice_client, clock)
    added = Event.objects.get(tag="account:two_factor:method_added")
    assert (added.user_id, added.actor_id, added.additional) == (
        alice.pk,
        alice.pk,
        {"type": "totp"},
    )
    generated = Event.objects.get(tag="account:recovery_codes:generated")
    assert generated.additional == {"count": 10, "automatic": True}
    assert "[cheeseshop] Two-factor method added: authenticator app" in subjects()
    assert "[cheeseshop] New recovery codes generated" in subjects()
    assert all(message.to == ["alice@example.com"] for message in mail.outbox)


def test_confirming_identity_is_recorded(alice, alice_client):
    confirm_identity(alice_client)
    event = Event.objects.get(tag="account:reauthenticate")
    assert (event.user_id, event.credential) == (alice.pk, {"method": "password"})


def test_removing_the_last_method_is_recorded_and_mailed_with_what_stops_working(
    alice, alice_client, clock, settings
):
    settings.CHEESESHOP_UPLOAD_REQUIRES_2FA = True
    enrol_totp(alice_client, clock)
    mail.outbox.clear()
    assert alice_client.post("/account/2fa/totp/deactivate/").status_code == 302
    removed = Event.objects.filter(tag="account:two_factor:method_removed")
    assert sorted(e.additional["type"] for e in removed) == ["recovery_codes", "totp"]
    [message] = mail.outbox
    assert message.subject == "[cheeseshop] Two-factor method removed: authenticator app"
    assert "no longer has two-factor authentication" in message.body
    assert "Uploads with your API tokens and the management pages are refused" in message.body


def test_the_deactivation_page_warns_what_stops_working(alice_client, clock, settings):
    settings.CHEESESHOP_MANAGE_REQUIRES_2FA = True
    enrol_totp(alice_client, clock)
    page = alice_client.get("/account/2fa/totp/deactivate/").content.decode()
    assert "This is your last two-factor method." in page
    assert "the management pages" in page


def test_regenerating_codes_is_recorded_and_mailed(alice_client, clock):
    enrol_totp(alice_client, clock)
    mail.outbox.clear()
    alice_client.post("/account/2fa/recovery-codes/generate/")
    event = Event.objects.filter(tag="account:recovery_codes:generated").last()
    assert event.additional == {"count": 10, "automatic": False}
    assert subjects() == ["[cheeseshop] New recovery codes generated"]


def test_a_login_from_a_new_device_is_mailed_and_a_known_one_is_not(alice):
    first = Client(HTTP_USER_AGENT="Firefox/1")
    mail.outbox.clear()
    log_in_with_password(first)  # the account's first login: nothing to compare with
    log_in_with_password(Client(HTTP_USER_AGENT="Firefox/1"))  # same address and browser
    assert mail.outbox == []
    log_in_with_password(Client(HTTP_USER_AGENT="Chrome/2"))
    [message] = mail.outbox
    assert message.subject == "[cheeseshop] New login to your account"
    assert "Chrome/2" in message.body
    assert "signed in with: password" in message.body
    log_in_with_password(Client(HTTP_USER_AGENT="Firefox/1", REMOTE_ADDR="10.1.2.3"))
    assert len(mail.outbox) == 2


def test_a_failed_login_is_recorded(alice):
    log_in_with_password(Client(), password="wrong")
    assert Event.objects.filter(tag="account:login:failure", user=alice).exists()


def test_allauths_own_notices_are_not_sent_as_well(alice_client, clock, settings):
    settings.ACCOUNT_EMAIL_NOTIFICATIONS = True
    mail.outbox.clear()
    enrol_totp(alice_client, clock)
    assert subjects().count("[cheeseshop] Two-factor method added: authenticator app") == 1
    assert len(mail.outbox) == 2  # the method, the codes; not allauth's own copy too


@pytest.mark.parametrize(
    ("records", "method"),
    [
        ([{"method": "password"}], "password"),
        ([{"method": "password"}, {"method": "mfa", "type": "totp"}], "password+totp"),
        ([{"method": "password"}, {"method": "mfa", "type": "webauthn"}], "password+webauthn"),
        (
            [{"method": "password"}, {"method": "mfa", "type": "recovery_codes"}],
            "password+recovery_code",
        ),
        ([{"method": "mfa", "type": "webauthn", "passwordless": True}], "passkey"),
        # An abandoned password login, then a passkey: the passkey is what logged in.
        (
            [{"method": "password"}, {"method": "mfa", "type": "webauthn", "passwordless": True}],
            "passkey",
        ),
        ([], "unknown"),
        (
            [{"method": "password"}, {"method": "mfa", "type": "totp", "reauthenticated": True}],
            "password",
        ),
    ],
)
def test_login_method_from_authentication_records(records, method):
    assert method_from_records(records) == method
