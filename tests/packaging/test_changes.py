"""The changes service: each change, its audit events, its effect on the index, and the rules
that refuse a change whoever asks."""

import json

import pytest
from allauth.account.models import EmailAddress
from django.core.files.storage import storages
from django.db import transaction

from cheeseshop.accounts.services import create_user
from cheeseshop.audit.models import Event, EventTag
from cheeseshop.audit.services import ADMIN
from cheeseshop.index import services as index_services
from cheeseshop.index.models import SimpleDetailPage
from cheeseshop.index.services import refresh_project_pages
from cheeseshop.packaging import changes
from cheeseshop.packaging.changes import ChangeRefused
from cheeseshop.packaging.models import (
    File,
    FilenameRegistry,
    Project,
    Release,
    Role,
    RoleInvitation,
    RoleName,
)
from tests.index.builders import make_file, make_project, make_release
from tests.upload.conftest import packages_dir  # noqa: F401 - autouse: per-test file storage

pytestmark = pytest.mark.django_db

METADATA = b"Metadata-Version: 2.4\nName: Cheese_Tools\nVersion: 1.0\n"


@pytest.fixture
def owner():
    return create_user("olivia", "olivia@example.com")


@pytest.fixture
def other():
    return create_user("max", "max@example.com")


@pytest.fixture
def project(owner):
    project = make_project("Cheese_Tools")
    Role.objects.create(user=owner, project=project, role_name=RoleName.OWNER)
    release = make_release(project, "1.0")
    make_file(release, metadata=METADATA)
    make_file(release, "cheese_tools-1.0.tar.gz")
    for file in File.objects.all():
        FilenameRegistry.objects.create(filename=file.filename)
    refresh_project_pages(project)
    return project


@pytest.fixture
def release(project):
    return project.releases.get()


@pytest.fixture
def wheel(release):
    return release.files.get(packagetype="bdist_wheel")


def simple_json(project) -> dict:
    return json.loads(bytes(SimpleDetailPage.objects.get(project=project).json))


def simple_filenames(project) -> set[str]:
    return {file["filename"] for file in simple_json(project)["files"]}


def exists(path: str) -> bool:
    return storages["packages"].exists(path)


def tags(**filters) -> list[str]:
    return list(Event.objects.filter(**filters).order_by("id").values_list("tag", flat=True))


# --- yank / unyank ------------------------------------------------------------------------


def test_yank_marks_release_records_event_and_republishes_at_once(project, release, owner):
    changes.yank_release(release, actor=owner, reason="  broken build  ")

    release.refresh_from_db()
    assert (release.yanked, release.yanked_reason) == (True, "broken build")
    event = Event.objects.get(tag=EventTag.PROJECT_RELEASE_YANK)
    assert (event.actor, event.project_id, event.credential) == (
        owner,
        project.pk,
        {"method": "session"},
    )
    assert event.additional["version"] == "1.0"
    assert event.additional["yanked_reason"] == "broken build"
    project.refresh_from_db()
    assert project.last_serial == event.id
    page = simple_json(project)
    assert {file["yanked"] for file in page["files"]} == {"broken build"}
    assert page["meta"]["_last-serial"] == event.id


def test_yank_without_reason_is_plain_true_in_the_index(project, release, owner):
    changes.yank_release(release, actor=owner)
    assert {file["yanked"] for file in simple_json(project)["files"]} == {True}


def test_yank_records_the_credential_given(release, owner):
    changes.yank_release(release, actor=owner, credential=ADMIN)
    assert Event.objects.get(tag=EventTag.PROJECT_RELEASE_YANK).credential == {"method": "admin"}


def test_yanking_a_yanked_release_is_refused(release, owner):
    changes.yank_release(release, actor=owner)
    with pytest.raises(ChangeRefused, match="already yanked"):
        changes.yank_release(release, actor=owner, reason="again")
    assert tags(tag=EventTag.PROJECT_RELEASE_YANK) == [EventTag.PROJECT_RELEASE_YANK]


def test_unyank_clears_the_mark_and_the_reason(project, release, owner):
    changes.yank_release(release, actor=owner, reason="oops")
    changes.unyank_release(release, actor=owner)

    release.refresh_from_db()
    assert (release.yanked, release.yanked_reason) == (False, "")
    event = Event.objects.get(tag=EventTag.PROJECT_RELEASE_UNYANK)
    project.refresh_from_db()
    assert project.last_serial == event.id
    assert {file["yanked"] for file in simple_json(project)["files"]} == {False}


def test_unyanking_a_release_that_is_not_yanked_is_refused(release, owner):
    with pytest.raises(ChangeRefused, match="not yanked"):
        changes.unyank_release(release, actor=owner)
    assert not Event.objects.exists()


def test_a_change_that_fails_midway_leaves_nothing(monkeypatch, project, release, owner):
    def fail(page):
        raise RuntimeError("rendering failed")

    # The index renders the pages inside the change's transaction (packaging's publisher).
    monkeypatch.setattr(index_services, "render_detail_html", fail)
    with pytest.raises(RuntimeError):
        changes.yank_release(release, actor=owner, reason="x")
    release.refresh_from_db()
    assert not release.yanked
    assert not Event.objects.exists()


def test_deleting_a_file_whose_release_was_deleted_meanwhile_is_refused(release, wheel, owner):
    changes.delete_release(release, actor=owner)
    with pytest.raises(ChangeRefused, match="no longer exists"):
        changes.delete_file(wheel, actor=owner)


def test_changing_a_release_deleted_meanwhile_is_refused(release, owner):
    Release.objects.filter(pk=release.pk).delete()
    with pytest.raises(ChangeRefused, match="no longer exists"):
        changes.yank_release(release, actor=owner)


# --- deleting files, releases, projects ---------------------------------------------------


def test_delete_file_removes_row_page_link_and_stored_objects_after_commit(
    project, wheel, owner, django_capture_on_commit_callbacks
):
    paths, file_id = [wheel.path, wheel.metadata_path], wheel.pk
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        changes.delete_file(wheel, actor=owner)
        # Not before the transaction commits.
        assert all(exists(path) for path in paths)
    for callback in callbacks:
        callback()

    assert not File.objects.filter(filename=wheel.filename).exists()
    assert not any(exists(path) for path in paths)
    assert wheel.filename not in simple_filenames(project)
    assert FilenameRegistry.objects.filter(filename=wheel.filename).exists()
    event = Event.objects.get(tag=EventTag.FILE_REMOVE)
    assert (event.file_id, event.project_id, event.additional["filename"]) == (
        file_id,
        project.pk,
        wheel.filename,
    )
    project.refresh_from_db()
    assert project.last_serial == event.id
    assert tags(tag__startswith="admin:") == []


def test_delete_file_as_admin_also_records_the_admin_event(
    wheel, owner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        changes.delete_file(wheel, actor=owner, credential=ADMIN, admin=True)
    assert tags() == [EventTag.FILE_REMOVE, EventTag.ADMIN_FILE_REMOVE]
    assert {tuple(e.credential.items()) for e in Event.objects.all()} == {(("method", "admin"),)}


def test_a_rolled_back_deletion_keeps_the_stored_objects(
    wheel, owner, django_capture_on_commit_callbacks
):
    def delete_then_fail():
        with transaction.atomic():
            changes.delete_file(wheel, actor=owner)
            raise RuntimeError("something after the deletion failed")

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
    ):
        delete_then_fail()
    assert callbacks == []
    assert File.objects.filter(filename=wheel.filename).exists()
    assert exists(wheel.path)
    assert exists(wheel.metadata_path)


def test_delete_release_removes_it_and_its_files_but_not_their_filenames(
    project, release, owner, django_capture_on_commit_callbacks
):
    files = list(release.files.all())
    with django_capture_on_commit_callbacks(execute=True):
        changes.delete_release(release, actor=owner)

    assert not Release.objects.exists()
    assert not File.objects.exists()
    assert not any(exists(file.path) for file in files)
    assert FilenameRegistry.objects.count() == 2
    assert simple_filenames(project) == set()
    assert simple_json(project)["versions"] == []
    event = Event.objects.get(tag=EventTag.PROJECT_RELEASE_REMOVE)
    assert sorted(event.additional["filenames"]) == sorted(f.filename for f in files)
    project.refresh_from_db()
    assert project.last_serial == event.id


def test_delete_release_as_admin_also_records_the_admin_event(release, owner):
    changes.delete_release(release, actor=owner, admin=True)
    assert tags() == [EventTag.PROJECT_RELEASE_REMOVE, EventTag.ADMIN_RELEASE_REMOVE]


def test_delete_project_removes_everything_but_its_events_and_filenames(
    project, owner, other, django_capture_on_commit_callbacks
):
    RoleInvitation.objects.create(
        user=other, project=project, role_name=RoleName.MAINTAINER, invited_by=owner
    )
    files = list(File.objects.all())
    changes.yank_release(project.releases.get(), actor=owner)
    with django_capture_on_commit_callbacks(execute=True):
        changes.delete_project(project, actor=owner)

    assert not Project.objects.exists()
    assert not Release.objects.exists()
    assert not File.objects.exists()
    assert not Role.objects.exists()
    assert not RoleInvitation.objects.exists()
    assert not SimpleDetailPage.objects.exists()
    assert not any(exists(file.path) for file in files)
    assert FilenameRegistry.objects.count() == 2
    assert tags(project_id=project.pk) == [
        EventTag.PROJECT_RELEASE_YANK,
        EventTag.PROJECT_REMOVE,
    ]
    removal = Event.objects.get(tag=EventTag.PROJECT_REMOVE)
    assert removal.additional["name"] == "Cheese_Tools"


def test_delete_project_as_admin_also_records_the_admin_event(project, owner):
    changes.delete_project(project, actor=owner, credential=ADMIN, admin=True)
    assert tags() == [EventTag.PROJECT_REMOVE, EventTag.ADMIN_PROJECT_REMOVE]


# --- collaborators ------------------------------------------------------------------------


def test_invite_creates_an_invitation_and_records_project_and_account_events(
    project, owner, other
):
    invitation = changes.invite_collaborator(
        project, invitee=other, role_name=RoleName.MAINTAINER, actor=owner
    )
    assert (invitation.user, invitation.invited_by, invitation.role_name) == (
        other,
        owner,
        RoleName.MAINTAINER,
    )
    assert not Role.objects.filter(user=other).exists()
    project_event = Event.objects.get(tag=EventTag.PROJECT_ROLE_INVITE)
    assert (project_event.project_id, project_event.actor) == (project.pk, owner)
    assert project_event.additional == {"target_user": "max", "role_name": "Maintainer"}
    account_event = Event.objects.get(tag=EventTag.ACCOUNT_ROLE_INVITE)
    assert (account_event.user, account_event.actor) == (other, owner)
    assert account_event.additional["project"] == "Cheese_Tools"


def test_inviting_a_collaborator_again_is_refused(project, owner, other):
    with pytest.raises(ChangeRefused, match="already a collaborator"):
        changes.invite_collaborator(project, invitee=owner, role_name=RoleName.OWNER, actor=owner)
    changes.invite_collaborator(project, invitee=other, role_name=RoleName.OWNER, actor=owner)
    with pytest.raises(ChangeRefused, match="pending invitation"):
        changes.invite_collaborator(project, invitee=other, role_name=RoleName.OWNER, actor=owner)


def test_inviting_a_user_without_verified_email_is_refused(project, owner, other):
    EmailAddress.objects.filter(user=other).update(verified=False)
    with pytest.raises(ChangeRefused, match="no verified primary email"):
        changes.invite_collaborator(project, invitee=other, role_name=RoleName.OWNER, actor=owner)
    assert not RoleInvitation.objects.exists()


def test_inviting_a_frozen_user_is_refused(project, owner, other):
    other.is_frozen = True
    other.save()
    with pytest.raises(ChangeRefused, match="not an active account"):
        changes.invite_collaborator(project, invitee=other, role_name=RoleName.OWNER, actor=owner)


def test_inviting_to_an_unknown_role_is_refused(project, owner, other):
    with pytest.raises(ChangeRefused, match="is not a role"):
        changes.invite_collaborator(project, invitee=other, role_name="Admin", actor=owner)


def test_accepting_turns_the_invitation_into_a_role(project, owner, other):
    invitation = changes.invite_collaborator(
        project, invitee=other, role_name=RoleName.OWNER, actor=owner
    )
    role = changes.accept_invitation(invitation)

    assert (role.user, role.project, role.role_name) == (other, project, RoleName.OWNER)
    assert not RoleInvitation.objects.exists()
    added = Event.objects.get(tag=EventTag.PROJECT_ROLE_ADD)
    assert (added.actor, added.additional["invited_by"]) == (other, "olivia")
    assert Event.objects.get(tag=EventTag.ACCOUNT_ROLE_ADD).user == other
    project.refresh_from_db()
    # The JSON API lists roles: the serial moves.
    assert project.last_serial == added.id


def test_an_invitation_answered_already_cannot_be_accepted(project, owner, other):
    invitation = changes.invite_collaborator(
        project, invitee=other, role_name=RoleName.OWNER, actor=owner
    )
    changes.decline_invitation(invitation)
    with pytest.raises(ChangeRefused, match="no longer exists"):
        changes.accept_invitation(invitation)
    assert not Role.objects.filter(user=other).exists()


def test_declining_deletes_the_invitation_and_records_both_sides(project, owner, other):
    invitation = changes.invite_collaborator(
        project, invitee=other, role_name=RoleName.OWNER, actor=owner
    )
    changes.decline_invitation(invitation)
    assert not RoleInvitation.objects.exists()
    declined = Event.objects.get(tag=EventTag.PROJECT_ROLE_DECLINE_INVITE)
    assert (declined.actor, declined.project_id) == (other, project.pk)
    assert Event.objects.get(tag=EventTag.ACCOUNT_ROLE_DECLINE_INVITE).user == other


def test_revoking_deletes_the_invitation(project, owner, other):
    invitation = changes.invite_collaborator(
        project, invitee=other, role_name=RoleName.OWNER, actor=owner
    )
    changes.revoke_invitation(invitation, actor=owner)
    assert not RoleInvitation.objects.exists()
    revoked = Event.objects.get(tag=EventTag.PROJECT_ROLE_REVOKE_INVITE)
    assert (revoked.actor, revoked.additional["target_user"]) == (owner, "max")


def test_change_role_records_old_and_new_role(project, owner, other):
    role = Role.objects.create(user=other, project=project, role_name=RoleName.MAINTAINER)
    changes.change_role(role, role_name=RoleName.OWNER, actor=owner)
    assert Role.objects.get(pk=role.pk).role_name == RoleName.OWNER
    event = Event.objects.get(tag=EventTag.PROJECT_ROLE_CHANGE)
    assert event.additional == {
        "target_user": "max",
        "role_name": "Owner",
        "previous_role_name": "Maintainer",
    }


def test_the_last_owner_cannot_be_demoted(project, owner):
    role = Role.objects.get(user=owner)
    with pytest.raises(ChangeRefused, match="only Owner and cannot be demoted"):
        changes.change_role(role, role_name=RoleName.MAINTAINER, actor=owner)
    assert Role.objects.get(pk=role.pk).role_name == RoleName.OWNER


def test_an_owner_can_be_demoted_while_another_owner_remains(project, owner, other):
    Role.objects.create(user=other, project=project, role_name=RoleName.OWNER)
    role = Role.objects.get(user=owner)
    changes.change_role(role, role_name=RoleName.MAINTAINER, actor=owner)
    assert Role.objects.get(pk=role.pk).role_name == RoleName.MAINTAINER


def test_changing_to_the_same_role_is_refused(project, owner):
    with pytest.raises(ChangeRefused, match="already has the role"):
        changes.change_role(Role.objects.get(user=owner), role_name=RoleName.OWNER, actor=owner)


def test_the_last_owner_cannot_be_removed(project, owner, other):
    Role.objects.create(user=other, project=project, role_name=RoleName.MAINTAINER)
    with pytest.raises(ChangeRefused, match="only Owner and cannot be removed"):
        changes.remove_role(Role.objects.get(user=owner), actor=owner)
    assert Role.objects.filter(user=owner).exists()


def test_remove_role_deletes_it_and_records_the_event(project, owner, other):
    role = Role.objects.create(user=other, project=project, role_name=RoleName.MAINTAINER)
    changes.remove_role(role, actor=owner)
    assert not Role.objects.filter(pk=role.pk).exists()
    event = Event.objects.get(tag=EventTag.PROJECT_ROLE_REMOVE)
    assert event.additional == {"target_user": "max", "role_name": "Maintainer"}


# --- status (PEP 792) and the one visibility rule -------------------------------------------


def visible_everywhere(client, project, wheel) -> dict[str, int]:
    """What each reader of the index answers about the project: status codes by reader."""
    name = project.normalized_name
    return {
        "simple page": client.get(f"/simple/{name}/").status_code,
        "simple index": 200
        if f'href="{name}/"' in client.get("/simple/").content.decode()
        else 404,
        "json api": client.get(f"/pypi/{name}/json").status_code,
        "file": client.get(f"/packages/{wheel.path}").status_code,
        "metadata": client.get(f"/packages/{wheel.metadata_path}").status_code,
        "project page": client.get(f"/project/{name}/").status_code,
        "search": 200 if name in client.get("/search/?q=cheese").content.decode() else 404,
    }


def test_quarantine_hides_the_project_from_every_reader_and_lifting_it_restores_it(
    client, project, wheel, owner
):
    shown = visible_everywhere(client, project, wheel)
    assert set(shown.values()) == {200}, shown

    changes.set_status(project, "quarantined", reason="under review", actor=None, admin=True)

    assert set(visible_everywhere(client, project, wheel).values()) == {404}
    assert not SimpleDetailPage.objects.filter(project=project).exists()
    event = Event.objects.get(tag=EventTag.PROJECT_STATUS_CHANGE)
    assert event.additional == {
        "status": "quarantined",
        "previous_status": "active",
        "reason": "under review",
    }
    project.refresh_from_db()
    assert (project.status, project.status_reason, project.last_serial) == (
        "quarantined",
        "under review",
        event.id,
    )

    changes.set_status(project, "active", actor=None, admin=True)

    assert visible_everywhere(client, project, wheel) == shown
    lifted = Event.objects.filter(tag=EventTag.PROJECT_STATUS_CHANGE).last()
    assert simple_json(project)["meta"]["_last-serial"] == lifted.id


def test_an_archived_project_stays_visible_and_says_so_in_its_pages(project, owner):
    changes.set_status(project, "archived", reason="moved to cheese-tools2", actor=owner)
    assert simple_json(project)["project-status"] == {
        "status": "archived",
        "reason": "moved to cheese-tools2",
    }


@pytest.mark.parametrize("status", ["deleted", "", "Quarantined"])
def test_a_status_pep_792_does_not_name_is_refused(project, owner, status):
    with pytest.raises(ChangeRefused, match="is not a project status"):
        changes.set_status(project, status, actor=owner)
    assert not Event.objects.exists()


def test_setting_the_status_a_project_has_is_refused(project, owner):
    with pytest.raises(ChangeRefused, match="already has the status active"):
        changes.set_status(project, "active", actor=owner)
    assert not Event.objects.exists()


# --- quarantine: the project is frozen for everyone but its administrators -----------------


def quarantine(project) -> None:
    changes.set_status(project, "quarantined", reason="under review", actor=None, admin=True)


def test_an_owner_cannot_put_a_project_in_quarantine(project, owner):
    with pytest.raises(ChangeRefused, match="Only the index's administrators"):
        changes.set_status(project, "quarantined", actor=owner)
    project.refresh_from_db()
    assert project.status == "active"
    assert not Event.objects.exists()


@pytest.mark.parametrize("status", ["active", "archived", "deprecated"])
def test_an_owner_cannot_lift_a_quarantine(project, owner, status):
    quarantine(project)
    before = Event.objects.count()

    with pytest.raises(ChangeRefused, match="is quarantined while the index's administrators"):
        changes.set_status(project, status, actor=owner)

    project.refresh_from_db()
    assert project.status == "quarantined"
    assert Event.objects.count() == before


def test_every_change_an_owner_can_make_is_refused_on_a_quarantined_project(
    project, release, wheel, owner, other
):
    changes.invite_collaborator(project, invitee=other, role_name="Maintainer", actor=owner)
    invitation = RoleInvitation.objects.get()
    role = Role.objects.get(user=owner)
    quarantine(project)
    before = Event.objects.count()
    attempts = {
        "yank": lambda: changes.yank_release(release, actor=owner),
        "delete file": lambda: changes.delete_file(wheel, actor=owner),
        "delete release": lambda: changes.delete_release(release, actor=owner),
        "delete project": lambda: changes.delete_project(project, actor=owner),
        "invite": lambda: changes.invite_collaborator(
            project, invitee=create_user("zoe", "zoe@example.com"), role_name="Owner", actor=owner
        ),
        "accept": lambda: changes.accept_invitation(invitation),
        "decline": lambda: changes.decline_invitation(invitation),
        "revoke": lambda: changes.revoke_invitation(invitation, actor=owner),
        "change role": lambda: changes.change_role(role, role_name="Maintainer", actor=owner),
        "remove role": lambda: changes.remove_role(role, actor=owner),
    }
    refused = []
    for name, attempt in attempts.items():
        with pytest.raises(ChangeRefused, match="is quarantined") as caught:
            attempt()
        refused.append((name, "lift the quarantine" in caught.value.message))

    assert refused == [(name, True) for name in attempts]
    assert Event.objects.count() == before
    assert Release.objects.filter(pk=release.pk, yanked=False).exists()
    assert File.objects.filter(pk=wheel.pk).exists()
    assert RoleInvitation.objects.filter(pk=invitation.pk).exists()


def test_an_unyank_is_refused_on_a_quarantined_project(project, release, owner):
    changes.yank_release(release, actor=owner)
    quarantine(project)
    with pytest.raises(ChangeRefused, match="is quarantined"):
        changes.unyank_release(release, actor=owner)


def test_an_administrator_can_still_remove_a_quarantined_project(project, owner):
    quarantine(project)
    changes.delete_project(project, actor=None, credential=ADMIN, admin=True)
    assert not Project.objects.exists()
    assert tags()[-2:] == ["project:remove", "admin:project:remove"]
