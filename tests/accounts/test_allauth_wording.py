"""Our glossary over allauth's wording: the allauth messages our catalogue translates are
allauth's own, and the French account pages use our words ("nom d'utilisateur", "adresse
e-mail"), not allauth's ("pseudo", "courriel")."""

import gettext
import re
from pathlib import Path

import allauth
import pytest
from django.test import Client

from cheeseshop.accounts.allauth_wording import MESSAGES
from tests.accounts.conftest import STRONG_PASSWORD, alice  # noqa: F401

ALLAUTH_LOCALE = Path(allauth.__file__).parent / "locale"
# Words of allauth's French that our glossary rules out.
NOT_OUR_WORDS = re.compile(r"courriel|pseudo", re.IGNORECASE)


def test_every_governed_message_is_one_of_allauths():
    """Each is in allauth's French catalogue, spelled as allauth spells it."""
    allauths = gettext.translation("django", ALLAUTH_LOCALE, ["fr"])
    assert [message for message in MESSAGES if allauths.gettext(message) == message] == []


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
    pages = _french_pages(Client())
    assert "Nom d'utilisateur" in pages["/account/signup/"].replace("&#x27;", "'")
    clashes = {page: NOT_OUR_WORDS.findall(html) for page, html in pages.items()}
    assert {page: words for page, words in clashes.items() if words} == {}
