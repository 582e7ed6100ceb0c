"""The changes service: what maintainers (and admins) do to a project after uploading it.

Yanking, deleting and managing collaborators, each in one database transaction with the audit
events it records. Permission to act is the caller's business (the manage views check roles, the
admin checks staff); the rules that hold whoever acts live here, and a change they forbid raises
``ChangeRefused`` with a message that names the rule.

A quarantined project (malware under review) is frozen: every change here refuses it unless an
administrator makes it (``admin=True``: the admin site, the review service, the malware policy),
and only an administrator puts a project in quarantine or lifts it.

A change to what the index shows bumps ``project.last_serial`` to the id of the event recorded
and re-renders the simple pages in the same transaction, so installers see it at once. Deleted
distributions leave their stored objects only after the transaction commits, and their filenames
stay in ``FilenameRegistry`` forever, so the same filename can never be uploaded again.
"""

import logging

from django.db import transaction
from django.utils.translation import gettext as _

from cheeseshop.audit.models import Event, EventTag
from cheeseshop.audit.services import SESSION, record_event
from cheeseshop.packaging import publishing, storage
from cheeseshop.packaging.errors import ChangeRefused
from cheeseshop.packaging.models import (
    File,
    Project,
    ProjectStatus,
    Release,
    Role,
    RoleInvitation,
    RoleName,
)

logger = logging.getLogger(__name__)


def _lock_project(project_id: int) -> Project:
    """Lock the project row: changes to one project (and uploads to it) are serialised, so
    rules such as "the last Owner stays" hold under concurrent requests."""
    project = Project.objects.select_for_update().filter(pk=project_id).first()
    if project is None:
        raise ChangeRefused(_("This project no longer exists."))
    return project


def ensure_not_quarantined(project: Project, *, admin: bool = False) -> None:
    """The quarantine rule: a quarantined project changes only through its administrators."""
    if project.status == ProjectStatus.QUARANTINED and not admin:
        raise ChangeRefused(
            _(
                "Project '%(project)s' is quarantined while the index's administrators review "
                "it: it cannot be changed or uploaded to until they lift the quarantine."
            )
            % {"project": project.name}
        )


def _reload(instance, message: str) -> None:
    """Re-read ``instance`` inside the transaction; it may have changed since it was loaded."""
    try:
        instance.refresh_from_db()
    except type(instance).DoesNotExist:
        raise ChangeRefused(message) from None


def _lock_release(release: Release, *, admin: bool = False) -> Project:
    """Lock the release's project, then re-read the release; returns the locked project."""
    project = _lock_project(release.project_id)
    ensure_not_quarantined(project, admin=admin)
    _reload(release, _("This release no longer exists."))
    return project


def _stored_paths(files) -> list[str]:
    paths = []
    for file in files:
        paths.append(file.path)
        if file.has_metadata:
            paths.append(file.metadata_path)
    return paths


def _delete_stored_after_commit(paths: list[str]) -> None:
    # After commit only: a rolled-back deletion must leave the bytes its rows point to.
    def delete() -> None:
        for path in paths:
            storage.delete_quietly(path)

    if paths:
        transaction.on_commit(delete)


def _release_details(release: Release) -> dict:
    return {"version": release.version, "canonical_version": release.canonical_version}


def _record_and_publish(
    tag: EventTag, project: Project, *, request, actor, credential, additional: dict
) -> Event:
    """The last steps of a change the index shows: its event, then its publication."""
    event = record_event(
        tag,
        request=request,
        actor=actor,
        credential=credential or SESSION,
        project=project,
        additional=additional,
    )
    publishing.publish(project, event)
    return event


def _remove(
    project: Project,
    doomed,
    files,
    tag: EventTag,
    admin_tag: EventTag,
    *,
    admin: bool,
    credential,
    **fields,
) -> None:
    """What every deletion does, in order, in the caller's transaction: record it (and, when an
    admin removed it, the admin's removal too), delete ``doomed`` (a file, a release or the
    project, with what cascades from it), publish the change, and remove the stored bytes of
    ``files`` once it has committed."""
    credential = credential or SESSION
    event = record_event(tag, project=project, credential=credential, **fields)
    if admin:
        event = record_event(admin_tag, project=project, credential=credential, **fields)
    paths = _stored_paths(files)
    project_id = project.pk
    doomed.delete()
    if doomed is project:
        publishing.publish_removal(project_id, event)
    else:
        publishing.publish(project, event)
    _delete_stored_after_commit(paths)


# --- Releases and files ---------------------------------------------------------------------


def yank_release(release, *, actor, reason="", request=None, credential=None) -> Release:
    """Mark a release yanked (PEP 592): installers skip it unless pinned to it exactly."""
    with transaction.atomic():
        project = _lock_release(release)
        if release.yanked:
            raise ChangeRefused(
                _("Release %(version)s is already yanked.") % {"version": release.version}
            )
        release.yanked = True
        release.yanked_reason = reason.strip()
        release.save(update_fields=["yanked", "yanked_reason"])
        _record_and_publish(
            EventTag.PROJECT_RELEASE_YANK,
            project,
            request=request,
            actor=actor,
            credential=credential,
            additional={**_release_details(release), "yanked_reason": release.yanked_reason},
        )
    return release


def unyank_release(release, *, actor, request=None, credential=None) -> Release:
    with transaction.atomic():
        project = _lock_release(release)
        if not release.yanked:
            raise ChangeRefused(
                _("Release %(version)s is not yanked.") % {"version": release.version}
            )
        release.yanked = False
        release.yanked_reason = ""
        release.save(update_fields=["yanked", "yanked_reason"])
        _record_and_publish(
            EventTag.PROJECT_RELEASE_UNYANK,
            project,
            request=request,
            actor=actor,
            credential=credential,
            additional=_release_details(release),
        )
    return release


def delete_file(file, *, actor, request=None, credential=None, admin=False) -> None:
    """Delete one distribution file; its filename stays used forever."""
    with transaction.atomic():
        # Through a query, not file.release: the release may be gone (deleted meanwhile).
        project_id = (
            File.objects.filter(pk=file.pk).values_list("release__project_id", flat=True).first()
        )
        if project_id is None:
            raise ChangeRefused(_("This file no longer exists."))
        project = _lock_project(project_id)
        ensure_not_quarantined(project, admin=admin)
        _reload(file, _("This file no longer exists."))
        details = {
            "filename": file.filename,
            **_release_details(file.release),
            "sha256": file.sha256_digest,
            "blake2_256": file.blake2_256_digest,
        }
        _remove(
            project,
            file,
            [file],
            EventTag.FILE_REMOVE,
            EventTag.ADMIN_FILE_REMOVE,
            admin=admin,
            credential=credential,
            request=request,
            actor=actor,
            file=file,
            additional=details,
        )


def delete_release(release, *, actor, request=None, credential=None, admin=False) -> None:
    """Delete a release and all its files; their filenames stay used forever."""
    with transaction.atomic():
        project = _lock_release(release, admin=admin)
        files = list(release.files.all())
        _remove(
            project,
            release,
            files,
            EventTag.PROJECT_RELEASE_REMOVE,
            EventTag.ADMIN_RELEASE_REMOVE,
            admin=admin,
            credential=credential,
            request=request,
            actor=actor,
            additional={
                **_release_details(release),
                "filenames": [file.filename for file in files],
            },
        )


def delete_project(project, *, actor, request=None, credential=None, admin=False) -> None:
    """Delete a project with its releases, files, roles, invitations and simple pages.

    Its audit events stay (they name the project by id), and so do its filenames.
    """
    with transaction.atomic():
        locked = _lock_project(project.pk)
        ensure_not_quarantined(locked, admin=admin)
        files = list(File.objects.filter(release__project=locked))
        # Deleting cascades to releases, files, roles, invitations and the simple pages.
        _remove(
            locked,
            locked,
            files,
            EventTag.PROJECT_REMOVE,
            EventTag.ADMIN_PROJECT_REMOVE,
            admin=admin,
            credential=credential,
            request=request,
            actor=actor,
            additional={
                "name": locked.name,
                "normalized_name": locked.normalized_name,
                "releases": locked.releases.count(),
                "files": len(files),
            },
        )


# --- Status (PEP 792) -----------------------------------------------------------------------


def set_status(
    project, status: str, *, reason="", actor, request=None, credential=None, admin=False
):
    """Give a project another status (PEP 792): active, archived, deprecated, or quarantined —
    hidden from the index, the JSON API, TUF and the public pages until it is set back.

    Only an administrator (``admin``) puts a project in quarantine or takes it out."""
    if status not in ProjectStatus.values:
        raise ChangeRefused(
            # Translators: %(status)s is what was given; %(statuses)s lists the statuses in code
            # (active, archived...), not translated.
            _("'%(status)s' is not a project status; choose one of %(statuses)s.")
            % {"status": status, "statuses": ", ".join(ProjectStatus.values)}
        )
    with transaction.atomic():
        locked = _lock_project(project.pk)
        previous = locked.status
        if ProjectStatus.QUARANTINED in (previous, status) and not admin:
            ensure_not_quarantined(locked)
            raise ChangeRefused(
                _("Only the index's administrators may put project '%(project)s' in quarantine.")
                % {"project": locked.name}
            )
        if previous == status and locked.status_reason == reason.strip():
            raise ChangeRefused(
                _("Project '%(project)s' already has the status %(status)s.")
                % {"project": locked.name, "status": status}
            )
        locked.status = status
        locked.status_reason = reason.strip()
        locked.save(update_fields=["status", "status_reason"])
        _record_and_publish(
            EventTag.PROJECT_STATUS_CHANGE,
            locked,
            request=request,
            actor=actor,
            credential=credential,
            additional={
                "status": status,
                "previous_status": previous,
                "reason": locked.status_reason,
            },
        )
    project.status, project.status_reason = locked.status, locked.status_reason
    return locked


# --- Collaborators --------------------------------------------------------------------------


def _role_details(user, role_name: str) -> dict:
    return {"target_user": user.username, "role_name": role_name}


def _record_invitee_events(
    project_tag: EventTag,
    account_tag: EventTag,
    *,
    request,
    actor,
    project: Project,
    invitee,
    role_name: str,
    project_details: dict,
) -> Event:
    """Record a step of an invitation twice: in the project's history and in the invitee's
    account history; returns the project's event."""
    event = record_event(
        project_tag,
        request=request,
        actor=actor,
        credential=SESSION,
        project=project,
        additional=project_details,
    )
    _record_account_role_event(
        account_tag,
        request=request,
        actor=actor,
        user=invitee,
        additional={"project": project.name, "role_name": role_name},
    )
    return event


def _record_account_role_event(tag: EventTag, *, request, actor, user, additional) -> None:
    """Record a change to ``user``'s roles in their account history too."""
    record_event(
        tag, request=request, actor=actor, credential=SESSION, user=user, additional=additional
    )


def _check_role_name(role_name: str) -> None:
    if role_name not in RoleName.values:
        raise ChangeRefused(
            _("'%(role)s' is not a role; choose Owner or Maintainer.") % {"role": role_name}
        )


def _other_owners(project: Project, role: Role):
    return Role.objects.filter(project=project, role_name=RoleName.OWNER).exclude(pk=role.pk)


def invite_collaborator(project, *, invitee, role_name, actor, request=None) -> RoleInvitation:
    """Invite ``invitee`` to a role; they become a collaborator once they accept."""
    _check_role_name(role_name)
    with transaction.atomic():
        project = _lock_project(project.pk)
        ensure_not_quarantined(project)
        names = {"user": invitee.username, "project": project.name}
        if Role.objects.filter(project=project, user=invitee).exists():
            raise ChangeRefused(
                _("User '%(user)s' is already a collaborator on project '%(project)s'.") % names
            )
        if RoleInvitation.objects.filter(project=project, user=invitee).exists():
            raise ChangeRefused(
                _("User '%(user)s' already has a pending invitation to project '%(project)s'.")
                % names
            )
        if not invitee.is_active or invitee.is_frozen:
            raise ChangeRefused(
                _("User '%(user)s' is not an active account and cannot be invited.") % names
            )
        if not invitee.has_verified_primary_email():
            raise ChangeRefused(
                _(
                    "User '%(user)s' has no verified primary email address and cannot be "
                    "invited to a project."
                )
                % names
            )
        invitation = RoleInvitation.objects.create(
            user=invitee, project=project, role_name=role_name, invited_by=actor
        )
        _record_invitee_events(
            EventTag.PROJECT_ROLE_INVITE,
            EventTag.ACCOUNT_ROLE_INVITE,
            request=request,
            actor=actor,
            project=project,
            invitee=invitee,
            role_name=role_name,
            project_details=_role_details(invitee, role_name),
        )
    return invitation


def _take_invitation(invitation: RoleInvitation) -> tuple[Project, RoleInvitation]:
    project = _lock_project(invitation.project_id)
    ensure_not_quarantined(project)
    current = RoleInvitation.objects.filter(pk=invitation.pk).select_related("user").first()
    if current is None:
        raise ChangeRefused(_("This invitation no longer exists."))
    return project, current


def accept_invitation(invitation, *, request=None) -> Role:
    """The invitee accepts: the invitation becomes a role."""
    with transaction.atomic():
        project, invitation = _take_invitation(invitation)
        invitee = invitation.user
        if Role.objects.filter(project=project, user=invitee).exists():
            raise ChangeRefused(
                _("You are already a collaborator on project '%(project)s'.")
                % {"project": project.name}
            )
        role = Role.objects.create(user=invitee, project=project, role_name=invitation.role_name)
        invitation.delete()
        details = _role_details(invitee, role.role_name)
        if invitation.invited_by_id is not None:
            details["invited_by"] = invitation.invited_by.username
        event = _record_invitee_events(
            EventTag.PROJECT_ROLE_ADD,
            EventTag.ACCOUNT_ROLE_ADD,
            request=request,
            actor=invitee,
            project=project,
            invitee=invitee,
            role_name=role.role_name,
            project_details=details,
        )
        # The JSON API lists the project's roles.
        publishing.publish(project, event)
    return role


def decline_invitation(invitation, *, request=None) -> None:
    with transaction.atomic():
        project, invitation = _take_invitation(invitation)
        invitee = invitation.user
        invitation.delete()
        _record_invitee_events(
            EventTag.PROJECT_ROLE_DECLINE_INVITE,
            EventTag.ACCOUNT_ROLE_DECLINE_INVITE,
            request=request,
            actor=invitee,
            project=project,
            invitee=invitee,
            role_name=invitation.role_name,
            project_details=_role_details(invitee, invitation.role_name),
        )


def revoke_invitation(invitation, *, actor, request=None) -> None:
    with transaction.atomic():
        project, invitation = _take_invitation(invitation)
        invitation.delete()
        _record_invitee_events(
            EventTag.PROJECT_ROLE_REVOKE_INVITE,
            EventTag.ACCOUNT_ROLE_REVOKE_INVITE,
            request=request,
            actor=actor,
            project=project,
            invitee=invitation.user,
            role_name=invitation.role_name,
            project_details=_role_details(invitation.user, invitation.role_name),
        )


def _take_role(role: Role) -> tuple[Project, Role]:
    project = _lock_project(role.project_id)
    ensure_not_quarantined(project)
    current = Role.objects.filter(pk=role.pk).select_related("user").first()
    if current is None:
        raise ChangeRefused(_("This collaborator no longer has a role on the project."))
    return project, current


def change_role(role, *, role_name, actor, request=None) -> Role:
    """Give a collaborator another role; the last Owner cannot be demoted."""
    _check_role_name(role_name)
    with transaction.atomic():
        project, current = _take_role(role)
        names = {"user": current.user.username, "role": role_name}
        if current.role_name == role_name:
            raise ChangeRefused(_("User '%(user)s' already has the role %(role)s.") % names)
        if current.role_name == RoleName.OWNER and not _other_owners(project, current).exists():
            raise ChangeRefused(
                _(
                    "User '%(user)s' is the project's only Owner and cannot be demoted: "
                    "make another collaborator an Owner first."
                )
                % names
            )
        previous = current.role_name
        current.role_name = role_name
        current.save(update_fields=["role_name"])
        # The JSON API lists the project's roles.
        _record_and_publish(
            EventTag.PROJECT_ROLE_CHANGE,
            project,
            request=request,
            actor=actor,
            credential=SESSION,
            additional={**_role_details(current.user, role_name), "previous_role_name": previous},
        )
        _record_account_role_event(
            EventTag.ACCOUNT_ROLE_CHANGE,
            request=request,
            actor=actor,
            user=current.user,
            additional={
                "project": project.name,
                "role_name": role_name,
                "previous_role_name": previous,
            },
        )
    role.role_name = role_name
    return current


def remove_role(role, *, actor, request=None) -> None:
    """Remove a collaborator (or, with ``actor`` the collaborator, leave the project); the last
    Owner cannot be removed."""
    with transaction.atomic():
        project, current = _take_role(role)
        if current.role_name == RoleName.OWNER and not _other_owners(project, current).exists():
            raise ChangeRefused(
                _(
                    "User '%(user)s' is the project's only Owner and cannot be removed: "
                    "make another collaborator an Owner first, or delete the project."
                )
                % {"user": current.user.username}
            )
        current.delete()
        _record_and_publish(
            EventTag.PROJECT_ROLE_REMOVE,
            project,
            request=request,
            actor=actor,
            credential=SESSION,
            additional=_role_details(current.user, current.role_name),
        )
        _record_account_role_event(
            EventTag.ACCOUNT_ROLE_REMOVE,
            request=request,
            actor=actor,
            user=current.user,
            additional={"project": project.name, "role_name": current.role_name},
        )
