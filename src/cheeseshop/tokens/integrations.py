"""``POST /_/secrets/disclose-token``: GitHub secret scanning reports our tokens found in public.

GitHub's partner protocol: the body is a JSON list of ``{"token", "type", "url", "source"}``,
signed with ECDSA-SHA256 (base64 DER in ``Github-Public-Key-Signature``) by the key named in
``Github-Public-Key-Identifier``. The operator configures the public keys: the setting
``CHEESESHOP_SECRET_SCANNING_KEYS`` names a JSON file in GitHub's format
(``{"public_keys": [{"key_identifier", "key", "is_current"}]}``); nothing is fetched.

Every genuine token of ours in a report is revoked at once, whatever its state, its owner is
emailed and ``account:api_token:removed_leak`` recorded; other strings are ignored. Answers: 404
without the origin's headers (or with no keys configured), 400 for a bad signature or payload,
204 once handled.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import smtplib
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import send_mail
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from cheeseshop.accounts.languages import in_language_of
from cheeseshop.audit.services import Credential
from cheeseshop.errors import Invalid
from cheeseshop.inputs import UnsafeCharacter, check_json
from cheeseshop.site import absolute_url
from cheeseshop.tokens.models import APIToken
from cheeseshop.tokens.services import TokenError, identify_token, revoke_token

logger = logging.getLogger(__name__)

KEY_ID_HEADER = "Github-Public-Key-Identifier"
SIGNATURE_HEADER = "Github-Public-Key-Signature"
ORIGIN = "github"
MAX_BODY_SIZE = 1024 * 1024
# Where a user manages their tokens (the address issue 4 gives the tokens page).
TOKENS_PAGE = "/manage/account/tokens/"


class DisclosureRejected(Invalid):
    """A report that cannot be accepted; ``message`` says why."""


@dataclass(frozen=True)
class Disclosure:
    """One string a scanner found, and where."""

    token: str
    url: str
    source: str


# -- the operator's public keys


def load_public_keys(path: str | Path) -> dict[str, ec.EllipticCurvePublicKey]:
    """The EC public keys of a keys file in GitHub's format, by identifier.

    Raises ImproperlyConfigured naming what is wrong with the file.
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ImproperlyConfigured(f"cannot read secret scanning keys from {path}: {exc}") from exc
    entries = data.get("public_keys") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise ImproperlyConfigured(f"{path} has no 'public_keys' list")
    keys = {}
    for entry in entries:
        if not isinstance(entry, dict) or not all(
            isinstance(entry.get(field), str) for field in ("key_identifier", "key")
        ):
            raise ImproperlyConfigured(f"{path}: each public key needs key_identifier and key")
        try:
            key = load_pem_public_key(entry["key"].encode())
        except (ValueError, UnsupportedAlgorithm) as exc:
            raise ImproperlyConfigured(
                f"{path}: key {entry['key_identifier']!r} is not a PEM public key"
            ) from exc
        if not isinstance(key, ec.EllipticCurvePublicKey):
            raise ImproperlyConfigured(
                f"{path}: key {entry['key_identifier']!r} is not an elliptic-curve key"
            )
        keys[entry["key_identifier"]] = key
    return keys


def verify_signature(
    body: bytes, key_id: str, signature: str, keys: dict[str, ec.EllipticCurvePublicKey]
) -> None:
    """Prove ``body`` signed by the key ``key_id``. Raises DisclosureRejected."""
    key = keys.get(key_id)
    if key is None:
        raise DisclosureRejected(
            _("The public key '%(key_id)s' is not one this index trusts.") % {"key_id": key_id}
        )
    try:
        der = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError):
        raise DisclosureRejected(_("The signature is not valid base64.")) from None
    try:
        key.verify(der, body, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError):
        raise DisclosureRejected(_("The signature does not match the body.")) from None


# -- the report


def _text(item: dict, field: str) -> str:
    value = item.get(field, "")
    return value if isinstance(value, str) else ""


def parse_disclosures(body: bytes) -> list[Disclosure]:
    """The reported strings, in order. Raises DisclosureRejected for a malformed report."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise DisclosureRejected(_("The report is not valid JSON.")) from None
    if not isinstance(data, list):
        raise DisclosureRejected(_("The report must be a JSON list."))
    try:
        check_json(data, where=_("The report"))
    except UnsafeCharacter as refusal:
        raise DisclosureRejected(refusal.message) from None
    disclosures = []
    for item in data:
        if not isinstance(item, dict) or not isinstance(item.get("token"), str):
            raise DisclosureRejected(
                _("Each item of the report must be an object with a 'token' string.")
            )
        disclosures.append(
            Disclosure(token=item["token"], url=_text(item, "url"), source=_text(item, "source"))
        )
    return disclosures


def _email_owner(token: APIToken, disclosure: Disclosure, request: HttpRequest) -> None:
    user = token.user
    if not user.email:
        return
    context = {
        "user": user,
        "token": token,
        "url": disclosure.url,
        "source": disclosure.source,
        "site_name": settings.SITE_NAME,
        "tokens_url": absolute_url(TOKENS_PAGE),
    }
    # In the owner's language: the scanning service that reported it says nothing of theirs.
    with in_language_of(user):
        subject = render_to_string("tokens/email/token_leaked_subject.txt", context)
        body = render_to_string("tokens/email/token_leaked_body.txt", context)
    try:
        send_mail(" ".join(subject.split()), body, None, [user.email])
    except (smtplib.SMTPException, OSError):
        # The token is revoked already; a mail failure must not hide that from the scanner.
        logger.exception("could not email %s about leaked token %s", user.username, token.id)


def handle_disclosure(disclosure: Disclosure, request: HttpRequest) -> bool:
    """Revoke the reported token if it is one of ours, and tell its owner; True if revoked."""
    try:
        token = identify_token(disclosure.token)
    except TokenError:
        return False  # not a token of ours (or not a token at all): nothing to do
    credential = Credential("secret-scanning", {"origin": ORIGIN, "url": disclosure.url})
    if not revoke_token(token, actor=None, credential=credential, request=request, leaked=True):
        return False  # revoked before: the owner was told then, or revoked it themselves
    logger.warning("revoked token %s of %s: found at %s", token.id, token.user, disclosure.url)
    _email_owner(token, disclosure, request)
    return True


# -- the view


def _read_body(request: HttpRequest) -> bytes:
    body = request.read(MAX_BODY_SIZE + 1)
    if len(body) > MAX_BODY_SIZE:
        raise DisclosureRejected(
            _("The report is too large: at most %(size)d bytes.") % {"size": MAX_BODY_SIZE}
        )
    return body


@csrf_exempt  # the body's signature authenticates the request, not a session
def disclose_token(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        response = JsonResponse({"error": _("Use POST to report leaked tokens.")}, status=405)
        response["Allow"] = "POST"
        return response
    keys_path = settings.CHEESESHOP_SECRET_SCANNING_KEYS
    key_id = request.headers.get(KEY_ID_HEADER)
    if not keys_path or not key_id:
        return JsonResponse({"error": _("No secret scanning origin is configured.")}, status=404)
    try:
        keys = load_public_keys(keys_path)
    except ImproperlyConfigured:
        logger.exception("secret scanning report refused: the public keys file is unusable")
        return JsonResponse(
            {"error": _("The index cannot check reports at the moment; try again later.")},
            status=503,
        )
    try:
        body = _read_body(request)
        verify_signature(body, key_id, request.headers.get(SIGNATURE_HEADER, ""), keys)
        disclosures = parse_disclosures(body)
    except DisclosureRejected as exc:
        return JsonResponse({"error": exc.message}, status=400)
    for disclosure in disclosures:
        handle_disclosure(disclosure, request)
    return HttpResponse(status=204)
