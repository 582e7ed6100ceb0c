"""The API token service: issuing tokens, reading them from requests, and checking them.

A token is ``CHEESESHOP_TOKEN_PREFIX`` + a serialized macaroon (pymacaroons, V2 format, as PyPI).
The macaroon's identifier is the ``APIToken`` id; its root key is the row's random ``key``; its
first-party caveats are those in ``caveats.py``. Holders may add caveats (attenuate) offline.

Checking is in two steps, because the project is known only once the upload form is read:
``authenticate_token`` proves the token genuine and usable, and ``check_upload_permission``
evaluates every caveat against the project. Both must pass before a token may upload.

``issue_token`` and ``revoke_token`` are how every part of cheeseshop (pages, CLI, JSON API, leak
reports, admin) creates and ends tokens: they check the request and record the audit events.
"""

from __future__ import annotations

import base64
import binascii
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from packaging.utils import canonicalize_name
from pymacaroons import MACAROON_V2, Macaroon, Verifier

from cheeseshop import sealing
from cheeseshop.accounts.models import User
from cheeseshop.accounts.two_factor import manage_requires_two_factor, setup_path
from cheeseshop.audit.models import EventTag
from cheeseshop.audit.services import Credential, record_event
from cheeseshop.errors import Invalid, NotAuthenticated, NotPermitted, Refused
from cheeseshop.inputs import describe_character, unsafe_character
from cheeseshop.packaging.models import Project, Role
from cheeseshop.prepared import (
    PreparedQuery,
    PreparedUpdate,
    instance,
    model_columns,
)
from cheeseshop.tokens.caveats import (
    Caveat,
    Expiration,
    Failure,
    MalformedCaveatError,
    ProjectID,
    ProjectName,
    RequestUser,
    VerificationContext,
    deserialize_caveat,
    parse_caveat,
    serialize_caveat,
)
from cheeseshop.tokens.models import APIToken

logger = logging.getLogger(__name__)

TOKEN_USERNAME = "__token__"  # noqa: S105 -- the fixed username, not a secret


class TokenError(Refused):
    """A token, or a request for one, that is refused; ``message`` says why."""


class InvalidToken(TokenError, NotAuthenticated):
    """A token (or the header carrying it) that cannot be used: malformed, unknown, revoked,
    or not valid for what it is used for."""


class TokenRequestRefused(TokenError, Invalid):
    """A token that cannot be issued as asked (its description, projects or expiry)."""


class SecondFactorRequired(TokenError, NotPermitted):
    """A token asked for by (or for) a user who must first enrol a second factor."""


def _invalid(reason: str) -> InvalidToken:
    return InvalidToken(_("Invalid API Token: %(reason)s") % {"reason": reason})


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
        key=token.root_key,
        version=MACAROON_V2,
    )
    for caveat in caveats:
        macaroon.add_first_party_caveat(serialize_caveat(caveat))
    return macaroon


def create_token(
    user: User,
    *,
    description: str,
    caveats: Iterable[Caveat] = (),
    parent: APIToken | None = None,
) -> tuple[APIToken, str]:
    """Issue a token for ``user``; returns the row and the raw token (shown to the user once).

    The server caveats are ``RequestUser(user)`` plus ``caveats``; they are stored on the row and
    re-applied at every verification. ``parent`` is the token that asked for this one (it is
    revoked with it). Raises django's ValidationError on a bad description.
    """
    server_caveats = [RequestUser(user_id=str(user.pk)), *caveats]
    token = APIToken(
        user=user,
        description=description,
        caveats=[caveat.to_json() for caveat in server_caveats],
        parent=parent,
    )
    token.full_clean()
    token.save()
    macaroon = _mint_macaroon(token, server_caveats)
    return token, settings.CHEESESHOP_TOKEN_PREFIX + macaroon.serialize()


# -- the service contract: issuing with a scope and an expiry, revoking, reading the scope

MAX_DESCRIPTION_LENGTH = APIToken._meta.get_field("description").max_length
ACCOUNT_SCOPE = "account"  # how an account-wide scope is recorded in audit events


@dataclass(frozen=True)
class TokenScope:
    """What a token's server caveats allow.

    ``project_names`` are normalized project names; None means the whole account.
    ``expires_at`` is None for a token that does not expire.
    """

    project_names: tuple[str, ...] | None
    expires_at: datetime | None

    @property
    def is_account_wide(self) -> bool:
        return self.project_names is None

    def as_event_details(self) -> dict:
        return {
            "scope": ACCOUNT_SCOPE if self.project_names is None else list(self.project_names),
            "expires": self.expires_at.isoformat() if self.expires_at else None,
        }


def _check_user_may_hold_tokens(user: User) -> None:
    if not user.is_active:
        raise TokenRequestRefused(
            _("User '%(user)s' is deactivated and cannot be given tokens.")
            % {"user": user.username}
        )
    if user.is_frozen:
        raise TokenRequestRefused(
            _("User '%(user)s' is frozen and cannot be given tokens.") % {"user": user.username}
        )


def check_may_make_credentials(user: User) -> None:
    """The two-factor policy for credentials, the same on every path that makes them (the
    tokens page, ``POST /api/tokens/`` with a session or a token, ``cheeseshop token create``):
    with ``CHEESESHOP_MANAGE_REQUIRES_2FA`` on, a user without a second factor gets no token,
    so neither a session nor a token minted before the policy can make account credentials."""
    if manage_requires_two_factor(user):
        raise SecondFactorRequired(
            _(
                "User '%(user)s' does not have two-factor authentication enabled, which "
                "creating API tokens requires. Enable two-factor authentication at %(url)s "
                "and try again."
            )
            % {"user": user.username, "url": setup_path()}
        )


def _checked_description(user: User, description: str) -> str:
    description = description.strip()
    if not description:
        raise TokenRequestRefused(_("The token needs a description: say what it is for."))
    character = unsafe_character(description)
    if character is not None:
        raise TokenRequestRefused(
            # Translators: %(character)s describes one character, e.g. "a NUL character (U+0000)".
            _("The description contains %(character)s, which this index does not accept.")
            % {"character": describe_character(character)}
        )
    if len(description) > MAX_DESCRIPTION_LENGTH:
        raise TokenRequestRefused(
            _("The description is too long: at most %(max)d characters.")
            % {"max": MAX_DESCRIPTION_LENGTH}
        )
    if APIToken.objects.filter(user=user, description=description, revoked__isnull=True).exists():
        raise TokenRequestRefused(
            _(
                "User '%(user)s' already has a token described '%(description)s'; "
                "choose another description."
            )
            % {"user": user.username, "description": description}
        )
    return description


def _projects_for_scope(user: User, project_names: Iterable[str]) -> list[Project]:
    projects: list[Project] = []
    for name in project_names:
        project = Project.objects.filter(normalized_name=canonicalize_name(name)).first()
        if project is None:
            raise TokenRequestRefused(
                _("There is no project named '%(project)s'.") % {"project": name}
            )
        if not Role.objects.filter(user=user, project=project).exists():
            raise TokenRequestRefused(
                _(
                    "User '%(user)s' is not a collaborator on project '%(project)s': a token "
                    "can only be scoped to the user's own projects."
                )
                % {"user": user.username, "project": project.name}
            )
        if project not in projects:
            projects.append(project)
    return projects


def _expiration(expires_at: datetime, now: datetime) -> Expiration:
    if timezone.is_naive(expires_at):
        raise ValueError("expires_at must be an aware datetime")
    if expires_at <= now:
        raise TokenRequestRefused(_("The expiry date must be in the future."))
    return Expiration(expires_at=int(expires_at.timestamp()), not_before=int(now.timestamp()))


def issue_token(
    user: User,
    *,
    description: str,
    project_names: Iterable[str] = (),
    expires_at: datetime | None = None,
    credential: Credential,
    request: HttpRequest | None = None,
    actor: User | None = None,
    parent: APIToken | None = None,
) -> tuple[APIToken, str]:
    """Issue a token to ``user`` and record it; returns the row and the raw token (shown once).

    Without ``project_names`` the token may upload to any of the user's projects; with them,
    only to those (each must be one of the user's projects). ``expires_at`` (aware) makes it
    usable from now until then. Raises TokenError saying what is refused (SecondFactorRequired
    when the two-factor policy asks ``user`` for a second factor first). ``parent``, the token
    that asks for this one, takes it along when it is revoked.
    """
    now = timezone.now()
    with transaction.atomic():
        # One issuance per user at a time: the description check below then holds.
        user = User.objects.select_for_update().get(pk=user.pk)
        _check_user_may_hold_tokens(user)
        check_may_make_credentials(user)
        description = _checked_description(user, description)
        projects = _projects_for_scope(user, project_names)
        caveats: list[Caveat] = []
        if projects:
            caveats.append(ProjectName(tuple(project.normalized_name for project in projects)))
            caveats.append(ProjectID(tuple(str(project.pk) for project in projects)))
        if expires_at is not None:
            caveats.append(_expiration(expires_at, now))
        token, raw = create_token(user, description=description, caveats=caveats, parent=parent)
        details = {"token_id": str(token.id), "description": token.description}
        if parent is not None:
            details["parent_token_id"] = str(parent.id)
        record_event(
            EventTag.ACCOUNT_API_TOKEN_ADDED,
            request=request,
            actor=actor,
            credential=credential,
            user=user,
            additional={**details, **token_scope(token).as_event_details()},
        )
        for project in projects:
            record_event(
                EventTag.PROJECT_API_TOKEN_ADDED,
                request=request,
                actor=actor,
                credential=credential,
                project=project,
                additional={**details, "user": user.username},
            )
    return token, raw


def _revoke_one(
    token: APIToken,
    now: datetime,
    *,
    actor: User | None,
    credential: Credential,
    request: HttpRequest | None,
    tag: EventTag,
    additional: dict | None = None,
) -> bool:
    """Revoke ``token`` (unless it already is) and record ``tag``; True if this revoked it."""
    if not APIToken.objects.filter(pk=token.pk, revoked__isnull=True).update(revoked=now):
        return False
    token.revoked = now
    details = {"token_id": str(token.id), "description": token.description, **(additional or {})}
    record_event(
        tag,
        request=request,
        actor=actor,
        credential=credential,
        user=token.user,
        additional=details,
    )
    for project in _projects_in_scope(token):
        record_event(
            EventTag.PROJECT_API_TOKEN_REMOVED,
            request=request,
            actor=actor,
            credential=credential,
            project=project,
            additional={**details, "user": token.user.username},
        )
    return True


def _revoke_descendants(token: APIToken, now: datetime, **how) -> None:
    """Revoke every token minted with ``token``, and those minted with them, recording each
    with the token whose revocation took it along."""
    parents = [token]
    while parents:
        parent = parents.pop()
        for child in APIToken.objects.filter(parent=parent).select_related("user"):
            _revoke_one(
                child,
                now,
                tag=EventTag.ACCOUNT_API_TOKEN_REMOVED,
                additional={"revoked_with": str(parent.id)},
                **how,
            )
            parents.append(child)


def revoke_token(
    token: APIToken,
    *,
    actor: User | None,
    credential: Credential,
    request: HttpRequest | None = None,
    leaked: bool = False,
) -> bool:
    """Revoke a token for good, and every token minted with it, and record it; True if this
    call revoked ``token`` (idempotent).

    The row stays, so that what the token did can still be traced. ``leaked`` records the
    revocation as the answer to a leak (``account:api_token:removed_leak``). The tokens minted
    with it (through ``POST /api/tokens/``), and theirs, are revoked too, each recorded as
    ``account:api_token:removed`` with ``revoked_with``: a leaked token's holder may have made
    some.
    """
    now = timezone.now()
    tag = EventTag.ACCOUNT_API_TOKEN_REMOVED_LEAK if leaked else EventTag.ACCOUNT_API_TOKEN_REMOVED
    how = {"actor": actor, "credential": credential, "request": request}
    with transaction.atomic():
        revoked = _revoke_one(token, now, tag=tag, **how)
        # Also when it was revoked before: tokens it minted then are swept now.
        _revoke_descendants(token, now, **how)
    return revoked


def _server_caveats(token: APIToken) -> list[Caveat] | None:
    """The token's server caveats, or None if one cannot be read (the token then fails every
    verification)."""
    try:
        return [parse_caveat(value, legacy_user_id=token.user_id) for value in token.caveats]
    except MalformedCaveatError:
        return None


def _project_restrictions(caveats: Iterable[Caveat]) -> tuple[set[str] | None, set[str] | None]:
    """The normalized names and the ids every project caveat allows (None: no such caveat)."""
    names: set[str] | None = None
    ids: set[str] | None = None
    for caveat in caveats:
        if isinstance(caveat, ProjectName):
            allowed = {canonicalize_name(name) for name in caveat.normalized_names}
            names = allowed if names is None else names & allowed
        elif isinstance(caveat, ProjectID):
            ids = set(caveat.project_ids) if ids is None else ids & set(caveat.project_ids)
    return names, ids


def _projects_in_scope(token: APIToken) -> list[Project]:
    names, ids = _project_restrictions(_readable_server_caveats(token))
    if names is None and ids is None:
        return []
    projects = Project.objects.all()
    if names is not None:
        projects = projects.filter(normalized_name__in=names)
    if ids is not None:
        projects = projects.filter(pk__in=[int(pk) for pk in ids if pk.isdigit()])
    return list(projects)


def token_scope(token: APIToken) -> TokenScope:
    """The projects and the expiry the server set on ``token`` (not caveats added offline).

    Unreadable server caveats are left out: such a token fails every verification anyway.
    """
    caveats = _readable_server_caveats(token)
    names, ids = _project_restrictions(caveats)
    if names is None and ids is not None:
        # A token restricted by id only: name the projects those ids are now.
        names = set(
            Project.objects.filter(pk__in=[int(pk) for pk in ids if pk.isdigit()]).values_list(
                "normalized_name", flat=True
            )
        )
    expirations = [caveat.expires_at for caveat in caveats if isinstance(caveat, Expiration)]
    return TokenScope(
        project_names=None if names is None else tuple(sorted(names)),
        expires_at=datetime.fromtimestamp(min(expirations), tz=UTC) if expirations else None,
    )


def tokens_for_project(project: Project, *, now: datetime | None = None) -> list[APIToken]:
    """Unrevoked, unexpired tokens of ``project``'s current collaborators whose server caveats
    let them upload to it: those scoped to it and the account-wide ones, newest first.

    A token of a user without a role on the project cannot upload to it, whatever its scope.
    """
    now = now or timezone.now()
    candidates = APIToken.objects.filter(
        user__roles__project=project, revoked__isnull=True
    ).select_related("user")
    return [token for token in candidates if _may_upload_to(token, project, now)]


def visible_project_tokens(project: Project, viewer, *, is_owner: bool) -> list[APIToken]:
    """The tokens that can upload to ``project`` that ``viewer`` may see: all of them for an
    Owner, only the viewer's own for a Maintainer."""
    tokens = tokens_for_project(project)
    if is_owner:
        return tokens
    return [token for token in tokens if token.user_id == viewer.pk]


def _may_upload_to(token: APIToken, project: Project, now: datetime) -> bool:
    caveats = _server_caveats(token)
    if caveats is None:
        return False
    context = VerificationContext(user=token.user, project=project, now=now)
    return all(caveat.verify(context) for caveat in caveats)


def _readable_server_caveats(token: APIToken) -> list[Caveat]:
    caveats = []
    for value in token.caveats:
        try:
            caveats.append(parse_caveat(value, legacy_user_id=token.user_id))
        except MalformedCaveatError:
            continue
    return caveats


# -- reading the Authorization header


def _token_from_basic(credentials: str) -> str:
    try:
        decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
    except (binascii.Error, ValueError) as exc:
        raise InvalidToken(
            _("Invalid Authorization header: the Basic credentials are not valid base64 text.")
        ) from exc
    username, separator, password = decoded.partition(":")
    if not separator:
        raise InvalidToken(
            _("Invalid Authorization header: the Basic credentials have no ':' separator.")
        )
    if username != TOKEN_USERNAME:
        raise InvalidToken(
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
        raise InvalidToken(
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


# Read on every upload: compiled once (see cheeseshop.prepared). The token's row
# and its user's, as select_related("user") would read them.
_TOKEN_COLUMNS = model_columns(APIToken)
_TOKEN_AND_USER = PreparedQuery(
    lambda token_id: APIToken.objects.filter(pk=token_id).values_list(
        *_TOKEN_COLUMNS, *(f"user__{column}" for column in model_columns(User))
    ),
    uuid.UUID(int=0),
)


def _find_token(macaroon: Macaroon) -> APIToken:
    try:
        identifier = macaroon.identifier_bytes.decode("utf-8")
        token_id = uuid.UUID(identifier)
    except (UnicodeDecodeError, ValueError) as exc:
        raise _unknown_token() from exc
    # Only the canonical form we issued; uuid.UUID also reads braces, urn: and no hyphens.
    if str(token_id) != identifier:
        raise _unknown_token()
    row = _TOKEN_AND_USER.first(token_id)
    if row is None:
        raise _unknown_token()
    token = instance(APIToken, row[: len(_TOKEN_COLUMNS)])
    token.user = instance(User, row[len(_TOKEN_COLUMNS) :])
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


def _root_key(token: APIToken) -> bytes:
    try:
        return token.root_key
    except sealing.Unsealable as exc:
        logger.error("the root key of token %s cannot be opened: %s", token.id, exc.message)
        raise _invalid(
            _("the token was issued under a secret key this index no longer holds")
        ) from exc


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
    token, macaroon = _genuine_token(raw)
    # Signature first: the account state below is told only to holders of a genuine token.
    caveats = _read_caveats(_caveat_texts(macaroon), token.user_id)
    _check_usable(token)
    return AuthenticatedToken(token=token, user=token.user, macaroon=macaroon, caveats=caveats)


def _genuine_token(raw: str) -> tuple[APIToken, Macaroon]:
    """The row of a token issued here, and its macaroon with the server caveats re-applied,
    once its signature is proved. Raises TokenError."""
    macaroon = _decode_macaroon(raw)
    token = _find_token(macaroon)
    _caveat_texts(macaroon)  # refuse what the signature check cannot handle, before it
    for text in _server_caveat_texts(token):
        macaroon.add_first_party_caveat(text)
    _verify_signature(macaroon, _root_key(token))
    return token, macaroon


def reseal_root_keys() -> int:
    """Seal every token's root key under the current SECRET_KEY (after a rotation); returns how
    many. Raises ``sealing.Unsealable`` when one does not open (the caller's transaction then
    leaves everything as it was)."""
    count = 0
    for token_id, key in (
        APIToken.objects.select_for_update().order_by("pk").values_list("id", "key")
    ):
        stored = bytes(key)
        changed = sealing.reseal(stored) if sealing.is_sealed(stored) else sealing.seal(stored)
        APIToken.objects.filter(pk=token_id).update(key=changed)
        count += 1
    return count


def identify_token(raw: str) -> APIToken:
    """The row of ``raw`` if it is a genuine token issued here, usable or not (revoked,
    expired, its user frozen...): what a leak report needs to know. Raises TokenError."""
    return _genuine_token(raw)[0]


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


# Compiled once per database (see cheeseshop.prepared): run on every upload.
_LAST_USED = PreparedUpdate(APIToken, ["last_used"], skip_locked=True)


def record_token_use(token: APIToken) -> None:
    """Set ``last_used`` with one UPDATE. Where the database can, a row another transaction
    holds is skipped rather than waited for: concurrent requests with one token do not queue.

    Called inside a transaction, the row stays locked until that ends; the lock is the
    "no key" kind, which the foreign keys of uploads' new files (taken on the token row) do not
    conflict with.
    """
    _LAST_USED.run(token.pk, timezone.now())


def token_credential(token: APIToken) -> Credential:
    """How an action done with ``token`` is recorded in the audit log."""
    return Credential("token", {"token_id": str(token.id), "description": token.description})


__all__ = [
    "AuthenticatedToken",
    "InvalidToken",
    "TokenError",
    "TokenRequestRefused",
    "TokenScope",
    "authenticate_token",
    "check_upload_permission",
    "create_token",
    "identify_token",
    "issue_token",
    "record_token_use",
    "reseal_root_keys",
    "revoke_token",
    "token_credential",
    "token_from_authorization",
    "token_scope",
    "tokens_for_project",
    "visible_project_tokens",
]
