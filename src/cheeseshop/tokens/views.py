"""The API token pages under /manage/account/tokens/: list, create (shown once), revoke.

Creating and revoking need a recent re-authentication (allauth asks for the password again);
every change goes through ``cheeseshop.tokens.services``, which records the audit events.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib import messages
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

from cheeseshop.accounts.access import account_page
from cheeseshop.accounts.logins import recent_authentication_required
from cheeseshop.audit.services import SESSION
from cheeseshop.packaging.models import Project, Role
from cheeseshop.site import absolute_url
from cheeseshop.tokens.forms import CreateTokenForm
from cheeseshop.tokens.models import APIToken
from cheeseshop.tokens.services import (
    TOKEN_USERNAME,
    TokenError,
    TokenScope,
    issue_token,
    revoke_token,
    token_scope,
)

GET_OR_POST = ("GET", "POST")
POST = ("POST",)
# Where the raw token waits between the create POST and the page that shows it, once.
NEW_TOKEN_SESSION_KEY = "cheeseshop.tokens.new"  # noqa: S105 -- a session key name


class TokenState(models.TextChoices):
    ACTIVE = "active", gettext_lazy("Active")
    EXPIRED = "expired", gettext_lazy("Expired")
    REVOKED = "revoked", gettext_lazy("Revoked")


def token_state(token: APIToken, scope: TokenScope, now: datetime) -> TokenState:
    if token.revoked is not None:
        return TokenState.REVOKED
    if scope.expires_at is not None and scope.expires_at <= now:
        return TokenState.EXPIRED
    return TokenState.ACTIVE


@dataclass(frozen=True)
class ScopedProject:
    """A project a token is scoped to; ``project`` is None once no project has that name."""

    name: str
    project: Project | None


@dataclass(frozen=True)
class TokenRow:
    token: APIToken
    scope: TokenScope
    state: TokenState
    projects: tuple[ScopedProject, ...]

    @property
    def is_active(self) -> bool:
        return self.state is TokenState.ACTIVE


def _token_rows(tokens: list[APIToken]) -> list[TokenRow]:
    now = timezone.now()
    scopes = {token.pk: token_scope(token) for token in tokens}
    names = {name for scope in scopes.values() for name in scope.project_names or ()}
    existing = {
        project.normalized_name: project
        for project in Project.objects.filter(normalized_name__in=names)
    }
    return [
        TokenRow(
            token=token,
            scope=scopes[token.pk],
            state=token_state(token, scopes[token.pk], now),
            projects=tuple(
                ScopedProject(
                    name=existing[name].name if name in existing else name,
                    project=existing.get(name),
                )
                for name in scopes[token.pk].project_names or ()
            ),
        )
        for token in tokens
    ]


def _user_projects(user) -> list[Project]:
    roles = Role.objects.filter(user=user).select_related("project")
    return [role.project for role in roles.order_by("project__normalized_name")]


# --- Pages --------------------------------------------------------------------------------


@account_page()
def token_list(request: HttpRequest) -> HttpResponse:
    tokens = list(APIToken.objects.filter(user=request.user).order_by("-created"))
    return render(request, "tokens/list.html", {"rows": _token_rows(tokens)})


@account_page(methods=GET_OR_POST)
@recent_authentication_required
def token_create(request: HttpRequest) -> HttpResponse:
    projects = _user_projects(request.user)
    if request.method != "POST":
        form = CreateTokenForm(projects=projects)
        return render(request, "tokens/create.html", {"form": form})
    form = CreateTokenForm(request.POST, projects=projects)
    if not form.is_valid():
        return render(request, "tokens/create.html", {"form": form}, status=400)
    try:
        token, raw = issue_token(
            request.user,
            description=form.cleaned_data["description"],
            project_names=form.project_names,
            expires_at=form.expires_at,
            credential=SESSION,
            request=request,
            actor=request.user,
        )
    except TokenError as refusal:
        form.add_error(None, refusal.message)
        return render(request, "tokens/create.html", {"form": form}, status=400)
    request.session[NEW_TOKEN_SESSION_KEY] = {"id": str(token.pk), "raw": raw}
    return redirect("tokens:created")


def _upload_snippets(request: HttpRequest, raw: str) -> dict:
    upload_url = absolute_url(reverse("upload:legacy"))
    return {
        "upload_url": upload_url,
        "repository_name": slugify(settings.SITE_NAME) or "cheeseshop",
        "token_username": TOKEN_USERNAME,
        "raw_token": raw,
    }


@account_page()
@never_cache  # Cache-Control: no-store among others: the token must not be kept anywhere.
def token_created(request: HttpRequest) -> HttpResponse:
    # Popped, not read: the token is shown by this response and never again.
    new = request.session.pop(NEW_TOKEN_SESSION_KEY, None)
    token = None
    if new is not None:
        token = APIToken.objects.filter(pk=new["id"], user=request.user).first()
    if token is None:
        return render(request, "tokens/already_shown.html")
    context = {"row": _token_rows([token])[0], **_upload_snippets(request, new["raw"])}
    return render(request, "tokens/created.html", context)


@account_page(methods=POST)
@recent_authentication_required
def token_revoke(request: HttpRequest, token_id: uuid.UUID) -> HttpResponse:
    # Another user's token is "not found": its existence is not told.
    token = get_object_or_404(APIToken, pk=token_id, user=request.user)
    names = {"description": token.description}
    if revoke_token(token, actor=request.user, credential=SESSION, request=request):
        messages.success(
            request,
            _("The token “%(description)s” was revoked; it can no longer upload.") % names,
        )
    else:
        messages.info(request, _("The token “%(description)s” was already revoked.") % names)
    return redirect("tokens:list")
