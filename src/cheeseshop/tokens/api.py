"""``POST /api/tokens/``: mint an API token with JSON, as a signed-in user or with a token.

Body: ``{"description": str, "projects": [names], "expires_in_days": int | null}``. Answers 201
``{"token", "id", "projects", "expires"}`` (``projects`` empty: the whole account), or 400, 401,
403 or 405 with ``{"error": message}`` (the status by the kind of refusal, STATUS_BY_KIND).

A token minted here is never wider than the credential that asks for it. A signed-in user (with
a verified email and a recent re-authentication, as on the tokens page) may mint any token the
page could. A token may mint a token only within its own projects (if it is scoped) and its own
expiry: asked for a later expiry, or none, the new token expires with the one that asked.

CSRF: a request carrying an ``Authorization`` header is authenticated by that header alone, which
a browser never adds on another site's behalf, so it needs no CSRF token; a session request goes
through Django's CSRF check (``csrf_protect``), whose refusal of a JSON request is JSON too
(``cheeseshop.web.views.csrf_failure``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from packaging.utils import canonicalize_name

from cheeseshop.accounts.logins import authenticated_recently
from cheeseshop.accounts.models import User
from cheeseshop.audit.services import SESSION, Credential
from cheeseshop.errors import (
    Disabled,
    Invalid,
    NotAuthenticated,
    NotPermitted,
    Refused,
)
from cheeseshop.flags.models import FlagId
from cheeseshop.flags.services import is_enabled
from cheeseshop.inputs import check_json
from cheeseshop.packaging.models import Project
from cheeseshop.tokens.caveats import (
    Expiration,
    Failure,
    ProjectID,
    ProjectName,
    VerificationContext,
)
from cheeseshop.tokens.services import (
    AuthenticatedToken,
    authenticate_token,
    issue_token,
    record_token_use,
    token_credential,
    token_from_authorization,
    token_scope,
)

MAX_BODY_SIZE = 64 * 1024
MAX_EXPIRY_DAYS = 36500  # a bound keeps the date representable
FIELDS = ("description", "projects", "expires_in_days")


# The answer to each kind of refusal.
STATUS_BY_KIND = (
    (NotAuthenticated, 401),
    (NotPermitted, 403),
    (Disabled, 403),
    (Refused, 400),
)


@dataclass(frozen=True)
class MintRequest:
    description: str
    project_names: tuple[str, ...]
    expires_in_days: int | None


@dataclass(frozen=True)
class Asker:
    """Who asks for a token, and with what: a session (``token`` None) or a token."""

    user: User
    credential: Credential
    token: AuthenticatedToken | None


def _error(message: str, status: int) -> JsonResponse:
    response = JsonResponse({"error": message}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def _refused(refusal: Refused) -> JsonResponse:
    return _error(
        refusal.message,
        next(status for kind, status in STATUS_BY_KIND if isinstance(refusal, kind)),
    )


# -- the request body


def _read_json(request: HttpRequest):
    body = request.read(MAX_BODY_SIZE + 1)
    if len(body) > MAX_BODY_SIZE:
        raise Invalid(
            _("The request body is too large: at most %(size)d bytes.") % {"size": MAX_BODY_SIZE}
        )
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise Invalid(_("The request body is not valid JSON.")) from None
    return check_json(data, where=_("The request body"))


def _read_mint_request(request: HttpRequest) -> MintRequest:
    data = _read_json(request)
    if not isinstance(data, dict):
        raise Invalid(_("The request body must be a JSON object."))
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise Invalid(
            _("Unknown field(s): %(fields)s; the fields are %(known)s.")
            % {"fields": ", ".join(unknown), "known": ", ".join(FIELDS)}
        )
    description = data.get("description")
    if not isinstance(description, str):
        raise Invalid(_("'description' must be a string: what the token is for."))
    projects = data.get("projects", [])
    if not isinstance(projects, list) or not all(isinstance(name, str) for name in projects):
        raise Invalid(_("'projects' must be a list of project names."))
    days = data.get("expires_in_days")
    if days is not None and (
        isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_EXPIRY_DAYS
    ):
        raise Invalid(
            _("'expires_in_days' must be null or a whole number of days from 1 to %(max)d.")
            % {"max": MAX_EXPIRY_DAYS}
        )
    return MintRequest(description, tuple(projects), days)


# -- who asks


def _session_asker(request: HttpRequest) -> Asker:
    if not request.user.is_authenticated:
        raise NotAuthenticated(
            _(
                "Authentication required: sign in, or send an API token in the Authorization "
                "header (Bearer, or Basic with the username __token__)."
            )
        )
    if not authenticated_recently(request):
        raise NotPermitted(
            _(
                "Creating a token needs a recent re-authentication: confirm your password on "
                "the site, then try again."
            )
        )
    return Asker(user=request.user, credential=SESSION, token=None)


def _token_asker(header: str) -> Asker:
    auth = authenticate_token(token_from_authorization(header))
    return Asker(user=auth.user, credential=token_credential(auth.token), token=auth)


def _asker(request: HttpRequest) -> Asker:
    header = request.headers.get("Authorization", "")
    asker = _token_asker(header) if header.strip() else _session_asker(request)
    if asker.user.is_frozen:
        raise NotPermitted(_("Your account is frozen: an administrator must unfreeze it."))
    if not asker.user.has_verified_primary_email():
        raise NotPermitted(
            _(
                "User '%(user)s' does not have a verified primary email address. Verify it in "
                "your account settings and try again."
            )
            % {"user": asker.user.username}
        )
    return asker


# -- never wider than the token that asks


def _check_token_holds_now(auth: AuthenticatedToken, now: datetime) -> None:
    """Every caveat not about projects (expiry, user) must hold for the token to act at all."""
    context = VerificationContext(user=auth.user, project=None, now=now)
    for caveat in auth.caveats:
        if isinstance(caveat, ProjectName | ProjectID):
            continue
        result = caveat.verify(context)
        if isinstance(result, Failure):
            raise NotAuthenticated(_("Invalid API Token: %(reason)s") % {"reason": result.reason})


def _check_projects_within(auth: AuthenticatedToken, project_names, now: datetime) -> None:
    project_caveats = [c for c in auth.caveats if isinstance(c, ProjectName | ProjectID)]
    if not project_caveats:
        return
    if not project_names:
        raise NotPermitted(
            _(
                "The token you authenticated with is limited to some projects: the new token "
                "must name some of them in 'projects'; it cannot cover the whole account."
            )
        )
    for name in project_names:
        project = Project.objects.filter(normalized_name=canonicalize_name(name)).first()
        if project is None:
            continue  # issue_token refuses an unknown project, with its own message
        context = VerificationContext(user=auth.user, project=project, now=now)
        if not all(caveat.verify(context) for caveat in project_caveats):
            raise NotPermitted(
                _(
                    "The token you authenticated with is not valid for project "
                    "'%(project)s', so the new token cannot be either."
                )
                % {"project": project.name}
            )


def _capped_expiry(
    auth: AuthenticatedToken | None, expires_at: datetime | None
) -> datetime | None:
    if auth is None:
        return expires_at
    limits = [caveat.expires_at for caveat in auth.caveats if isinstance(caveat, Expiration)]
    if not limits:
        return expires_at
    limit = datetime.fromtimestamp(min(limits), tz=UTC)
    return limit if expires_at is None else min(expires_at, limit)


# -- the view


def _mint(request: HttpRequest) -> JsonResponse:
    try:
        return _answer(request, _asker(request))
    except Refused as refusal:
        return _refused(refusal)


# A session's request is checked for CSRF before anything else; a token's needs no check.
_mint_with_session = csrf_protect(_mint)


def _answer(request: HttpRequest, asker: Asker) -> JsonResponse:
    if is_enabled(FlagId.READ_ONLY):
        raise Disabled(_("Read-only mode: changes are temporarily disabled. Nothing was changed."))
    wanted = _read_mint_request(request)
    now = timezone.now()
    expires_at = now + timedelta(days=wanted.expires_in_days) if wanted.expires_in_days else None
    if asker.token is not None:
        _check_token_holds_now(asker.token, now)
        _check_projects_within(asker.token, wanted.project_names, now)
        expires_at = _capped_expiry(asker.token, expires_at)
    # Its refusals (a description in use, a project not the user's ...) are Invalid: 400.
    token, raw = issue_token(
        asker.user,
        description=wanted.description,
        project_names=wanted.project_names,
        expires_at=expires_at,
        credential=asker.credential,
        request=request,
        actor=asker.user,
        parent=asker.token.token if asker.token is not None else None,
    )
    if asker.token is not None:
        record_token_use(asker.token.token)
    scope = token_scope(token)
    return JsonResponse(
        {
            "token": raw,
            "id": str(token.id),
            "projects": list(scope.project_names or ()),
            "expires": scope.expires_at.isoformat() if scope.expires_at else None,
        },
        status=201,
    )


@csrf_exempt  # only requests with an Authorization header skip the check
def mint_token(request: HttpRequest) -> JsonResponse:
    if request.method != "POST":
        response = _error(_("Use POST to create a token."), 405)
        response["Allow"] = "POST"
        return response
    # A token's request needs no CSRF check; an anonymous one is refused (401) without it.
    if request.headers.get("Authorization", "").strip() or not request.user.is_authenticated:
        return _mint(request)
    return _mint_with_session(request)
