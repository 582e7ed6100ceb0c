"""Choosing a language: the account's language page, and the footer's switcher, which stores a
logged-in user's choice (cheeseshop.accounts.language_views)."""

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from cheeseshop.flags.models import FlagId
from cheeseshop.flags.services import set_flag

pytestmark = pytest.mark.django_db

PAGE = "/manage/account/language/"
SWITCH = "/i18n/setlang/"
COOKIE = settings.LANGUAGE_COOKIE_NAME


def test_the_account_page_links_to_the_language_page(alice_client):
    page = alice_client.get("/manage/account/").content.decode()
    assert f'href="{PAGE}"' in page
    assert "You have not chosen a language yet." in page


def test_the_language_page_offers_every_language_and_starts_on_the_one_being_read(alice_client):
    alice_client.cookies[COOKIE] = "de"
    page = alice_client.get(PAGE).content.decode()
    for code, name in settings.LANGUAGES:
        assert f'value="{code}"' in page
        assert name in page
    assert '<option value="de" selected lang="de">Deutsch</option>' in page
    assert "---------" not in page  # no "none" to choose here


def test_choosing_a_language_stores_it_and_takes_effect_at_once(alice, alice_client):
    response = alice_client.post(PAGE, {"language": "fr"})
    assert response.status_code == 302
    assert response["Location"] == PAGE
    assert response.cookies[COOKIE].value == "fr"
    alice.refresh_from_db()
    assert alice.language == "fr"

    page = alice_client.get(PAGE, headers={"Accept-Language": "de"}).content.decode()
    assert '<html lang="fr"' in page
    with translation.override("fr"):
        said = gettext("Your language is now %(language)s.") % {"language": "Français"}
    assert said in page
    account = alice_client.get("/manage/account/").content.decode()
    assert '<span lang="fr">Français</span>' in account


@pytest.mark.parametrize(
    ("language", "error"),
    [
        ("xx", "Choose one of the languages in the list."),
        ("../../etc", "Choose one of the languages in the list."),
        ("", "Choose a language."),
    ],
)
def test_a_language_not_offered_is_refused_next_to_the_field(alice, alice_client, language, error):
    response = alice_client.post(PAGE, {"language": language})
    assert response.status_code == 400
    page = response.content.decode()
    assert error in page
    assert 'aria-invalid="true"' in page
    alice.refresh_from_db()
    assert alice.language == ""


def test_the_language_page_is_for_logged_in_users(client):
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith("/account/login/")


def test_the_switcher_stores_a_logged_in_users_choice(alice, alice_client):
    response = alice_client.post(SWITCH, {"language": "ja", "next": "/search/?q=brie"})
    assert response.status_code == 302
    assert response["Location"] == "/search/?q=brie"
    assert response.cookies[COOKIE].value == "ja"
    alice.refresh_from_db()
    assert alice.language == "ja"
    assert '<html lang="ja"' in alice_client.get("/").content.decode()


def test_the_switcher_still_only_sets_the_cookie_for_someone_signed_out():
    client = Client()
    response = client.post(SWITCH, {"language": "fr", "next": "/"})
    assert response.status_code == 302
    assert response.cookies[COOKIE].value == "fr"


def test_the_switcher_ignores_a_language_not_offered(alice, alice_client):
    response = alice_client.post(SWITCH, {"language": "xx", "next": "/"})
    assert response.status_code == 302
    assert COOKIE not in response.cookies
    alice.refresh_from_db()
    assert alice.language == ""


def test_a_get_to_the_switcher_changes_nothing(alice, alice_client):
    response = alice_client.get(SWITCH, {"language": "fr", "next": "/"})
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.language == ""


def test_while_read_only_the_switcher_changes_the_page_but_stores_nothing(alice, alice_client):
    set_flag(FlagId.READ_ONLY, True)
    response = alice_client.post(SWITCH, {"language": "fr", "next": "/"})
    assert response.cookies[COOKIE].value == "fr"
    alice.refresh_from_db()
    assert alice.language == ""
