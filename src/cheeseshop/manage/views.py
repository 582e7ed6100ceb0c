"""The maintainer pages under /manage/: your account, your projects, and per project its
settings, collaborators, releases and history. Every change goes through
``cheeseshop.packaging.changes``, which records the audit events."""

from allauth.account.models import EmailAddress
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from cheeseshop.accounts.access import account_page, refused
from cheeseshop.accounts.logins import recent_authentication_required
from cheeseshop.accounts.notices import mail_invitation
from cheeseshop.audit.forms import KindFilterForm
from cheeseshop.audit.history import PROJECT_KINDS, history_row
from cheeseshop.audit.models import Event
from cheeseshop.manage.access import ProjectAccess, project_page
from cheeseshop.manage.forms import (
    ChangeRoleForm,
    InviteForm,
    TypedConfirmationForm,
    YankForm,
)
from cheeseshop.packaging import changes
from cheeseshop.packaging.models import File, Release, Role, RoleInvitation, RoleName
from cheeseshop.packaging.versions import find_release, newest_first
from cheeseshop.tokens.services import visible_project_tokens

POST = ("POST",)
HISTORY_PAGE_SIZE = 25


def _invitations_of(user):
    return (
        RoleInvitation.objects.filter(user=user)
        .select_related("project", "invited_by")
        .order_by("project__normalized_name")
    )


# --- Account-level pages ------------------------------------------------------------------


@account_page()
def account(request: HttpRequest) -> HttpResponse:
    emails = EmailAddress.objects.filter(user=request.user).order_by("-primary", "email")
    return render(
        request,
        "manage/account.html",
        {"emails": emails, "invitations": _invitations_of(request.user)},
    )


@account_page()
def projects(request: HttpRequest) -> HttpResponse:
    roles = (
        Role.objects.filter(user=request.user)
        .select_related("project")
        .annotate(release_count=Count("project__releases"))
        .order_by("project__normalized_name")
    )
    return render(
        request,
        "manage/projects.html",
        {"roles": roles, "invitations": _invitations_of(request.user)},
    )


def _answer_invitation(request: HttpRequest, invitation_id: int, accept: bool) -> HttpResponse:
    # Only the invitee can see an invitation: anyone else gets "not found".
    invitation = get_object_or_404(
        RoleInvitation.objects.select_related("project"), pk=invitation_id, user=request.user
    )
    project_name = invitation.project.name
    try:
        if accept:
            role = changes.accept_invitation(invitation, request=request)
        else:
            changes.decline_invitation(invitation, request=request)
    except changes.ChangeRefused as refusal:
        messages.error(request, refusal.message)
        return redirect("manage:projects")
    if accept:
        messages.success(
            request,
            _("You are now %(role)s of project '%(project)s'.")
            % {"role": RoleName(role.role_name).label, "project": project_name},
        )
    else:
        messages.success(
            request,
            _("You declined the invitation to project '%(project)s'.") % {"project": project_name},
        )
    return redirect("manage:projects")


@account_page(methods=POST)
def invitation_accept(request: HttpRequest, invitation_id: int) -> HttpResponse:
    return _answer_invitation(request, invitation_id, accept=True)


@account_page(methods=POST)
def invitation_decline(request: HttpRequest, invitation_id: int) -> HttpResponse:
    return _answer_invitation(request, invitation_id, accept=False)


# --- Project settings ---------------------------------------------------------------------


def _project_context(access: ProjectAccess, section: str) -> dict:
    return {
        "project": access.project,
        "role": access.role,
        "is_owner": access.is_owner,
        "quarantined": access.is_quarantined,
        "section": section,
    }


def _delete_project_form(access: ProjectAccess, data=None) -> TypedConfirmationForm:
    return TypedConfirmationForm(
        data,
        field_name="confirm_project_name",
        expected=access.project.name,
        label=_("Type the project name, %(name)s, to confirm") % {"name": access.project.name},
        auto_id="id_delete_project_%s",
    )


def _render_settings(request, access: ProjectAccess, *, delete_form=None, status=200):
    project = access.project
    totals = File.objects.filter(release__project=project).aggregate(
        files=Count("id"), size=Sum("size")
    )
    context = {
        **_project_context(access, "settings"),
        "release_count": project.releases.count(),
        "file_count": totals["files"],
        "total_size": totals["size"] or 0,
        "collaborator_count": project.roles.count(),
        "delete_form": delete_form or _delete_project_form(access),
        "project_tokens": visible_project_tokens(project, request.user, is_owner=access.is_owner),
    }
    return render(request, "manage/project_settings.html", context, status=status)


@project_page()
def project_settings(request: HttpRequest, access: ProjectAccess) -> HttpResponse:
    return _render_settings(request, access)


@project_page(methods=POST, owner_only=True)
@recent_authentication_required
def project_delete(request: HttpRequest, access: ProjectAccess) -> HttpResponse:
    form = _delete_project_form(access, request.POST)
    if not form.is_valid():
        return _render_settings(request, access, delete_form=form, status=400)
    try:
        changes.delete_project(access.project, actor=request.user, request=request)
    except changes.ChangeRefused as refusal:
        messages.error(request, refusal.message)
        return _render_settings(request, access, status=400)
    messages.success(
        request, _("Project '%(project)s' was deleted.") % {"project": access.project.name}
    )
    return redirect("manage:projects")


# --- Collaboration ------------------------------------------------------------------------


def _render_collaboration(request, access: ProjectAccess, *, invite_form=None, status=200):
    roles = sorted(
        Role.objects.filter(project=access.project).select_related("user"),
        key=lambda role: (role.role_name != RoleName.OWNER, role.user.username.lower()),
    )
    owner_count = sum(role.role_name == RoleName.OWNER for role in roles)
    rows = [
        (
            role,
            ChangeRoleForm(initial={"role_name": role.role_name}, auto_id=f"id_role{role.pk}_%s"),
            # The sole Owner is not offered "Leave" (changes.remove_role refuses it anyway).
            role.role_name != RoleName.OWNER or owner_count > 1,
        )
        for role in roles
    ]
    invitations = RoleInvitation.objects.filter(project=access.project).select_related(
        "user", "invited_by"
    )
    context = {
        **_project_context(access, "collaboration"),
        "rows": rows,
        "invitations": invitations.order_by("created"),
        "invite_form": invite_form or InviteForm(),
    }
    return render(request, "manage/collaboration.html", context, status=status)


def _collaboration_url(access: ProjectAccess) -> str:
    return reverse("manage:collaboration", kwargs={"name": access.project.normalized_name})


@project_page()
def collaboration(request: HttpRequest, access: ProjectAccess) -> HttpResponse:
    return _render_collaboration(request, access)


@project_page(methods=POST, owner_only=True)
def collaboration_invite(request: HttpRequest, access: ProjectAccess) -> HttpResponse:
    form = InviteForm(request.POST)
    if not form.is_valid():
        return _render_collaboration(request, access, invite_form=form, status=400)
    try:
        invitation = changes.invite_collaborator(
            access.project,
            invitee=form.invitee,
            role_name=form.cleaned_data["role_name"],
            actor=request.user,
            request=request,
        )
    except changes.ChangeRefused as refusal:
        form.add_error("username", refusal.message)
        return _render_collaboration(request, access, invite_form=form, status=400)
    mail_invitation(invitation, request.user, request)  # the invitation is committed
    messages.success(
        request,
        _("User '%(user)s' was invited; they become a collaborator once they accept.")
        % {"user": form.invitee.username},
    )
    return redirect(_collaboration_url(access))


def _refuse_collaboration_change(request, access: ProjectAccess, refusal: changes.ChangeRefused):
    messages.error(request, refusal.message)
    return _render_collaboration(request, access, status=400)


@project_page(methods=POST, owner_only=True)
def role_change(request: HttpRequest, access: ProjectAccess, role_id: int) -> HttpResponse:
    role = get_object_or_404(
        Role.objects.select_related("user"), pk=role_id, project=access.project
    )
    form = ChangeRoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose Owner or Maintainer as the new role."))
        return _render_collaboration(request, access, status=400)
    try:
        changes.change_role(
            role, role_name=form.cleaned_data["role_name"], actor=request.user, request=request
        )
    except changes.ChangeRefused as refusal:
        return _refuse_collaboration_change(request, access, refusal)
    messages.success(
        request,
        _("User '%(user)s' is now %(role)s.")
        % {"user": role.user.username, "role": RoleName(role.role_name).label},
    )
    return redirect(_collaboration_url(access))


@project_page(methods=POST)
def role_remove(request: HttpRequest, access: ProjectAccess, role_id: int) -> HttpResponse:
    role = get_object_or_404(
        Role.objects.select_related("user"), pk=role_id, project=access.project
    )
    leaving = role.user_id == request.user.pk
    # Anyone may leave; only Owners may remove someone else.
    if not leaving and not access.is_owner:
        return refused(request, _("Only the project's Owners may remove other collaborators."))
    try:
        changes.remove_role(role, actor=request.user, request=request)
    except changes.ChangeRefused as refusal:
        return _refuse_collaboration_change(request, access, refusal)
    names = {"user": role.user.username, "project": access.project.name}
    if leaving:
        messages.success(request, _("You left project '%(project)s'.") % names)
        return redirect("manage:projects")
    messages.success(request, _("User '%(user)s' was removed from the project.") % names)
    return redirect(_collaboration_url(access))


@project_page(methods=POST, owner_only=True)
def invitation_revoke(
    request: HttpRequest, access: ProjectAccess, invitation_id: int
) -> HttpResponse:
    invitation = get_object_or_404(
        RoleInvitation.objects.select_related("user"), pk=invitation_id, project=access.project
    )
    try:
        changes.revoke_invitation(invitation, actor=request.user, request=request)
    except changes.ChangeRefused as refusal:
        return _refuse_collaboration_change(request, access, refusal)
    messages.success(
        request,
        _("The invitation of user '%(user)s' was revoked.") % {"user": invitation.user.username},
    )
    return redirect(_collaboration_url(access))


# --- Releases -----------------------------------------------------------------------------


@project_page()
def releases(request: HttpRequest, access: ProjectAccess) -> HttpResponse:
    found = newest_first(
        Release.objects.filter(project=access.project).annotate(file_count=Count("files"))
    )
    rows = [(release, YankForm(auto_id=f"id_yank{release.pk}_%s")) for release in found]
    context = {**_project_context(access, "releases"), "rows": rows}
    return render(request, "manage/releases.html", context)


def _find_release(access: ProjectAccess, version: str) -> Release:
    """The release a URL names (``find_release``), with all its fields."""
    names = Release.objects.filter(project=access.project).only("version", "canonical_version")
    release = find_release(names, version)
    if release is None:
        raise Http404(
            _("Project '%(project)s' has no release %(version)s.")
            % {
                "project": access.project.name,
                "version": version,
            }
        )
    return Release.objects.get(pk=release.pk)


def _release_url(access: ProjectAccess, release: Release) -> str:
    return reverse(
        "manage:release",
        kwargs={"name": access.project.normalized_name, "version": release.version},
    )


def _delete_release_form(release: Release, data=None) -> TypedConfirmationForm:
    return TypedConfirmationForm(
        data,
        field_name="confirm_version",
        expected=release.version,
        label=_("Type the version, %(version)s, to confirm") % {"version": release.version},
        auto_id="id_delete_release_%s",
    )


def _delete_file_form(file: File, data=None) -> TypedConfirmationForm:
    return TypedConfirmationForm(
        data,
        field_name="confirm_filename",
        expected=file.filename,
        label=_("Type the filename, %(filename)s, to confirm") % {"filename": file.filename},
        auto_id=f"id_delete_file{file.pk}_%s",
    )


def _render_release(
    request,
    access: ProjectAccess,
    release: Release,
    *,
    yank_form=None,
    delete_release_form=None,
    failed_file_form=None,
    status=200,
):
    files = list(release.files.all())
    file_rows = [
        (
            file,
            failed_file_form
            if failed_file_form is not None and failed_file_form.expected == file.filename
            else _delete_file_form(file),
        )
        for file in files
    ]
    context = {
        **_project_context(access, "releases"),
        "section_current": "true",  # a page inside the Releases section, not the list itself
        "release": release,
        "file_rows": file_rows,
        "failed_file_form": failed_file_form,  # (for the page's title: see base.html)
        "yank_form": yank_form or YankForm(auto_id="id_yank_%s"),
        "delete_release_form": delete_release_form or _delete_release_form(release),
    }
    return render(request, "manage/release.html", context, status=status)


def _refuse_release_change(
    request, access: ProjectAccess, release: Release, refusal: changes.ChangeRefused
):
    messages.error(request, refusal.message)
    return _render_release(request, access, release, status=400)


@project_page()
def release_detail(request: HttpRequest, access: ProjectAccess, version: str) -> HttpResponse:
    return _render_release(request, access, _find_release(access, version))


@project_page(methods=POST, owner_only=True)
def release_yank(request: HttpRequest, access: ProjectAccess, version: str) -> HttpResponse:
    release = _find_release(access, version)
    form = YankForm(request.POST, auto_id="id_yank_%s")
    if not form.is_valid():
        return _render_release(request, access, release, yank_form=form, status=400)
    try:
        changes.yank_release(
            release, actor=request.user, reason=form.cleaned_data["reason"], request=request
        )
    except changes.ChangeRefused as refusal:
        return _refuse_release_change(request, access, release, refusal)
    messages.success(request, _("Release %(version)s was yanked.") % {"version": release.version})
    return redirect(_release_url(access, release))


@project_page(methods=POST, owner_only=True)
def release_unyank(request: HttpRequest, access: ProjectAccess, version: str) -> HttpResponse:
    release = _find_release(access, version)
    try:
        changes.unyank_release(release, actor=request.user, request=request)
    except changes.ChangeRefused as refusal:
        return _refuse_release_change(request, access, release, refusal)
    messages.success(
        request, _("Release %(version)s is no longer yanked.") % {"version": release.version}
    )
    return redirect(_release_url(access, release))


@project_page(methods=POST, owner_only=True)
@recent_authentication_required
def release_delete(request: HttpRequest, access: ProjectAccess, version: str) -> HttpResponse:
    release = _find_release(access, version)
    form = _delete_release_form(release, request.POST)
    if not form.is_valid():
        return _render_release(request, access, release, delete_release_form=form, status=400)
    try:
        changes.delete_release(release, actor=request.user, request=request)
    except changes.ChangeRefused as refusal:
        return _refuse_release_change(request, access, release, refusal)
    messages.success(request, _("Release %(version)s was deleted.") % {"version": release.version})
    return redirect("manage:releases", name=access.project.normalized_name)


@project_page(methods=POST, owner_only=True)
@recent_authentication_required
def file_delete(
    request: HttpRequest, access: ProjectAccess, version: str, file_id: int
) -> HttpResponse:
    release = _find_release(access, version)
    file = get_object_or_404(File, pk=file_id, release=release)
    form = _delete_file_form(file, request.POST)
    if not form.is_valid():
        return _render_release(request, access, release, failed_file_form=form, status=400)
    try:
        changes.delete_file(file, actor=request.user, request=request)
    except changes.ChangeRefused as refusal:
        return _refuse_release_change(request, access, release, refusal)
    messages.success(
        request,
        _("File %(filename)s was deleted; its filename can never be uploaded again.")
        % {"filename": form.expected},
    )
    return redirect(_release_url(access, release))


# --- History ------------------------------------------------------------------------------


@project_page()
def history(request: HttpRequest, access: ProjectAccess) -> HttpResponse:
    """The project's security history: its events and its files' events, newest first, each
    with who acted, how they authenticated (which API token uploaded a file) and from where."""
    form = KindFilterForm(request.GET or None, kinds=PROJECT_KINDS)
    status = 400 if form.is_bound and not form.is_valid() else 200
    events = form.filter(
        Event.objects.filter(project_id=access.project.pk)
        .prefetch_related("actor")
        .order_by("-id")
    )
    page = Paginator(events, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        **_project_context(access, "history"),
        "form": form,
        "page": page,
        "rows": [history_row(event) for event in page],
    }
    return render(request, "manage/history.html", context, status=status)
