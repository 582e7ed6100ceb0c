"""Who may see and change a project under /manage/project/: the checks every project page runs
first.

In order: the account's own checks (``cheeseshop.accounts.access``: signed in, in good standing,
a verified email, a second factor where required), then the name in its normalized form (else
301), a project of that name (else 404), a role on it (else 403, for every method), the method
the view answers (else 405), the Owner role for Owner-only changes (else 403), and no change
while the site is read-only.
"""

from dataclasses import dataclass
from functools import wraps

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from packaging.utils import canonicalize_name

from cheeseshop.accounts.access import (
    SAFE_METHODS,
    account_refusal,
    read_only_refusal,
    refused,
)
from cheeseshop.packaging.models import Project, ProjectStatus, Role, RoleName


@dataclass(frozen=True)
class ProjectAccess:
    """A project and the signed-in user's role on it."""

    project: Project
    role: Role

    @property
    def is_owner(self) -> bool:
        return self.role.role_name == RoleName.OWNER

    @property
    def is_quarantined(self) -> bool:
        """Quarantined projects are frozen: their pages show, their change forms do not (the
        changes service refuses every change anyway)."""
        return self.project.status == ProjectStatus.QUARANTINED


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
            if (answer := account_refusal(request)) is not None:
                return answer
            access = _project_access(request, name, kwargs)
            if isinstance(access, HttpResponse):
                return access
            # Membership is checked before the method, so a non-member gets 403 for any method.
            if request.method not in methods:
                return HttpResponseNotAllowed(methods)
            if owner_only and not access.is_owner:
                return refused(request, _("Only the project's Owners may do this."))
            if (answer := read_only_refusal(request)) is not None:
                return answer
            return view(request, access, **kwargs)

        return wrapper

    return decorate
