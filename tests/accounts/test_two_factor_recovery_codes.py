"""Recovery codes: shown once (downloadable while shown), each logs in once, the user told how
many remain and warned when few do, and a new set invalidates the old one."""

import pytest
from allauth.mfa.models import Authenticator
from django.core import mail
from django.test import Client

from cheeseshop.audit.models import Event
from tests.accounts.conftest import is_logged_in
from tests.accounts.two_factor_helpers import (  # noqa: F401 (a fixture)
    Clock,
    cheeseshop_mfa_settings,
    confirm_identity,
    enrol_totp,
    log_in_with_password,
    recovery_codes_on_page,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def codes(alice_client, clock) -> list[str]:
    """alice enrols an app; the page she is sent to shows her recovery codes (once)."""
    enrol_totp(alice_client, clock)
    page = alice_client.get("/account/2fa/recovery-codes/")
    assert page.status_code == 200
    return recovery_codes_on_page(page.content.decode())


def log_in_with_code(code: str) -> Client:
    client = Client()
    assert log_in_with_password(client)["Location"] == "/account/2fa/authenticate/"
    client.post("/account/2fa/authenticate/", {"code": code})
    return client


def test_ten_codes_are_shown_once(codes, alice_client):
    assert len(codes) == 10
    again = alice_client.get("/account/2fa/recovery-codes/").content.decode()
    assert not any(code in again for code in codes)
    assert "are not shown again" in again


def test_codes_can_be_downloaded_while_shown_then_not(codes, alice_client, monkeypatch):
    download = alice_client.get("/account/2fa/recovery-codes/download/")
    assert download.status_code == 200
    assert download["Content-Disposition"] == 'attachment; filename="recovery-codes.txt"'
    assert download.content.decode().split() == codes
    from cheeseshop.accounts import two_factor_views

    monkeypatch.setattr(two_factor_views, "DOWNLOAD_WINDOW_SECONDS", -1)
    assert alice_client.get("/account/2fa/recovery-codes/download/").status_code == 403


def test_a_recovery_code_logs_in_once(codes):
    first = log_in_with_code(codes[0])
    assert is_logged_in(first)
    assert Event.objects.filter(tag="account:login:success").last().credential == {
        "method": "password+recovery_code"
    }
    again = log_in_with_code(codes[0])
    assert not is_logged_in(again)


def test_the_user_is_told_how_many_codes_remain(codes):
    client = log_in_with_code(codes[0])
    page = client.get("/account/2fa/").content.decode()
    assert "You used a recovery code; 9 unused codes remain." in page


def test_the_user_is_warned_when_three_or_fewer_remain(codes):
    for code in codes[:6]:
        log_in_with_code(code)
    client = log_in_with_code(codes[6])
    page = client.get("/account/2fa/").content.decode()
    assert "3 unused codes remain." in page
    assert "Generate new recovery codes now" in page
    assert "You are running out of recovery codes" in page


def test_when_every_code_is_used_none_logs_in(codes):
    for code in codes:
        assert is_logged_in(log_in_with_code(code))
    assert (
        Event.objects.filter(tag="account:recovery_codes:used").last().additional["remaining"] == 0
    )
    assert not is_logged_in(log_in_with_code(codes[0]))


def test_a_new_set_invalidates_the_old_codes(codes, alice_client):
    confirm_identity(alice_client)
    assert alice_client.post("/account/2fa/recovery-codes/generate/").status_code == 302
    new_codes = recovery_codes_on_page(
        alice_client.get("/account/2fa/recovery-codes/").content.decode()
    )
    assert set(new_codes).isdisjoint(codes)
    assert not is_logged_in(log_in_with_code(codes[1]))
    assert is_logged_in(log_in_with_code(new_codes[0]))


def test_using_a_code_is_recorded_and_mailed(alice, codes):
    mail.outbox.clear()
    log_in_with_code(codes[0])
    event = Event.objects.get(tag="account:recovery_codes:used")
    assert (event.user_id, event.additional["remaining"]) == (alice.pk, 9)
    [message] = [m for m in mail.outbox if "recovery code was used" in m.subject]
    assert message.to == ["alice@example.com"]
    assert "9 unused recovery codes remain" in message.body


def test_recovery_codes_alone_are_not_a_second_factor(alice, codes):
    from cheeseshop.accounts.services import has_two_factor

    Authenticator.objects.filter(user=alice, type=Authenticator.Type.TOTP).delete()
    assert not has_two_factor(alice)
