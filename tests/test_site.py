"""Absolute URLs come from the configured base URL, never from the request's Host header: the
Host-header poisoning attacks (a password-reset link mailed to its victim pointing at the
attacker's host; a publicly cached JSON document carrying one client's host to the next)."""

import json
import os
import subprocess
import sys

import pytest
from allauth.account.models import EmailAddress

from cheeseshop.accounts.models import User
from tests.index.builders import make_file, make_project, make_release

BASE = "https://pypi.example.org"
EVIL = "evil.example"


@pytest.fixture(autouse=True)
def base_url(settings):
    settings.BASE_URL = BASE
    settings.ALLOWED_HOSTS = ["*"]  # the attack the base URL must hold against alone


@pytest.fixture
def bob(db):
    bob = User.objects.create_user("bob", "bob@example.com", "a long passphrase 1")
    EmailAddress.objects.create(user=bob, email="bob@example.com", verified=True, primary=True)
    return bob


def _assert_only_the_base_url_in(text: str, path: str) -> None:
    assert EVIL not in text
    assert "testserver" not in text
    assert f"{BASE}{path}" in text


def test_a_password_reset_requested_under_another_host_links_to_the_base_url(
    client, bob, mailoutbox
):
    client.post("/account/password/reset/", {"email": "bob@example.com"}, HTTP_HOST=EVIL)
    [mail] = mailoutbox
    _assert_only_the_base_url_in(mail.body, "/account/password/reset/key/")


def test_a_reset_for_an_unknown_address_links_to_the_base_urls_sign_up(client, db, mailoutbox):
    client.post("/account/password/reset/", {"email": "nobody@example.com"}, HTTP_HOST=EVIL)
    for mail in mailoutbox:
        assert EVIL not in mail.body
        assert "testserver" not in mail.body


def test_the_verification_link_of_a_sign_up_under_another_host_is_on_the_base_url(
    client, db, mailoutbox
):
    client.post(
        "/account/signup/",
        {
            "email": "carol@example.com",
            "username": "carol",
            "password1": "a long passphrase 2",
            "password2": "a long passphrase 2",
        },
        HTTP_HOST=EVIL,
    )
    [mail] = mailoutbox
    _assert_only_the_base_url_in(mail.body, "/account/confirm-email/")


def test_the_json_api_is_the_same_document_whatever_the_host(client, db):
    project = make_project("Sample_Project", last_serial=3)
    make_file(make_release(project, "1.0"))
    here = client.get("/pypi/sample-project/json", HTTP_HOST=EVIL)
    there = client.get("/pypi/sample-project/json", HTTP_HOST="other.example")
    assert here.status_code == there.status_code == 200
    assert here.content == there.content
    document = json.loads(here.content)
    assert document["info"]["package_url"] == f"{BASE}/project/sample-project/"
    assert document["urls"][0]["url"].startswith(f"{BASE}/packages/")


def test_the_upload_endpoints_redirect_points_at_the_base_url(client, db):
    response = client.post("/legacy", HTTP_HOST=EVIL)
    assert response.status_code == 308
    assert response["Location"] == f"{BASE}/legacy/"


def _settings_under(env: dict) -> dict:
    """The settings a fresh process computes from ``env`` (settings are read once, at start)."""
    program = (
        "import json, cheeseshop.settings as s; "
        "print(json.dumps({'base': s.BASE_URL, 'hosts': s.ALLOWED_HOSTS}))"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CHEESESHOP_")}
    done = subprocess.run(
        [sys.executable, "-c", program],
        env={**clean, "CHEESESHOP_DATA_DIR": os.environ["CHEESESHOP_DATA_DIR"], **env},
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        return {"error": done.stderr.strip().splitlines()[-1]}
    return json.loads(done.stdout)


def test_a_configured_base_url_is_the_only_host_answered_by_default():
    assert _settings_under({"CHEESESHOP_BASE_URL": "https://pypi.example.org/"}) == {
        "base": "https://pypi.example.org",
        "hosts": ["pypi.example.org"],
    }


def test_named_hosts_still_win_over_the_base_urls():
    answer = _settings_under(
        {"CHEESESHOP_BASE_URL": BASE, "CHEESESHOP_ALLOWED_HOSTS": "a.example, b.example"}
    )
    assert answer["hosts"] == ["a.example", "b.example"]


@pytest.mark.parametrize(
    "value",
    ["pypi.example.org", "ftp://pypi.example.org", "https://pypi.example.org/simple/", "https://"],
)
def test_a_base_url_that_is_not_an_origin_stops_the_start_with_the_rule(value):
    error = _settings_under({"CHEESESHOP_BASE_URL": value})["error"]
    assert "CHEESESHOP_BASE_URL" in error
    assert repr(value) in error
