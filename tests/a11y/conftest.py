"""The site and the browser the accessibility test uses: a real ``cheeseshop serve`` seeded
through its own shell, once per test process (each pytest-xdist worker has its own), and
Debian's Chromium with one logged-in browser state per role, once per test module."""

import json
import os
import time
from pathlib import Path

import pyotp
import pytest

from tests.a11y.pages import NEWCOMER, OWNER, STAFF
from tests.a11y.seed import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
AXE = Path(__file__).with_name("vendor") / "axe.min.js"
USERS = {
    OWNER: ("olivia", "owner_secret"),
    NEWCOMER: ("nadia", None),
    STAFF: ("root", "staff_secret"),
}


def _shell(index, code: str) -> dict:
    output = index.cli("manage", "shell", "--verbosity", "0", "-c", code)
    return json.loads(output.strip().splitlines()[-1])


@pytest.fixture(scope="session")
def a11y_site(tmp_path_factory):
    """(the site's address, the seeded facts). The site is browsed at localhost, a secure
    context for the WebAuthn pages' scripts."""
    from tests.e2e.conftest import running_index

    # The server's shell imports the seeding code from this tree.
    pythonpath = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    data_dir = tmp_path_factory.mktemp("a11y") / "data"
    with running_index(data_dir, {"PYTHONPATH": pythonpath}) as index:
        facts = _shell(index, "from tests.a11y.seed import main; main()")
        index.cli("token", "create", "olivia", "--description", "laptop")
        yield index.url.replace("127.0.0.1", "localhost"), facts, index


# The browser lives as long as the module that uses it: Playwright's sync API runs an event
# loop of its own while it is open, and another test in the same process (the WebAuthn test)
# could not start its own browser beside it.
@pytest.fixture(scope="module")
def a11y_browser():
    from playwright.sync_api import sync_playwright

    from tests.e2e.chromium import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


def log_in(browser, site: str, username: str, secret: str | None) -> dict:
    """A browser state logged in through the real login form (and the TOTP step)."""
    context = browser.new_context(locale="en-US")
    try:
        page = context.new_page()
        page.goto(f"{site}/account/login/")
        form = page.locator("form[action$='/account/login/']")
        form.locator("input[name=login]").fill(username)
        form.locator("input[name=password]").fill(PASSWORD)
        form.locator("input[name=password]").press("Enter")
        page.wait_for_url(lambda url: "/account/login/" not in url)
        if secret is not None:
            assert "/2fa/authenticate/" in page.url, page.url
            # Not a code about to expire: it could be a step old when the server checks it.
            if time.time() % 30 > 27:
                time.sleep(4)
            page.locator("input[name=code]").fill(pyotp.TOTP(secret).now())
            page.locator("input[name=code]").press("Enter")
            page.wait_for_url(lambda url: "/2fa/authenticate/" not in url)
        assert page.locator("form[action$='/account/logout/']").count() == 1, page.url
        # The two-factor pages ask to confirm it's you first; confirmed now, the session has
        # its ACCOUNT_REAUTHENTICATION_TIMEOUT (30 minutes) for the whole test.
        page.goto(f"{site}/account/reauthenticate/")
        page.locator("main input[name=password]").fill(PASSWORD)
        page.locator("main input[name=password]").press("Enter")
        page.wait_for_url(lambda url: "/reauthenticate/" not in url)
        return context.storage_state()
    finally:
        context.close()


@pytest.fixture(scope="module")
def a11y_states(a11y_browser, a11y_site) -> dict:
    """Per logged-in role, its browser state (cookies): each logs in once per process."""
    site, facts, index = a11y_site
    states = {
        role: log_in(a11y_browser, site, username, secret and facts[secret])
        for role, (username, secret) in USERS.items()
    }
    # Rows the logins and the site's tasks made; the admin pages open one of each model.
    facts.update(
        _shell(index, "from tests.a11y.seed import main_admin_objects; main_admin_objects()")
    )
    return states
