"""Who may see and change what under /manage/: the checks every management view runs first.

In order: signed in (else the login page), an account in good standing with a verified primary
email and, when CHEESESHOP_MANAGE_REQUIRES_2FA is on, a second factor (else a page saying how to
set one up), then for project pages: the name in its normalized form (else 301), a project of
that name (else 404), a role on it (else 403, for every method), the method the view answers
(else 405), the Owner role for Owner-only changes (else 403), and no change while the site is
read-only.
"""

from dataclasses import dataclass
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from packaging.utils import canonicalize_name

from cheeseshop.accounts.two_factor import manage_requires_two_factor
from cheeseshop.flags.models import FlagId
from cheeseshop.flags.services import is_enabled
from cheeseshop.packaging.models import Project, Role, RoleName

SAFE_METHODS = ("GET", "HEAD")


@dataclass(frozen=True)
class ProjectAccess:
    """A project and the signed-in user's role on it."""

    project: Project
    role: Role

    @property
    def is_owner(self) -> bool:
        return self.role.role_name == RoleName.OWNER


def refused(request: HttpRequest, message: str, *, status: int = 403) -> HttpResponse:
    return render(request, "manage/refused.html", {"message": message}, status=status)


def _account_check(request: HttpRequest) -> HttpResponse | None:
    """None when the user may use the management pages, else the answer to send instead."""
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if getattr(user, "is_frozen", False):
        return refused(request, _("Your account is frozen: an administrator must unfreeze it."))
    if not user.has_verified_primary_email():
        return render(request, "manage/verify_email.html", status=403)
    if manage_requires_two_factor(user):
        # Sent to a page saying why, with the way to set it up (/account/2fa/).
        query = urlencode({"next": request.get_full_path()})
        return redirect(f"{reverse('two_factor_required')}?{query}")
    return None


def _read_only_check(request: HttpRequest) -> HttpResponse | None:
    if request.method not in SAFE_METHODS and is_enabled(FlagId.READ_ONLY):
        return refused(
            request,
            _("Read-only mode: changes are temporarily disabled. Nothing was changed."),
        )
    return None


def account_page(*, methods=SAFE_METHODS):
    """A page about the signed-in user's own account (no project)."""

    def decorate(view):
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if (answer := _account_check(request)) is not None:
                return answer
            if request.method not in methods:
                return HttpResponseNotAllowed(methods)
            if (answer := _read_only_check(request)) is not None:
                return answer
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def _normalized_redirect(request: HttpRequest, normalized: str, kwargs: dict) -> HttpResponse:
    match = request.resolver_match
    location = reverse(match.view_name, kwargs={**kwargs, "name": normalized})
    if request.META.get("QUERY_STRING"):
        location += "?" + request.META["QUERY_STRING"]
    return redirect(location, permanent=True)


def _project_access(request: HttpRequest, name: str, kwargs: dict) -> ProjectAccess | HttpResponse:
    """The project and the user's role on it, or the answer to send instead."""
    normalized = canonicalize_name(name)
    if normalized != name:
        return _normalized_redirect(request, normalized, kwargs)
    project = get_object_or_404(Project, normalized_name=normalized)
    role = Role.objects.filter(project=project, user=request.user).first()
    if role is None:
        return refused(
            request,
            _("You are not a collaborator on project '%(project)s'.") % {"project": project.name},
        )
    return ProjectAccess(project=project, role=role)


def project_page(*, methods=SAFE_METHODS, owner_only: bool = False):
    """A page of one project, for its collaborators only; the view gets a ``ProjectAccess``."""

    def decorate(view):
        @wraps(view)
        def wrapper(request: HttpRequest, name: str, **kwargs) -> HttpResponse:
            if (answer := _account_check(request)) is not None:
                return answer
            access = _project_access(request, name, kwargs)
            if isinstance(access, HttpResponse):
                return access
            # Membership is checked before the method, so a non-member gets 403 for any method.
            if request.method not in methods:
                return HttpResponseNotAllowed(methods)
            if owner_only and not access.is_owner:
                return refused(request, _("Only the project's Owners may do this."))
            if (answer := _read_only_check(request)) is not None:
                return answer
            return view(request, access, **kwargs)

        return wrapper

    return decorate
