"""A real browser for end-to-end tests: Debian's headless Chromium driven by Playwright, with
Chromium's virtual WebAuthn authenticator standing in for a security key or a phone.

Playwright only drives the browser; it never downloads one. The browser is the system's
(``CHEESESHOP_TEST_CHROMIUM``, default /usr/bin/chromium), started with a fresh profile that
Playwright makes for each launch.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import BrowserContext, CDPSession, Page, sync_playwright

CHROMIUM = Path(os.environ.get("CHEESESHOP_TEST_CHROMIUM", "/usr/bin/chromium"))
TIMEOUT_MS = 30_000

# The machine has no network: without these the browser keeps trying to reach Google's
# services (updates, sync, field trials) and fills its log with refused connections.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# A platform authenticator that can keep passkeys (resident credentials), checks its user
# (PIN/biometrics, always "yes") and answers without anyone touching it.
PASSKEY_AUTHENTICATOR = {
    "protocol": "ctap2",
    "transport": "internal",
    "hasResidentKey": True,
    "hasUserVerification": True,
    "isUserVerified": True,
    "automaticPresenceSimulation": True,
}


@dataclass
class VirtualAuthenticator:
    """An authenticator attached to one page through the DevTools protocol."""

    cdp: CDPSession
    authenticator_id: str

    def credentials(self) -> list[dict]:
        """The credentials the authenticator holds (rpId, userHandle, isResidentCredential…)."""
        answer = self.cdp.send(
            "WebAuthn.getCredentials", {"authenticatorId": self.authenticator_id}
        )
        return answer["credentials"]


def chromium_available() -> bool:
    return CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)


@contextmanager
def chromium_context() -> Iterator[BrowserContext]:
    """A fresh headless browser and context; everything times out after ``TIMEOUT_MS``."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            context = browser.new_context(locale="en-US")
            context.set_default_timeout(TIMEOUT_MS)
            context.set_default_navigation_timeout(TIMEOUT_MS)
            yield context
        finally:
            browser.close()


def add_virtual_authenticator(context: BrowserContext, page: Page) -> VirtualAuthenticator:
    """Give ``page`` a passkey-capable authenticator, as if a phone or laptop were at hand."""
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    answer = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": PASSKEY_AUTHENTICATOR})
    return VirtualAuthenticator(cdp=cdp, authenticator_id=answer["authenticatorId"])
