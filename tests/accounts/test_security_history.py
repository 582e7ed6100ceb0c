"""The user's Security history at /manage/account/history/: their events only, newest first,
filterable by kind, paginated, each with what, how and where."""

import pytest

from cheeseshop.audit.models import EventTag
from cheeseshop.audit.services import ADMIN, SESSION, Credential, hash_ip, record_event
from tests.audit.conftest import record

pytestmark = pytest.mark.django_db

HISTORY = "/manage/account/history/"


def rows(page: str) -> list[str]:
    if "<tbody>" not in page:
        return []
    body = page.split("<tbody>")[1].split("</tbody>", maxsplit=1)[0]
    return body.split("<tr>")[1:]


def page_of(client, **params) -> str:
    response = client.get(HISTORY, params)
    assert response.status_code == 200
    return response.content.decode()


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    response = client.get(HISTORY)
    assert response.status_code == 302
    assert response["Location"].startswith("/account/login/")


def test_a_user_without_a_verified_email_cannot_see_the_history(owner, owner_client):
    owner.emailaddress_set.update(verified=False)
    assert owner_client.get(HISTORY).status_code == 403


def test_lists_the_users_own_events_newest_first_with_how_and_where(owner, owner_client):
    client = owner_client
    record(
        EventTag.ACCOUNT_PASSWORD_CHANGE,
        actor=owner,
        user=owner,
        credential=SESSION,
        ip="198.51.100.4",
        user_agent="Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
    )
    record(
        EventTag.ACCOUNT_LOGIN_SUCCESS,
        actor=owner,
        user=owner,
        credential=Credential("password+totp"),
        ip="198.51.100.4",
    )
    newest, older, *_rest = rows(page_of(client))
    assert "Logged in" in newest
    assert "Password and authenticator app" in newest
    assert "You" in newest
    assert f"IP hash {hash_ip('198.51.100.4')[:12]}…" in newest
    assert hash_ip("198.51.100.4")[:13] not in newest  # shortened
    assert "twine 6.1.0" in newest
    assert "Password changed" in older
    assert "Firefox 128.0 on Linux" in older
    assert "Signed in on the web" in older


def test_lists_events_the_user_did_on_projects(owner, project, owner_client):
    record(
        EventTag.FILE_ADD,
        actor=owner,
        project=project,
        credential=Credential("token", {"token_id": "7", "description": "release bot"}),
        additional={"filename": "cheese_tools-2.0.tar.gz"},
    )
    newest = rows(page_of(owner_client))[0]
    assert "File added" in newest
    assert "API token “release bot”" in newest
    assert "File: cheese_tools-2.0.tar.gz" in newest


def test_never_shows_another_users_events(owner, stranger, other_project, owner_client):
    record(EventTag.ACCOUNT_LOGIN_FAILURE, user=stranger, credential=Credential("password"))
    record(EventTag.ACCOUNT_PASSWORD_CHANGE, actor=stranger, user=stranger, credential=SESSION)
    record(EventTag.PROJECT_RELEASE_YANK, actor=stranger, project=other_project)
    page = page_of(owner_client)
    assert "Failed login" not in page
    assert "Password changed" not in page
    assert "Release yanked" not in page


def test_shows_what_others_did_to_the_account_without_their_address(owner, staff, owner_client):
    record_event(EventTag.ACCOUNT_LOGIN_SUCCESS, actor=owner, user=owner, credential=SESSION)
    record(
        EventTag.ADMIN_USER_FREEZE,
        actor=staff,
        user=owner,
        credential=ADMIN,
        ip="192.0.2.99",
        user_agent="AdminBrowser/1.0",
    )
    newest = rows(page_of(owner_client))[0]
    assert "Admin froze the account" in newest
    assert "staffer" in newest
    assert "Admin area" in newest
    assert hash_ip("192.0.2.99")[:12] not in newest
    assert "AdminBrowser" not in newest
    assert "Not shown: another person\N{RIGHT SINGLE QUOTATION MARK}s request" in newest


def test_failed_logins_on_the_account_show_where_they_came_from(owner, owner_client):
    record(
        EventTag.ACCOUNT_LOGIN_FAILURE,
        user=owner,
        credential=Credential("password"),
        ip="192.0.2.50",
        user_agent="curl/8.5",
    )
    newest = rows(page_of(owner_client))[0]
    assert "Failed login" in newest
    assert "Nobody signed in" in newest
    assert hash_ip("192.0.2.50")[:12] in newest
    assert "curl 8.5" in newest


@pytest.fixture
def one_event_of_each_kind(owner, project, staff):
    record_event(EventTag.ACCOUNT_EMAIL_ADD, actor=owner, user=owner, credential=SESSION)
    record_event(EventTag.PROJECT_RELEASE_YANK, actor=owner, project=project, credential=SESSION)
    record_event(
        EventTag.ACCOUNT_ROLE_INVITE, actor=staff, user=owner, additional={"project": "x"}
    )
    record_event(EventTag.ACCOUNT_API_TOKEN_ADDED, actor=owner, user=owner, credential=SESSION)
    record_event(EventTag.PROJECT_API_TOKEN_ADDED, actor=owner, project=project)
    record_event(EventTag.ACCOUNT_TWO_FACTOR_METHOD_ADDED, actor=owner, user=owner)
    record_event(EventTag.ACCOUNT_RECOVERY_CODES_USED, actor=owner, user=owner)
    record_event(EventTag.ADMIN_USER_UNFREEZE, actor=staff, user=owner, credential=ADMIN)


@pytest.mark.parametrize(
    ("kind", "shown", "hidden"),
    [
        (
            "token",
            ["API token added", "API token for the project added"],
            ["Email address added", "Release yanked", "Two-factor method added"],
        ),
        (
            "two-factor",
            ["Two-factor method added", "Recovery code used"],
            ["API token added", "Email address added", "Admin unfroze"],
        ),
        (
            "project",
            ["Release yanked", "Invited to a project"],
            ["API token for the project added", "Email address added"],
        ),
        ("admin", ["Admin unfroze the account"], ["Email address added", "Release yanked"]),
        (
            "account",
            ["Email address added"],
            ["API token added", "Two-factor method added", "Release yanked", "Admin unfroze"],
        ),
    ],
)
def test_filter_by_kind(owner, one_event_of_each_kind, kind, shown, hidden, owner_client):
    page = page_of(owner_client, kind=kind)
    body = "".join(rows(page))
    for label in shown:
        assert label in body
    for label in hidden:
        assert label not in body


def test_a_kind_with_no_events_says_so(owner, owner_client):
    page = page_of(owner_client, kind="admin")
    assert "No event of this kind has been recorded for your account." in page


def test_an_unknown_kind_is_refused_by_name(owner, owner_client):
    response = owner_client.get(HISTORY, {"kind": "secrets"})
    assert response.status_code == 400
    assert "&#x27;secrets&#x27; is not a kind of event here" in response.content.decode()


def test_history_is_paginated_by_25_and_pages_keep_the_filter(owner, owner_client):
    client = owner_client
    for number in range(30):
        record_event(
            EventTag.ACCOUNT_API_TOKEN_ADDED,
            actor=owner,
            user=owner,
            additional={"description": f"token {number}"},
        )
    first = page_of(client, kind="token")
    assert len(rows(first)) == 25
    assert "Token: token 29" in first
    assert 'href="?kind=token&amp;page=2"' in first
    second = page_of(client, kind="token", page=2)
    assert len(rows(second)) == 5
    assert "Token: token 0<" in second
    assert "Token: token 29" not in second


def test_the_account_page_links_to_the_history_and_the_notice_setting(owner, owner_client):
    page = owner_client.get("/manage/account/").content.decode()
    assert f'href="{HISTORY}"' in page
    assert 'href="/manage/account/notifications/"' in page
