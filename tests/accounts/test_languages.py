"""Each person's own language: stored at sign-up, followed by their pages over the browser's
wish, and used for the emails written to them (cheeseshop.accounts.languages)."""

import re
from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from cheeseshop.accounts.languages import in_language_of, language_of
from cheeseshop.accounts.models import User
from tests.accounts.conftest import OTHER_STRONG_PASSWORD, STRONG_PASSWORD
from tests.accounts.test_signup import sign_up

pytestmark = pytest.mark.django_db

COOKIE = settings.LANGUAGE_COOKIE_NAME


def choose(user, code: str) -> None:
    user.language = code
    user.save(update_fields=["language"])


def page_language(response) -> str:
    html = response.content.decode()
    start = html.index('<html lang="') + len('<html lang="')
    return html[start : html.index('"', start)]


# --- which language -----------------------------------------------------------------------


def test_a_chosen_language_is_used_whoever_caused_the_message(alice):
    choose(alice, "ja")
    with translation.override("fr"):
        assert language_of(alice) == "ja"
        assert language_of(alice, they_acted=True) == "ja"


def test_without_a_choice_others_write_in_the_sites_language_and_they_in_their_pages(alice):
    with translation.override("fr"):
        assert language_of(alice) == settings.LANGUAGE_CODE
        assert language_of(alice, they_acted=True) == "fr"


def test_a_language_no_longer_offered_counts_as_none(alice, settings):
    choose(alice, "de")
    settings.LANGUAGES = [("en", "English"), ("fr", "Français")]
    assert language_of(alice) == "en"


def test_with_no_person_to_write_to_the_current_language_stays():
    with translation.override("fr"), in_language_of(None) as code:
        assert code == "fr"
        assert translation.get_language() == "fr"


# --- sign-up ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Accept-Language": "de-DE,de;q=0.9"}, "de"),
        ({"Cookie": f"{COOKIE}=fr"}, "fr"),
        ({"Accept-Language": "pt-BR"}, "pt-br"),
        ({}, "en"),
    ],
)
def test_sign_up_stores_the_language_of_the_sign_up_page(headers, expected):
    client = Client(headers=headers)
    assert sign_up(client).status_code == 302
    assert User.objects.get(username="bob").language == expected


# --- pages --------------------------------------------------------------------------------


def test_a_logged_in_users_pages_follow_their_choice_over_the_browser(alice, alice_client):
    choose(alice, "fr")
    response = alice_client.get("/", headers={"Accept-Language": "de"})
    assert page_language(response) == "fr"
    assert response["Content-Language"] == "fr"
    # The cookie follows, so the pages stay French once they log out.
    assert response.cookies[COOKIE].value == "fr"


def test_a_logged_in_user_who_never_chose_sees_what_the_browser_asks(alice_client):
    response = alice_client.get("/", headers={"Accept-Language": "de"})
    assert page_language(response) == "de"
    assert COOKIE not in response.cookies


def test_signed_out_pages_follow_the_cookie_then_the_browser(client):
    assert page_language(client.get("/", headers={"Accept-Language": "ja"})) == "ja"
    client.cookies[COOKIE] = "fr"
    assert page_language(client.get("/", headers={"Accept-Language": "ja"})) == "fr"


def switcher_options(page: str) -> list[tuple[str, str, str]]:
    """(value, lang, text) of each option of the language switcher."""
    options = re.findall(r'<option value="([^"]*)"\s+lang="([^"]*)"[^>]*>([^<]*)</option>', page)
    return [(value, lang, text.strip()) for value, lang, text in options]


def test_every_language_is_offered_named_in_itself_and_marked_with_its_code(client):
    options = switcher_options(client.get("/").content.decode())
    assert options == [(code, code, name) for code, name in settings.LANGUAGES]
    assert ("ja", "ja", "日本語") in options
    assert ("ar", "ar", "العربية") in options


def test_dates_are_written_the_way_the_readers_language_writes_them(alice, alice_client):
    alice.date_joined = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)
    alice.save(update_fields=["date_joined"])
    for code, written in [
        ("en", "March 14, 2026"),
        ("fr", "14 mars 2026"),
        ("ja", "2026年3月14日"),
    ]:
        choose(alice, code)
        page = alice_client.get("/manage/account/").content.decode()
        # What people read changes; what machines read does not.
        assert f'<time datetime="2026-03-14T09:30:00+00:00">{written}</time>' in page


# --- emails its owner asked for (allauth's) -----------------------------------------------


def test_a_password_reset_is_written_in_the_accounts_language_not_the_pages(alice, client):
    choose(alice, "fr")
    client.post("/account/password/reset/", {"email": "alice@example.com"})
    [message] = mail.outbox
    with translation.override("fr"):
        assert gettext("Password Reset Email") in message.subject


def test_a_password_reset_for_someone_who_never_chose_is_in_the_page_language(alice):
    client = Client(headers={"Cookie": f"{COOKIE}=fr"})
    client.post("/account/password/reset/", {"email": "alice@example.com"})
    [message] = mail.outbox
    with translation.override("fr"):
        assert gettext("Password Reset Email") in message.subject


def test_mail_to_an_address_nobody_has_is_in_the_page_language(client, settings):
    settings.ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = True
    client.cookies[COOKIE] = "fr"
    client.post("/account/password/reset/", {"email": "nobody@example.com"})
    [message] = mail.outbox
    with translation.override("fr"):
        assert gettext("Unknown Account") in message.subject


def test_someone_signing_up_with_a_taken_address_tells_its_owner_in_the_owners_language(alice):
    choose(alice, "fr")
    sign_up(Client(headers={"Accept-Language": "en"}), email="alice@example.com")
    [message] = mail.outbox
    assert message.to == ["alice@example.com"]
    with translation.override("fr"):
        assert gettext("Account Already Exists") in message.subject


def test_allauths_own_notices_are_in_the_accounts_language(alice, alice_client, settings):
    settings.ACCOUNT_EMAIL_NOTIFICATIONS = True
    choose(alice, "fr")
    alice_client.post(
        "/account/password/change/",
        {
            "oldpassword": STRONG_PASSWORD,
            "password1": OTHER_STRONG_PASSWORD,
            "password2": OTHER_STRONG_PASSWORD,
        },
        headers={"Accept-Language": "en"},
    )
    [message] = mail.outbox
    with translation.override("fr"):
        assert gettext("Password Changed") in message.subject
