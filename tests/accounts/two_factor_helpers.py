"""Shared by the two-factor tests: a settable TOTP clock, pyotp as the authenticator app, and a
software WebAuthn authenticator built from the `fido2` package's data classes."""

import html
import json
import os
import re
from dataclasses import dataclass, field

import pyotp
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from django.test import Client
from fido2.cose import ES256
from fido2.utils import sha256, websafe_decode, websafe_encode
from fido2.webauthn import (
    Aaguid,
    AttestationObject,
    AttestedCredentialData,
    AuthenticatorData,
    CollectedClientData,
)

from tests.accounts.conftest import STRONG_PASSWORD

# What settings.py sets for allauth's two-factor app (the suite must not depend on the lead
# having added them yet; once there, this changes nothing).
MFA_SETTINGS = {
    "MFA_ADAPTER": "cheeseshop.accounts.mfa_adapter.MFAAdapter",
    "MFA_FORMS": {
        "authenticate": "cheeseshop.accounts.mfa_forms.AuthenticateForm",
        "reauthenticate": "cheeseshop.accounts.mfa_forms.ReauthenticateForm",
        "authenticate_webauthn": "cheeseshop.accounts.mfa_forms.AuthenticateWebAuthnForm",
        "reauthenticate_webauthn": "cheeseshop.accounts.mfa_forms.ReauthenticateWebAuthnForm",
        "activate_totp": "cheeseshop.accounts.mfa_forms.ActivateTOTPForm",
    },
    "MFA_RECOVERY_CODES_SHOW_ONCE": True,
}


@pytest.fixture(autouse=True)
def cheeseshop_mfa_settings(settings, monkeypatch, django_capture_on_commit_callbacks):
    """cheeseshop's two-factor settings, and commits as a served request sees them.

    The test's transaction never commits, so what allauth does "after the commit" (announcing
    a new method, whose receivers record and mail it) runs at the end of each test-client
    request instead, as it would at the end of the request's own transaction.
    """
    for name, value in MFA_SETTINGS.items():
        setattr(settings, name, value)
    original_request = Client.request

    def request_then_commit(self, **request):
        with django_capture_on_commit_callbacks(execute=True):
            return original_request(self, **request)

    monkeypatch.setattr(Client, "request", request_then_commit)


STEP = 30
# A fixed moment at the start of a time step, so "the next step" is exactly STEP seconds on.
T0 = 1_750_000_020.0


class Clock:
    """The time cheeseshop's TOTP checks see (cheeseshop.accounts.totp.now)."""

    def __init__(self, start: float = T0):
        self.time = start

    def __call__(self) -> float:
        return self.time

    def next_step(self) -> None:
        self.time += STEP


def secret_on_page(content: str) -> str:
    match = re.search(r'id="authenticator_secret"[^>]*value="([A-Z2-7=]+)"', content)
    if match is None:
        match = re.search(r'value="([A-Z2-7=]+)"[^>]*id="authenticator_secret"', content)
    assert match, "no TOTP secret on the activation page"
    return match.group(1)


def confirm_identity(client, password: str = STRONG_PASSWORD) -> None:
    """allauth's "confirm it's you" with the password, which adding and removing methods need."""
    response = client.post("/account/reauthenticate/", {"password": password})
    assert response.status_code == 302, response.status_code


def enrol_totp(client, clock: Clock) -> pyotp.TOTP:
    """Activate an authenticator app through the web pages; returns the app (pyotp)."""
    confirm_identity(client)
    page = client.get("/account/2fa/totp/activate/")
    assert page.status_code == 200, page.status_code
    app = pyotp.TOTP(secret_on_page(page.content.decode()))
    response = client.post("/account/2fa/totp/activate/", {"code": app.at(clock.time)})
    assert response.status_code == 302, "activation refused"
    clock.next_step()  # the activation code is used up
    return app


def log_in_with_password(client, login: str = "alice", password: str = STRONG_PASSWORD):
    return client.post("/account/login/", {"login": login, "password": password})


def recovery_codes_on_page(content: str) -> list[str]:
    match = re.search(r'<textarea id="recovery_codes"[^>]*>(.*?)</textarea>', content, re.S)
    assert match, "no recovery codes on the page"
    return html.unescape(match.group(1)).split()


# --- a software WebAuthn authenticator ---------------------------------------------------------


@dataclass
class SoftKey:
    """An authenticator that lives in memory: an ES256 key pair per credential, no attestation.

    ``create`` and ``get`` answer the options allauth's pages hand to the browser's
    ``navigator.credentials``, in the JSON the page's script posts back (webauthn-json).
    """

    origin: str = "https://testserver"  # rp id "testserver": verified as in production
    user_verified: bool = True
    credentials: dict = field(default_factory=dict)  # credential id -> (private key, rp id, user)
    counter: int = 0

    def create(self, options: dict, *, resident: bool = True) -> dict:
        public_key = options["publicKey"]
        rp_id = public_key["rp"]["id"]
        private_key = ec.generate_private_key(ec.SECP256R1())
        credential_id = os.urandom(32)
        self.credentials[credential_id] = (private_key, rp_id, public_key["user"]["id"])
        flags = AuthenticatorData.FLAG.UP | AuthenticatorData.FLAG.AT
        if self.user_verified:
            flags |= AuthenticatorData.FLAG.UV
        self.counter += 1
        auth_data = AuthenticatorData.create(
            sha256(rp_id.encode()),
            flags,
            self.counter,
            AttestedCredentialData.create(
                Aaguid.NONE, credential_id, ES256.from_cryptography_key(private_key.public_key())
            ),
        )
        client_data = CollectedClientData.create(
            type="webauthn.create",
            challenge=websafe_decode(public_key["challenge"]),
            origin=self.origin,
        )
        attestation = AttestationObject.create("none", auth_data, {})
        return {
            "type": "public-key",
            "id": websafe_encode(credential_id),
            "rawId": websafe_encode(credential_id),
            "response": {
                "clientDataJSON": websafe_encode(bytes(client_data)),
                "attestationObject": websafe_encode(bytes(attestation)),
                "transports": ["internal"],
            },
            "clientExtensionResults": {"credProps": {"rk": resident}},
            "authenticatorAttachment": "platform",
        }

    def get(self, options: dict) -> dict:
        public_key = options["publicKey"]
        allowed = [websafe_decode(c["id"]) for c in public_key.get("allowCredentials") or []]
        candidates = [cid for cid in self.credentials if not allowed or cid in allowed]
        assert candidates, "this authenticator holds no credential the server asks for"
        credential_id = candidates[0]
        private_key, rp_id, user_handle = self.credentials[credential_id]
        flags = AuthenticatorData.FLAG.UP
        if self.user_verified:
            flags |= AuthenticatorData.FLAG.UV
        self.counter += 1
        auth_data = AuthenticatorData.create(sha256(rp_id.encode()), flags, self.counter)
        client_data = CollectedClientData.create(
            type="webauthn.get",
            challenge=websafe_decode(public_key["challenge"]),
            origin=self.origin,
        )
        signature = private_key.sign(
            bytes(auth_data) + client_data.hash, ec.ECDSA(hashes.SHA256())
        )
        return {
            "type": "public-key",
            "id": websafe_encode(credential_id),
            "rawId": websafe_encode(credential_id),
            "response": {
                "clientDataJSON": websafe_encode(bytes(client_data)),
                "authenticatorData": websafe_encode(bytes(auth_data)),
                "signature": websafe_encode(signature),
                "userHandle": user_handle,
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }


def js_data(content: str) -> dict:
    """The options a page hands its script (the json_script block with id js_data)."""
    match = re.search(
        r'<script id="js_data" type="application/json">(.*?)</script>', content, re.S
    )
    assert match, "no js_data block on the page"
    return json.loads(match.group(1))
