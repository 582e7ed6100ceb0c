"""The admin is entered through the site's login only (password, second factor, login limits),
and only by a session that proved the second factor when its user has one."""

import pyotp
import pytest
from django.test import Client

from cheeseshop.accounts.services import create_user, enrol_totp
from tests.accounts.conftest import STRONG_PASSWORD, is_logged_in
from tests.accounts.sessions import signed_in_through_the_site
from tests.accounts.two_factor_helpers import (  # noqa: F401 (a fixture)
    Clock,
    cheeseshop_mfa_settings,
)

pytestmark = pytest.mark.django_db

ADMIN_LOGIN = "/admin/login/"
SITE_LOGIN = "/account/login/"


@pytest.fixture
def staff():
    return create_user("staffer", "staff@example.com", password=STRONG_PASSWORD, admin=True)


@pytest.fixture
def staff_app(staff) -> pyotp.TOTP:
    """The staff member's authenticator app, enrolled before any login."""
    _uri, secret = enrol_totp(staff)
    return pyotp.TOTP(secret)


def admin_login_form(username: str, password: str) -> dict:
    return {"username": username, "password": password, "next": "/admin/"}


def site_login(client: Client, password: str = STRONG_PASSWORD, *, next_path: str = "/admin/"):
    return client.post(
        f"{SITE_LOGIN}?next={next_path}", {"login": "staffer", "password": password}
    )


def send_code(client: Client, code: str, *, path: str = "/account/2fa/authenticate/"):
    return client.post(path, {"code": code})


def opens(client: Client, path: str) -> bool:
    return client.get(path).status_code == 200


@pytest.mark.parametrize("method", ["get", "post"])
def test_the_admin_login_sends_to_the_site_login_and_back(client, method):
    response = getattr(client, method)(f"{ADMIN_LOGIN}?next=/admin/accounts/user/")
    assert response.status_code == 302
    assert response["Location"] == f"{SITE_LOGIN}?next=/admin/accounts/user/"


def test_the_admin_login_sends_nowhere_off_the_site(client):
    response = client.get(f"{ADMIN_LOGIN}?next=https://evil.example/")
    assert response["Location"] == f"{SITE_LOGIN}?next=/admin/"


@pytest.mark.parametrize("has_app", [True, False], ids=["with-totp", "without-2fa"])
def test_a_staff_password_posted_to_the_admin_login_opens_no_session(staff, has_app):
    if has_app:
        enrol_totp(staff)
    client = Client()
    client.post(ADMIN_LOGIN, admin_login_form("staffer", STRONG_PASSWORD))
    assert not is_logged_in(client)
    assert not opens(client, "/admin/")
    assert not opens(client, "/manage/projects/")


def test_thirty_wrong_passwords_then_the_right_one_at_the_admin_login_open_no_session(staff):
    client = Client()
    for attempt in range(30):
        client.post(ADMIN_LOGIN, admin_login_form("staffer", f"wrong-{attempt}"))
    client.post(ADMIN_LOGIN, admin_login_form("staffer", STRONG_PASSWORD))
    assert not is_logged_in(client)
    assert not opens(client, "/admin/")


def test_the_way_into_the_admin_is_under_the_site_login_limit(staff, settings):
    settings.CHEESESHOP_LOGIN_LIMIT = "10 per 5 minutes"
    client = Client()
    for attempt in range(10):
        assert site_login(client, f"wrong-{attempt}").status_code == 200
    assert site_login(client).status_code == 429
    assert not is_logged_in(client)


def test_the_password_alone_leaves_a_staff_member_with_totp_at_the_second_step(staff, staff_app):
    client = Client()
    response = site_login(client)
    assert response["Location"] == "/account/2fa/authenticate/"
    assert not is_logged_in(client)
    assert not opens(client, "/admin/")


def test_password_then_the_code_open_the_admin(staff, staff_app, clock):
    client = Client()
    site_login(client)
    response = send_code(client, staff_app.at(clock.time))
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert opens(client, "/admin/")
    assert opens(client, "/admin/accounts/user/")


def test_a_password_only_session_loses_the_admin_once_its_user_enrols_a_second_factor(
    staff, clock
):
    client = Client()
    assert site_login(client)["Location"] == "/admin/"
    assert opens(client, "/admin/")  # no second factor, and the policy does not ask for one

    enrol_totp(staff)

    response = client.get("/admin/accounts/user/")
    assert response.status_code == 302
    response = client.get(response["Location"])
    assert (
        response["Location"] == "/account/2fa/reauthenticate/?next=%2Fadmin%2Faccounts%2Fuser%2F"
    )
    assert not opens(client, "/admin/")


def test_proving_the_second_factor_in_the_session_opens_the_admin_again(staff, clock):
    client = Client()
    site_login(client)
    _uri, secret = enrol_totp(staff)
    code = pyotp.TOTP(secret).at(clock.time)
    response = send_code(client, code, path="/account/2fa/reauthenticate/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert opens(client, "/admin/")


@pytest.mark.parametrize("path", ["/admin/", "/admin/accounts/user/"])
def test_with_the_policy_on_a_staff_member_without_a_second_factor_is_sent_to_set_one_up(
    staff, settings, path
):
    settings.CHEESESHOP_MANAGE_REQUIRES_2FA = True
    client = signed_in_through_the_site(staff)
    response = client.get(path)
    assert response.status_code == 302
    response = client.get(response["Location"])
    assert response["Location"].startswith("/account/2fa/required/?next=")
    assert not opens(client, path)


def test_with_the_policy_on_a_session_that_proved_the_second_factor_opens_the_admin(
    staff, staff_app, settings
):
    settings.CHEESESHOP_MANAGE_REQUIRES_2FA = True
    client = signed_in_through_the_site(staff, second_factor="totp")
    assert opens(client, "/admin/")


def test_a_session_not_opened_by_the_site_login_must_confirm_the_password(staff):
    client = Client()
    client.force_login(staff)  # as the admin's former password form left sessions
    response = client.get(ADMIN_LOGIN)
    assert response["Location"] == "/account/reauthenticate/?next=%2Fadmin%2F"
    assert not opens(client, "/admin/")
    response = client.post("/account/reauthenticate/?next=/admin/", {"password": STRONG_PASSWORD})
    assert response["Location"] == "/admin/"
    assert opens(client, "/admin/")


def test_a_member_who_is_not_staff_is_refused_not_sent_round_in_circles():
    member = create_user("member", "member@example.com", password=STRONG_PASSWORD)
    client = signed_in_through_the_site(member, second_factor="totp")
    response = client.get(ADMIN_LOGIN)
    assert response.status_code == 403
    assert "may not use the administration pages" in response.content.decode()


def test_the_admin_password_form_is_the_account_page(staff):
    client = signed_in_through_the_site(staff)
    response = client.get("/admin/password_change/")
    assert response.status_code == 302
    assert response["Location"] == "/account/password/change/"
