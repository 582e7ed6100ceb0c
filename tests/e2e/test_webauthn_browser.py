"""A real browser doing real WebAuthn against a real `cheeseshop serve`: headless Chromium with
its virtual authenticator registers a passkey on the two-factor pages, then signs in with it and
no password.

The site is browsed at http://localhost:<port>/ — a secure context for Chromium, and the host
that becomes the WebAuthn relying party id — so the server checks the origin as it would in
production; nothing is relaxed for the test.
"""

import json
import re

import pytest

from tests.e2e.chromium import (
    CHROMIUM,
    add_virtual_authenticator,
    chromium_available,
    chromium_context,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not chromium_available(),
        reason=f"no Chromium at {CHROMIUM} (Debian: apt-get install chromium)",
    ),
]

PASSWORD = "a-long-and-unusual-passphrase-42"
KEY_NAME = "laptop passkey"

_LOGIN_FORM = "form[action$='/account/login/']"
_LOGOUT_FORM = "form[action$='/account/logout/']"

_SERVER_STATE = """
import json
from allauth.mfa.models import Authenticator
from cheeseshop.audit.models import Event
keys = Authenticator.objects.filter(user__username="alice", type=Authenticator.Type.WEBAUTHN)
events = Event.objects.filter(user__username="alice").order_by("id")
print(json.dumps({
    "keys": [{"name": k.wrap().name, "passwordless": k.wrap().is_passwordless} for k in keys],
    "events": [{"tag": e.tag, "credential": e.credential} for e in events],
}))
"""


def _server_state(index) -> dict:
    output = index.cli("manage", "shell", "--verbosity", "0", "-c", _SERVER_STATE)
    return json.loads(output.strip().splitlines()[-1])


def _logins(state: dict) -> list[dict]:
    return [event for event in state["events"] if event["tag"] == "account:login:success"]


def _collect_script_errors(page) -> list[str]:
    """Uncaught exceptions and console errors (a script the CSP refused, a failed WebAuthn
    ceremony), but not a missing resource such as /favicon.ico."""
    errors: list[str] = []

    def on_console(message) -> None:
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            errors.append(f"{page.url}: {message.text}")

    page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))
    page.on("console", on_console)
    return errors


def _leave(page, path: str) -> None:
    """Wait until the browser has navigated away from ``path`` (a form was submitted)."""
    page.wait_for_url(lambda url: path not in url)
    page.wait_for_load_state("load")


def _open_confirming_identity(page, url: str) -> None:
    """Open a page that allauth guards with "confirm it's you", typing the password if asked."""
    page.goto(url)
    if "/reauthenticate/" in page.url:
        page.locator("input[name=password]").fill(PASSWORD)
        page.locator("input[name=password]").press("Enter")
        page.wait_for_url(url)


def test_a_passkey_registered_in_a_real_browser_signs_in_without_a_password(live_index, tmp_path):
    live_index.cli(
        "user", "create", "alice", "--email", "alice@example.com", "--password-stdin",
        input=f"{PASSWORD}\n",
    )  # fmt: skip
    site = live_index.url.replace("127.0.0.1", "localhost")

    with chromium_context() as context:
        page = context.new_page()
        script_errors = _collect_script_errors(page)
        authenticator = add_virtual_authenticator(context, page)

        # Log in with the password, as before two-factor.
        page.goto(f"{site}/account/login/")
        page.locator(f"{_LOGIN_FORM} input[name=login]").fill("alice")
        page.locator(f"{_LOGIN_FORM} input[name=password]").fill(PASSWORD)
        page.locator(f"{_LOGIN_FORM} input[name=password]").press("Enter")
        _leave(page, "/account/login/")
        assert page.locator(_LOGOUT_FORM).count() == 1

        # Add a security key, marked passwordless: a passkey.
        _open_confirming_identity(page, f"{site}/account/2fa/webauthn/add/")
        add_form = page.locator("form[action$='/account/2fa/webauthn/add/']")
        add_form.locator("input[name=name]").fill(KEY_NAME)
        add_form.locator("input[name=passwordless]").check()
        add_form.get_by_role("button").click()
        _leave(page, "/webauthn/add/")

        [credential] = authenticator.credentials()
        assert credential["rpId"] == "localhost"
        assert credential["isResidentCredential"] is True

        # The first key comes with recovery codes, shown once.
        if "/recovery-codes/" in page.url:
            codes = page.locator("main textarea").input_value().split()
            assert len(codes) == 10, codes

        page.goto(f"{site}/account/2fa/webauthn/")
        assert page.get_by_text(KEY_NAME).count() >= 1
        page.goto(f"{site}/account/2fa/")
        page.screenshot(path=str(tmp_path / "two-factor.png"), full_page=True)

        state = _server_state(live_index)
        assert state["keys"] == [{"name": KEY_NAME, "passwordless": True}]
        assert len(_logins(state)) == 1

        # Log out; the passkey alone gets alice back in.
        page.locator(_LOGOUT_FORM).get_by_role("button").click()
        page.wait_for_selector(_LOGOUT_FORM, state="detached")

        page.goto(f"{site}/account/login/")
        page.screenshot(path=str(tmp_path / "login.png"), full_page=True)
        page.get_by_role("button", name=re.compile("passkey", re.IGNORECASE)).click()
        _leave(page, "/account/login/")
        assert page.locator(_LOGOUT_FORM).count() == 1
        page.goto(f"{site}/manage/account/")
        assert "/account/login/" not in page.url
        assert page.get_by_text("alice", exact=False).count() >= 1

        assert [c["signCount"] for c in authenticator.credentials()] == [2]
        assert script_errors == []

    logins = _logins(_server_state(live_index))
    assert [login["credential"]["method"] for login in logins] == ["password", "passkey"], logins
