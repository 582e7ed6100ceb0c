"""Inviting, answering, changing and removing collaborators through the pages."""

import pytest

from cheeseshop.audit.models import Event, EventTag
from cheeseshop.packaging.models import Role, RoleInvitation, RoleName
from tests.manage.conftest import messages_of

pytestmark = pytest.mark.django_db

COLLABORATION = "/manage/project/cheese-tools/collaboration/"


def invite(client, username: str, role_name: str = "Maintainer"):
    return client.post(COLLABORATION + "invite/", {"username": username, "role_name": role_name})


def test_invite_then_accept_by_the_invitee_makes_a_collaborator(
    owner_client, stranger, stranger_client, project
):
    response = invite(owner_client, "SAM", "Owner")  # usernames match case-insensitively
    assert response.status_code == 302
    invitation = RoleInvitation.objects.get(user=stranger)
    assert invitation.role_name == RoleName.OWNER
    assert "sam" in owner_client.get(COLLABORATION).content.decode()

    page = stranger_client.get("/manage/projects/").content.decode()
    assert f"/manage/invitations/{invitation.pk}/accept/" in page
    response = stranger_client.post(f"/manage/invitations/{invitation.pk}/accept/", follow=True)
    assert "You are now Owner of project &#x27;Cheese_Tools&#x27;." in response.content.decode()
    assert Role.objects.get(user=stranger, project=project).role_name == RoleName.OWNER
    assert not RoleInvitation.objects.exists()
    assert stranger_client.get(COLLABORATION).status_code == 200


def test_the_invitee_is_mailed_where_to_answer_and_no_one_else_is(
    owner_client, stranger, project, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert invite(owner_client, "sam", "Owner").status_code == 302
    [mail] = mailoutbox
    assert mail.to == ["sam@example.com"]
    assert mail.subject.endswith("Invitation to project Cheese_Tools")
    assert "olivia invited you (sam) to become Owner of project Cheese_Tools." in mail.body
    assert "http://testserver/manage/projects/" in mail.body


def test_a_refused_invitation_mails_no_one(
    owner_client, maintainer, project, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invite(owner_client, "max")  # already a collaborator
    assert not RoleInvitation.objects.exists()
    assert mailoutbox == []


def test_an_invitation_stands_when_its_mail_cannot_be_sent(
    owner_client, stranger, project, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    with django_capture_on_commit_callbacks(execute=True):
        response = invite(owner_client, "sam")
    assert response.status_code == 302
    assert RoleInvitation.objects.filter(user=stranger).exists()


def test_only_the_invitee_can_answer_an_invitation(
    owner_client, maintainer_client, stranger, project
):
    invite(owner_client, "sam")
    invitation = RoleInvitation.objects.get()
    for client in (owner_client, maintainer_client):
        for action in ("accept", "decline"):
            response = client.post(f"/manage/invitations/{invitation.pk}/{action}/")
            assert response.status_code == 404
    assert RoleInvitation.objects.filter(pk=invitation.pk).exists()
    assert not Role.objects.filter(user=stranger).exists()


def test_declining_removes_the_invitation(owner_client, stranger_client, stranger, project):
    invite(owner_client, "sam")
    invitation = RoleInvitation.objects.get()
    response = stranger_client.post(f"/manage/invitations/{invitation.pk}/decline/")
    assert response.status_code == 302
    assert not RoleInvitation.objects.exists()
    assert not Role.objects.filter(user=stranger).exists()
    assert Event.objects.filter(tag=EventTag.ACCOUNT_ROLE_DECLINE_INVITE, user=stranger).exists()


def test_answering_an_invitation_needs_post(stranger_client, owner_client, project):
    invite(owner_client, "sam")
    invitation = RoleInvitation.objects.get()
    assert stranger_client.get(f"/manage/invitations/{invitation.pk}/accept/").status_code == 405


def test_an_owner_revokes_an_invitation(owner_client, stranger_client, project):
    invite(owner_client, "sam")
    invitation = RoleInvitation.objects.get()
    url = f"{COLLABORATION}invitations/{invitation.pk}/revoke/"
    assert owner_client.post(url).status_code == 302
    assert not RoleInvitation.objects.exists()
    response = stranger_client.post(f"/manage/invitations/{invitation.pk}/accept/")
    assert response.status_code == 404


def test_inviting_an_unknown_user_is_refused_on_the_field(owner_client, project):
    response = invite(owner_client, "nobody")
    assert response.status_code == 400
    page = response.content.decode()
    assert "No user is named &#x27;nobody&#x27;." in page
    assert 'aria-describedby="id_username_error"' in page
    assert not RoleInvitation.objects.exists()


def test_inviting_an_existing_collaborator_is_refused(owner_client, project):
    response = invite(owner_client, "max")
    assert response.status_code == 400
    assert "already a collaborator" in response.content.decode()
    assert not RoleInvitation.objects.exists()


def test_an_owner_changes_a_role(owner_client, maintainer, project):
    role = Role.objects.get(user=maintainer)
    response = owner_client.post(f"{COLLABORATION}roles/{role.pk}/change/", {"role_name": "Owner"})
    assert response.status_code == 302
    assert Role.objects.get(pk=role.pk).role_name == RoleName.OWNER
    assert Event.objects.filter(
        tag=EventTag.PROJECT_ROLE_CHANGE, actor__username="olivia"
    ).exists()


def test_an_unknown_role_name_is_refused(owner_client, maintainer, project):
    role = Role.objects.get(user=maintainer)
    response = owner_client.post(f"{COLLABORATION}roles/{role.pk}/change/", {"role_name": "God"})
    assert response.status_code == 400
    assert Role.objects.get(pk=role.pk).role_name == RoleName.MAINTAINER


def test_an_owner_removes_a_maintainer(owner_client, maintainer, project):
    role = Role.objects.get(user=maintainer)
    assert owner_client.post(f"{COLLABORATION}roles/{role.pk}/remove/").status_code == 302
    assert not Role.objects.filter(user=maintainer).exists()


def test_a_maintainer_cannot_remove_the_owner(maintainer_client, owner, project):
    role = Role.objects.get(user=owner)
    response = maintainer_client.post(f"{COLLABORATION}roles/{role.pk}/remove/")
    assert response.status_code == 403
    assert Role.objects.filter(pk=role.pk).exists()


def test_a_maintainer_cannot_change_any_role(maintainer_client, owner, maintainer, project):
    for user, new_role in ((owner, "Maintainer"), (maintainer, "Owner")):
        role = Role.objects.get(user=user)
        response = maintainer_client.post(
            f"{COLLABORATION}roles/{role.pk}/change/", {"role_name": new_role}
        )
        assert response.status_code == 403
        assert Role.objects.get(pk=role.pk).role_name == role.role_name


def test_a_maintainer_can_leave(maintainer_client, maintainer, project):
    role = Role.objects.get(user=maintainer)
    response = maintainer_client.post(f"{COLLABORATION}roles/{role.pk}/remove/", follow=True)
    assert "You left project &#x27;Cheese_Tools&#x27;." in response.content.decode()
    assert not Role.objects.filter(user=maintainer).exists()
    assert maintainer_client.get(COLLABORATION).status_code == 403


def test_the_last_owner_cannot_leave(owner_client, owner, project):
    role = Role.objects.get(user=owner)
    response = owner_client.post(f"{COLLABORATION}roles/{role.pk}/remove/")
    assert response.status_code == 400
    assert any("only Owner and cannot be removed" in m for m in messages_of(response))
    assert Role.objects.filter(pk=role.pk).exists()


def test_the_sole_owner_is_not_offered_leave(owner_client, project):
    page = owner_client.get(COLLABORATION).content.decode()
    assert "Leave this project" not in page
    assert "Remove max" in page


def test_an_owner_with_another_owner_is_offered_leave_and_can_leave(
    owner_client, owner, maintainer, project
):
    Role.objects.filter(user=maintainer).update(role_name=RoleName.OWNER)
    assert "Leave this project" in owner_client.get(COLLABORATION).content.decode()
    role = Role.objects.get(user=owner)
    response = owner_client.post(f"{COLLABORATION}roles/{role.pk}/remove/")
    assert response.status_code == 302
    assert not Role.objects.filter(pk=role.pk).exists()


def test_the_last_owner_cannot_be_demoted(owner_client, owner, project):
    role = Role.objects.get(user=owner)
    response = owner_client.post(
        f"{COLLABORATION}roles/{role.pk}/change/", {"role_name": "Maintainer"}
    )
    assert response.status_code == 400
    assert any("only Owner and cannot be demoted" in m for m in messages_of(response))
    assert Role.objects.get(pk=role.pk).role_name == RoleName.OWNER


def test_a_role_of_another_project_is_not_found(owner_client, project, maintainer):
    from tests.index.builders import make_project

    other = make_project("other")
    foreign = Role.objects.create(user=maintainer, project=other, role_name=RoleName.OWNER)
    response = owner_client.post(f"{COLLABORATION}roles/{foreign.pk}/remove/")
    assert response.status_code == 404
    assert Role.objects.filter(pk=foreign.pk).exists()
