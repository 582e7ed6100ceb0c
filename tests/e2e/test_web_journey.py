"""A new user's whole path through a real `cheeseshop serve`, over HTTP, as a person walks it:
sign up, verify the address from the emailed link, log in, publish with twine, find the project,
share it, yank a release, delete a file — and see each step where installers look."""

import re

import pytest

from tests.e2e.browser import Browser
from tests.e2e.projects import build, make_project

pytestmark = pytest.mark.e2e

PASSWORD = "a-long-and-unusual-passphrase-42"
README = "# Cheddar tools\n\nUtilities for **aged** cheese.\n\n```python\nimport cheddar\n```\n"


def _confirmation_link(index, address: str) -> str:
    for message in sorted((index.data_dir / "outbox").glob("*.log")):
        text = message.read_text()
        if f"To: {address}" in text:
            links = re.findall(r"https?://\S+/account/confirm-email/\S+/", text)
            if links:
                return links[-1]
    raise AssertionError(f"no confirmation email to {address} in the outbox")


def _sign_up_and_log_in(index, username: str) -> Browser:
    browser = Browser(index.url)
    browser.get("/account/signup/")
    response = browser.submit(
        browser.form(r"/account/signup/"),
        email=f"{username}@example.com",
        username=username,
        password1=PASSWORD,
        password2=PASSWORD,
    )
    assert response.status_code == 200, response.text[:2000]
    browser.get(_confirmation_link(index, f"{username}@example.com"))
    assert browser.submit(browser.form(r"/account/confirm-email/")).status_code == 200
    browser.get("/account/login/")
    response = browser.submit(browser.form(r"/account/login/"), login=username, password=PASSWORD)
    assert response.status_code == 200
    assert "Log out" in response.text
    return browser


def test_a_new_user_signs_up_publishes_shares_yanks_and_deletes(live_index, tmp_path):
    alice = _sign_up_and_log_in(live_index, "alice")
    token = live_index.cli("token", "create", "alice", "--description", "laptop").strip()

    first = build(make_project(tmp_path, "cheddar-tools", "1.0", readme=README), tmp_path / "d1")
    second = build(make_project(tmp_path, "cheddar-tools", "1.1", readme=README), tmp_path / "d2")
    live_index.twine_upload(token, *first)
    live_index.twine_upload(token, *second)

    # The project page shows the README rendered (and escaped where it must be).
    page = alice.get("/project/cheddar-tools/")
    assert page.status_code == 200
    assert "<strong>aged</strong>" in page.text
    assert "pip install cheddar-tools" in page.text

    # Search finds it.
    results = alice.get("/search/?q=cheddar")
    assert "/project/cheddar-tools/" in results.text

    # Alice invites Bob as a Maintainer; Bob accepts.
    bob = _sign_up_and_log_in(live_index, "bob")
    alice.get("/manage/project/cheddar-tools/collaboration/")
    invite = alice.form(r"collaboration", containing="Invite")
    response = alice.submit(invite, username="bob", role_name="Maintainer")
    assert response.status_code == 200
    bob.get("/manage/projects/")
    accept = bob.form(r"/manage/invitations/\d+/accept/")
    assert bob.submit(accept).status_code == 200
    bob.get("/manage/project/cheddar-tools/collaboration/")
    assert "bob" in bob.html
    assert "Maintainer" in bob.html

    # Alice yanks 1.0 with a reason; installers see it at once.
    alice.get("/manage/project/cheddar-tools/releases/")
    yank = alice.form(r"yank", containing="1.0")
    assert alice.submit(yank, reason="broken build").status_code == 200
    simple = alice.session.get(
        f"{live_index.simple_url}cheddar-tools/",
        headers={"Accept": "application/vnd.pypi.simple.v1+json"},
        timeout=30,
    ).json()
    yanked = {f["filename"]: f["yanked"] for f in simple["files"]}
    assert yanked["cheddar_tools-1.0.tar.gz"] == "broken build"
    assert yanked["cheddar_tools-1.1.tar.gz"] is False

    # Alice deletes the 1.1 wheel; its filename can never be uploaded again.
    wheel = second[1]
    alice.get("/manage/project/cheddar-tools/release/1.1/")
    delete = alice.form(containing=wheel.name)
    assert alice.submit(delete, confirm_filename=wheel.name).status_code == 200
    simple = alice.session.get(f"{live_index.simple_url}cheddar-tools/", timeout=30).text
    assert wheel.name not in simple
    again = live_index.twine_upload(token, wheel, check=False)
    assert again.returncode != 0
    assert "previously used" in again.stdout + again.stderr

    # And the project's history shows what happened, and through which credential.
    history = alice.get("/manage/project/cheddar-tools/history/").text
    for expected in ("laptop", "broken build", wheel.name):
        assert expected in history
