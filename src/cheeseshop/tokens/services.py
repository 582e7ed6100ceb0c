"""The API token service: issuing tokens, reading them from requests, and checking them.

A token is ``CHEESESHOP_TOKEN_PREFIX`` + a serialized macaroon (pymacaroons, V2 format, as PyPI).
The macaroon's identifier is the ``APIToken`` id; its root key is the row's random ``key``; its
first-party caveats are those in ``caveats.py``. Holders may add caveats (attenuate) offline.

Checking is in two steps, because the project is known only once the upload form is read:
``authenticate_token`` proves the token genuine and usable, and ``check_upload_permission``
evaluates every caveat against the project. Both must pass before a token may upload.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from pymacaroons import MACAROON_V2, Macaroon, Verifier

from cheeseshop.accounts.models import User
from cheeseshop.audit.services import Credential
from cheeseshop.packaging.models import Project
from cheeseshop.tokens.caveats import (
    Caveat,
    Failure,
    MalformedCaveatError,
    RequestUser,
    VerificationContext,
    deserialize_caveat,
    parse_caveat,
    serialize_caveat,
)
from cheeseshop.tokens.models import APIToken

TOKEN_USERNAME = "__token__"  # noqa: S105 -- the fixed username, not a secret


class TokenError(Exception):
    """A token (or the header carrying it) that cannot be used; ``message`` says why."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _invalid(reason: str) -> TokenError:
    return TokenError(_("Invalid API Token: %(reason)s") % {"reason": reason})


@dataclass(frozen=True)
class AuthenticatedToken:
    """A genuine, usable token: its row, its user, its macaroon (with the server caveats
    re-applied) and every caveat it carries, read."""

    token: APIToken
    user: User
    macaroon: Macaroon
    caveats: tuple[Caveat, ...]


# -- issuing


def _mint_macaroon(token: APIToken, caveats: Iterable[Caveat]) -> Macaroon:
    macaroon = Macaroon(
        location=settings.CHEESESHOP_TOKEN_LOCATION,
        identifier=str(token.id),
        key=bytes(token.key),
        version=MACAROON_V2,
    )
    for caveat in caveats:
        macaroon.add_first_party_caveat(serialize_caveat(caveat))
    return macaroon


def create_token(
    user: User, *, description: str, caveats: Iterable[Caveat] = ()
) -> tuple[APIToken, str]:
    """Issue a token for ``user``; returns the row and the raw token (shown to the user once).

    The server caveats are ``RequestUser(user)`` plus ``caveats``; they are stored on the row and
    re-applied at every verification. Raises django's ValidationError on a bad description.
    """
    server_caveats = [RequestUser(user_id=str(user.pk)), *caveats]
    token = APIToken(
        user=user,
        description=description,
        caveats=[caveat.to_json() for caveat in server_caveats],
    )
    token.full_clean()
    token.save()
    macaroon = _mint_macaroon(token, server_caveats)
    return token, settings.CHEESESHOP_TOKEN_PREFIX + macaroon.serialize()


def revoke_token(token: APIToken) -> None:
    """Revoke a token for good. The row stays, so that what it did can still be traced."""
    now = timezone.now()
    if APIToken.objects.filter(pk=token.pk, revoked__isnull=True).update(revoked=now):
        token.revoked = now


# -- reading the Authorization header


def _token_from_basic(credentials: str) -> str:
    try:
        decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
    except (binascii.Error, ValueError) as exc:
        raise TokenError(
            _("Invalid Authorization header: the Basic credentials are not valid base64 text.")
        ) from exc
    username, separator, password = decoded.partition(":")
    if not separator:
        raise TokenError(
            _("Invalid Authorization header: the Basic credentials have no ':' separator.")
        )
    if username != TOKEN_USERNAME:
        raise TokenError(
            _(
                "Username/Password authentication is no longer supported. "
                "Migrate to API Tokens instead."
            )
        )
    return password.strip()


def token_from_authorization(header_value: str | None) -> str | None:
    """The raw token in an ``Authorization`` header value, or None when there is no header.

    Accepts ``Basic base64(__token__:<token>)``, ``Bearer <token>`` and ``token <token>``.
    Raises TokenError for any other content.
    """
    if header_value is None or not header_value.strip():
        return None
    scheme, *rest = header_value.strip().split(None, 1)
    credentials = rest[0].strip() if rest else ""
    scheme = scheme.lower()
    if scheme == "basic":
        raw = _token_from_basic(credentials)
    elif scheme in {"bearer", "token"}:
        raw = credentials
    else:
        raise TokenError(
            _(
                "Invalid Authorization header: unsupported scheme '%(scheme)s'; "
                "use Basic (username __token__), Bearer or token."
            )
            % {"scheme": scheme}
        )
    if not raw:
        raise _invalid(_("no token was given"))
    return raw


# -- authenticating


def _decode_macaroon(raw: str) -> Macaroon:
    prefix = settings.CHEESESHOP_TOKEN_PREFIX
    raw = raw.strip()
    if not raw.startswith(prefix):
        raise _invalid(_("the token does not start with '%(prefix)s'") % {"prefix": prefix})
    try:
        return Macaroon.deserialize(raw[len(prefix) :])
    # pymacaroons raises many exception types on bad input (ecordell/pymacaroons#50).
    except Exception as exc:
        raise _invalid(_("the token could not be decoded")) from exc


def _unknown_token() -> TokenError:
    return _invalid(_("the token is unknown to this index (never issued here, or deleted)"))


def _find_token(macaroon: Macaroon) -> APIToken:
    try:
        identifier = macaroon.identifier_bytes.decode("utf-8")
        token_id = uuid.UUID(identifier)
    except (UnicodeDecodeError, ValueError) as exc:
        raise _unknown_token() from exc
    # Only the canonical form we issued; uuid.UUID also reads braces, urn: and no hyphens.
    if str(token_id) != identifier:
        raise _unknown_token()
    token = APIToken.objects.select_related("user").filter(pk=token_id).first()
    if token is None:
        raise _unknown_token()
    return token


def _caveat_texts(macaroon: Macaroon) -> list[str]:
    texts = []
    for caveat in macaroon.caveats:
        if caveat.third_party():
            raise _invalid(_("third-party caveats are not supported"))
        try:
            texts.append(caveat.caveat_id_bytes.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise _invalid(_("malformed caveat: caveat is not UTF-8 text")) from exc
    return texts


def _verify_signature(macaroon: Macaroon, key: bytes) -> None:
    # Only the HMAC chain is checked here: every caveat is read below and evaluated by
    # check_upload_permission, where the project is known.
    verifier = Verifier()
    verifier.satisfy_general(lambda _predicate: True)
    try:
        verifier.verify(macaroon, key)
    # MacaroonInvalidSignatureException, or others on malformed fields (ecordell/pymacaroons#50).
    except Exception as exc:
        raise _invalid(_("the token's signature is not valid (the token was altered)")) from exc


def _read_caveats(texts: list[str], user_id: int) -> tuple[Caveat, ...]:
    caveats = []
    for text in texts:
        try:
            caveats.append(deserialize_caveat(text, legacy_user_id=user_id))
        except MalformedCaveatError as exc:
            raise _invalid(_("malformed caveat: %(reason)s") % {"reason": exc.message}) from exc
    return tuple(caveats)


def _server_caveat_texts(token: APIToken) -> list[str]:
    texts = []
    for value in token.caveats:
        try:
            texts.append(serialize_caveat(parse_caveat(value, legacy_user_id=token.user_id)))
        except MalformedCaveatError as exc:
            raise _invalid(
                _("malformed server caveat: %(reason)s") % {"reason": exc.message}
            ) from exc
    return texts


def _check_usable(token: APIToken) -> None:
    if token.revoked is not None:
        raise _invalid(_("the token has been revoked"))
    if not token.user.is_active:
        raise _invalid(_("the token's user account is deactivated"))
    if token.user.is_frozen:
        raise _invalid(_("the token's user account is frozen"))


def authenticate_token(raw: str) -> AuthenticatedToken:
    """Prove ``raw`` a genuine, usable token and read its caveats. Raises TokenError.

    Checks prefix, encoding, that the row exists, the signature (after appending the row's
    server caveats, so caveats added on the server bind tokens already issued), that every
    caveat is understood, and that the token is not revoked nor its user deactivated or frozen.
    The caveats themselves are evaluated by ``check_upload_permission``.
    """
    macaroon = _decode_macaroon(raw)
    token = _find_token(macaroon)
    _caveat_texts(macaroon)  # refuse what the signature check cannot handle, before it
    for text in _server_caveat_texts(token):
        macaroon.add_first_party_caveat(text)
    _verify_signature(macaroon, bytes(token.key))
    # Signature first: the account state below is told only to holders of a genuine token.
    caveats = _read_caveats(_caveat_texts(macaroon), token.user_id)
    _check_usable(token)
    return AuthenticatedToken(token=token, user=token.user, macaroon=macaroon, caveats=caveats)


def check_upload_permission(
    auth: AuthenticatedToken, project: Project | None, *, now: datetime | None = None
) -> None:
    """Evaluate every caveat of the token for an upload to ``project`` (None: a new project).

    Raises TokenError naming each failed caveat. Roles are not checked here.
    """
    context = VerificationContext(user=auth.user, project=project, now=now or timezone.now())
    reasons: list[str] = []
    for caveat in auth.caveats:
        result = caveat.verify(context)
        if isinstance(result, Failure) and result.reason not in reasons:
            reasons.append(result.reason)
    if reasons:
        raise _invalid("; ".join(reasons))


# -- after use


def record_token_use(token: APIToken) -> None:
    """Set ``last_used`` with one UPDATE. Where the database can, a row another transaction
    holds is skipped rather than waited for: concurrent uploads with one token do not queue."""
    locked_or_free = (
        APIToken.objects.filter(pk=token.pk).order_by().select_for_update(skip_locked=True)
    )
    with transaction.atomic():
        APIToken.objects.filter(pk__in=locked_or_free.values("pk")).update(
            last_used=timezone.now()
        )


def token_credential(token: APIToken) -> Credential:
    """How an action done with ``token`` is recorded in the audit log."""
    return Credential("token", {"token_id": str(token.id), "description": token.description})


__all__ = [
    "AuthenticatedToken",
    "TokenError",
    "authenticate_token",
    "check_upload_permission",
    "create_token",
    "record_token_use",
    "revoke_token",
    "token_credential",
    "token_from_authorization",
]
