"""Every account page renders in cheeseshop's layout, accessible and without inline code."""

from html.parser import HTMLParser

import pytest
from django.test import Client

from tests.accounts.conftest import STRONG_PASSWORD


class PageOutline(HTMLParser):
    """What the accessibility checks need from a page."""

    def __init__(self):
        super().__init__()
        self.h1_count = 0
        self.inputs = []  # attrs of each visible input/select/textarea
        self.label_targets = set()
        self.ids = set()
        self.inline_scripts = 0
        self.inline_styles = 0
        self.open_labels = 0
        self.wrapped_inputs = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if "style" in attrs:
            self.inline_styles += 1
        if tag == "h1":
            self.h1_count += 1
        elif tag == "style":
            self.inline_styles += 1
        elif tag == "script" and "src" not in attrs:
            self.inline_scripts += 1
        elif tag == "label" and "for" in attrs:
            self.label_targets.add(attrs["for"])
        elif tag in {"input", "select", "textarea"} and attrs.get("type") not in {
            "hidden",
            "submit",
        }:
            self.inputs.append(attrs)


def outline(response) -> PageOutline:
    parser = PageOutline()
    parser.feed(response.content.decode())
    return parser


def assert_accessible(response):
    page = outline(response)
    assert page.h1_count == 1
    assert page.inline_scripts == 0
    assert page.inline_styles == 0
    for field in page.inputs:
        assert field.get("id") in page.label_targets, f"no label for {field}"
        for described_by in (field.get("aria-describedby") or "").split():
            assert described_by in page.ids, f"{field} points at missing {described_by}"
    return page


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/account/login/",
        "/account/signup/",
        "/account/password/reset/",
        "/account/password/reset/done/",
        "/account/confirm-email/",
        "/account/confirm-email/not-a-key/",
        "/account/inactive/",
    ],
)
def test_public_account_pages_are_in_our_layout_and_accessible(path):
    response = Client().get(path)
    assert response.status_code == 200
    assert 'class="site-header"' in response.content.decode()
    assert "cheeseshop/accounts.css" in response.content.decode()
    assert_accessible(response)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/account/email/", "/account/password/change/", "/account/logout/"]
)
def test_logged_in_account_pages_are_in_our_layout_and_accessible(alice_client, path):
    response = alice_client.get(path)
    assert response.status_code == 200
    assert 'class="site-header"' in response.content.decode()
    assert_accessible(response)


@pytest.mark.django_db
def test_field_errors_are_tied_to_their_inputs():
    response = Client().post(
        "/account/signup/",
        {
            "username": "bob",
            "email": "not-an-email",
            "password1": STRONG_PASSWORD,
            "password2": "something else",
        },
    )
    page = assert_accessible(response)
    by_name = {field.get("name"): field for field in page.inputs}
    for name in ("email", "password2"):
        assert by_name[name]["aria-invalid"] == "true"
        assert f"id_{name}_error" in by_name[name]["aria-describedby"].split()
    assert "aria-invalid" not in by_name["username"]


@pytest.mark.django_db
def test_login_refusal_is_announced(alice):
    response = Client().post("/account/login/", {"login": "alice", "password": "wrong"})
    assert 'role="alert"' in response.content.decode()
    assert_accessible(response)


@pytest.mark.django_db
def test_refusal_pages_are_accessible(alice, settings):
    settings.CHEESESHOP_LOGIN_LIMIT = "1 per minute"
    client = Client()
    client.post("/account/login/", {"login": "alice", "password": "wrong"})
    locked = client.post("/account/login/", {"login": "alice", "password": "wrong"})
    assert locked.status_code == 429
    assert_accessible(locked)


@pytest.mark.django_db
def test_account_pages_follow_the_chosen_language():
    response = Client().get("/account/login/", HTTP_ACCEPT_LANGUAGE="fr")
    assert '<html lang="fr"' in response.content.decode()
