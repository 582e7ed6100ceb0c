"""CHEESESHOP_MANAGE_REQUIRES_2FA: management pages and token pages send a user without a second
factor to a page that says why and links to the setup; the setup and email pages stay open."""

import pytest

from cheeseshop.accounts import totp
from tests.accounts.two_factor_helpers import (  # noqa: F401 (a fixture)
    Clock,
    cheeseshop_mfa_settings,
    enrol_totp,
)

pytestmark = pytest.mark.django_db

MANAGE_PAGES = ["/manage/account/", "/manage/projects/", "/manage/account/tokens/"]


@pytest.fixture
def policy_on(settings):
    settings.CHEESESHOP_MANAGE_REQUIRES_2FA = True


@pytest.mark.parametrize("path", MANAGE_PAGES)
def test_without_two_factor_the_management_pages_send_to_the_explanation(
    alice_client, policy_on, path
):
    response = alice_client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/account/2fa/required/?next=")
    page = alice_client.get(response["Location"])
    assert page.status_code == 403
    content = page.content.decode()
    assert "requires two-factor authentication" in content
    assert 'href="/account/2fa/"' in content


def test_the_setup_and_email_pages_stay_reachable(alice_client, policy_on):
    for path in ["/account/2fa/", "/account/email/"]:
        assert alice_client.get(path).status_code == 200, path


def test_with_two_factor_the_management_pages_open(alice_client, policy_on, monkeypatch):
    clock = Clock()
    monkeypatch.setattr(totp, "now", clock)
    enrol_totp(alice_client, clock)
    assert alice_client.get("/manage/account/").status_code == 200


def test_with_the_policy_off_no_second_factor_is_needed(alice_client, settings):
    settings.CHEESESHOP_MANAGE_REQUIRES_2FA = False
    assert alice_client.get("/manage/account/").status_code == 200


def test_the_explanation_page_links_back_only_to_this_site(alice_client, policy_on, monkeypatch):
    clock = Clock()
    monkeypatch.setattr(totp, "now", clock)
    enrol_totp(alice_client, clock)
    here = alice_client.get("/account/2fa/required/?next=/manage/account/").content.decode()
    assert 'href="/manage/account/"' in here
    away = alice_client.get("/account/2fa/required/?next=https://evil.example/").content.decode()
    assert 'href="https://evil.example/"' not in away


def test_two_factor_changes_are_refused_while_read_only(alice_client):
    from cheeseshop.flags.models import FlagId
    from cheeseshop.flags.services import set_flag

    set_flag(FlagId.READ_ONLY, True)
    response = alice_client.post("/account/2fa/totp/activate/", {"code": "123456"})
    assert response.status_code == 403
