"""Every page has a title of its own, in one pattern: "<page> · <site name>".

The walk covers each kind of visitor: anonymous, signed in (account, tokens, project
management), half-way through a two-factor login, with two-factor methods set up, and staff
in the admin.
"""

import pytest
from django.conf import settings
from django.test import Client

from cheeseshop.accounts.services import create_user
from tests.accounts.conftest import STRONG_PASSWORD, alice, alice_client, clock  # noqa: F401
from tests.accounts.sessions import signed_in_through_the_site
from tests.accounts.two_factor_helpers import (  # noqa: F401 - autouse: allauth's 2FA settings
    cheeseshop_mfa_settings,
    confirm_identity,
    enrol_totp,
    log_in_with_password,
)
from tests.manage.conftest import maintainer, owner, owner_client, project  # noqa: F401
from tests.upload.conftest import packages_dir  # noqa: F401 - autouse: per-test file storage
from tests.web.pages import page_title, title_problems

pytestmark = pytest.mark.django_db

ANONYMOUS = [
    "/",
    "/search/",
    "/search/?q=cheese",
    "/project/cheese-tools/",
    "/project/cheese-tools/1.0/",
    "/user/olivia/",
    "/no-such-page/",
    "/account/login/",
    "/account/signup/",
    "/account/password/reset/",
    "/account/password/reset/done/",
]
OWNER = [
    "/manage/projects/",
    "/manage/account/",
    "/manage/project/cheese-tools/",
    "/manage/project/cheese-tools/collaboration/",
    "/manage/project/cheese-tools/releases/",
    "/manage/project/cheese-tools/release/1.0/",
    "/manage/project/cheese-tools/history/",
    "/manage/account/tokens/",
    "/manage/account/tokens/new/",
    "/manage/account/history/",
    "/manage/account/notifications/",
    "/account/email/",
    "/account/password/set/",
    "/account/logout/",
    "/account/2fa/",
]
WITH_TWO_FACTOR = [
    "/account/2fa/",
    "/account/2fa/totp/deactivate/",
    "/account/2fa/recovery-codes/",
    "/account/2fa/recovery-codes/generate/",
    "/account/2fa/reauthenticate/",
    "/account/2fa/webauthn/",
    "/account/2fa/webauthn/add/",
    "/account/password/change/",
    "/account/reauthenticate/",
]
ALLAUTH_TITLE_CASE = {
    "Sign In",
    "Sign Out",
    "Signup",
    "Change Password",
    "Set Password",
    "Password Reset",
    "Email Addresses",
    "Confirm Access",
    "Verify Your Email Address",
    "Two-Factor Authentication",
    "Recovery Codes",
    "Security Keys",
}
STAFF = ["/admin/", "/admin/accounts/user/", "/admin/packaging/project/"]


def titles_of(client: Client, paths: list[str], titles: dict[str, str], who: str) -> None:
    for path in paths:
        response = client.get(path)
        expected = 404 if path == "/no-such-page/" else 200
        assert response.status_code == expected, (who, path, response.status_code)
        titles[f"{who} {path}"] = page_title(response.content.decode())


def test_every_page_has_its_own_title_in_the_one_pattern(
    owner_client,  # noqa: F811
    project,  # noqa: F811
    alice,  # noqa: F811
    clock,  # noqa: F811
):
    titles: dict[str, str] = {}
    titles_of(Client(), ANONYMOUS, titles, "anonymous")
    titles_of(owner_client, OWNER, titles, "owner")

    with_two_factor = Client()
    assert log_in_with_password(with_two_factor).status_code == 302
    enrol_totp(with_two_factor, clock)
    confirm_identity(with_two_factor)
    titles_of(with_two_factor, WITH_TWO_FACTOR, titles, "2fa")
    del titles["2fa /account/2fa/"]  # the same page as the owner's, with other content

    second_step = Client()
    assert log_in_with_password(second_step)["Location"] == "/account/2fa/authenticate/"
    titles_of(second_step, ["/account/2fa/authenticate/"], titles, "logging in")

    staff = create_user("staffer", "staff@example.com", password=STRONG_PASSWORD, admin=True)
    titles_of(signed_in_through_the_site(staff), STAFF, titles, "staff")

    admin_site = f"{settings.SITE_NAME} administration"
    assert title_problems(titles, settings.SITE_NAME, admin_site) == []
    # allauth's Title Case is not the site's.
    pages = {title.partition(" · ")[0] for title in titles.values()}
    assert pages.isdisjoint(ALLAUTH_TITLE_CASE)
