"""Our glossary over allauth's wording: the allauth messages our catalogue translates are
allauth's own, and the French account pages use our words ("nom d'utilisateur", "adresse
e-mail"), not allauth's ("pseudo", "courriel")."""

import re
from pathlib import Path

import allauth
import polib
import pytest
from django.test import Client

from cheeseshop.accounts.allauth_wording import MESSAGES
from tests.accounts.conftest import STRONG_PASSWORD, alice  # noqa: F401

ALLAUTH_CATALOGUE = Path(allauth.__file__).parent / "locale" / "fr" / "LC_MESSAGES" / "django.po"
# Words of allauth's French that our glossary rules out.
NOT_OUR_WORDS = re.compile(r"courriel|pseudo", re.IGNORECASE)


def test_every_governed_message_is_one_of_allauths():
    allauths = {entry.msgid for entry in polib.pofile(str(ALLAUTH_CATALOGUE))}
    assert set(MESSAGES) - allauths == set()


def _french_pages(client: Client) -> dict[str, str]:
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "fr"
    pages = {
        url: client.get(url).content.decode()
        for url in ("/account/login/", "/account/signup/", "/account/password/reset/")
    }
    for login in ("alice", "alice@example.com"):
        wrong = {"login": login, "password": "not-" + STRONG_PASSWORD}
        pages[f"failed login as {login}"] = client.post("/account/login/", wrong).content.decode()
    return pages


@pytest.mark.usefixtures("alice")
def test_french_sign_in_pages_use_our_glossary():
    """Red until the catalogue is regenerated with allauth_wording's messages."""
    pages = _french_pages(Client())
    assert "Nom d'utilisateur" in pages["/account/signup/"].replace("&#x27;", "'")
    clashes = {page: NOT_OUR_WORDS.findall(html) for page, html in pages.items()}
    assert {page: words for page, words in clashes.items() if words} == {}
