"""Security notices to a project's Owners: which events send one, to whom, only after commit,
and the per-user setting that turns the non-critical ones off."""

import pytest
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext

from cheeseshop.audit.models import EventTag
from cheeseshop.audit.services import ADMIN, SESSION, record_event
from cheeseshop.flags.models import FlagId
from cheeseshop.flags.services import set_flag
from cheeseshop.packaging import changes
from cheeseshop.packaging.models import Role, RoleInvitation, RoleName
from cheeseshop.tokens.services import issue_token

pytestmark = pytest.mark.django_db

SETTINGS = "/manage/account/notifications/"


@pytest.fixture
def second_owner(stranger, project):
    Role.objects.create(user=stranger, project=project, role_name=RoleName.OWNER)
    return stranger


def recipients(mailoutbox) -> list[str]:
    return sorted(address for message in mailoutbox for address in message.to)


def turn_off_non_critical(user) -> None:
    user.notify_non_critical = False
    user.save(update_fields=["notify_non_critical"])


def test_a_file_deletion_tells_every_owner_after_commit(
    owner, second_owner, project, wheel, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        changes.delete_file(wheel, actor=owner)
    assert mailoutbox == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert recipients(mailoutbox) == ["olivia@example.com", "sam@example.com"]
    message = mailoutbox[0]
    assert "Security notice for project Cheese_Tools: File deleted" in message.subject
    assert f"File {wheel.filename} of project 'Cheese_Tools' was deleted." in message.body
    assert "By: olivia, authenticated with: Signed in on the web" in message.body
    assert "/manage/project/cheese-tools/history/" in message.body


def test_maintainers_are_not_told(
    owner, maintainer, project, wheel, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        changes.delete_file(wheel, actor=owner)
    assert "max@example.com" not in recipients(mailoutbox)


def test_a_rolled_back_change_sends_nothing(
    owner, project, wheel, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                changes.delete_file(wheel, actor=owner)
                raise RuntimeError("abort")
        except RuntimeError:
            pass
    assert callbacks == []
    assert mailoutbox == []


def test_an_admin_deletion_sends_one_notice_not_two(
    owner, staff, project, wheel, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        changes.delete_file(wheel, actor=staff, credential=ADMIN, admin=True)
    assert recipients(mailoutbox) == ["olivia@example.com"]
    assert "By: staffer, authenticated with: Admin area" in mailoutbox[0].body


def test_a_project_deletion_tells_the_owners_it_had(
    owner, second_owner, project, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        changes.delete_project(project, actor=owner)
    assert recipients(mailoutbox) == ["olivia@example.com", "sam@example.com"]
    body = mailoutbox[0].body
    assert "Project 'Cheese_Tools' was deleted, with all its releases and files." in body
    assert "/history/" not in body  # the project is gone, and its page with it


def test_a_release_deletion_is_critical(
    owner, release, mailoutbox, django_capture_on_commit_callbacks
):
    turn_off_non_critical(owner)
    with django_capture_on_commit_callbacks(execute=True):
        changes.delete_release(release, actor=owner)
    assert recipients(mailoutbox) == ["olivia@example.com"]
    assert "Release 1.0 of project 'Cheese_Tools' was deleted" in mailoutbox[0].body


@pytest.mark.parametrize("setting", [True, False])
def test_a_token_added_for_the_project_follows_the_setting(
    owner, maintainer, project, mailoutbox, django_capture_on_commit_callbacks, setting
):
    owner.notify_non_critical = setting
    owner.save()
    with django_capture_on_commit_callbacks(execute=True):
        issue_token(
            maintainer,
            description="CI",
            project_names=["cheese-tools"],
            credential=SESSION,
            actor=maintainer,
        )
    assert recipients(mailoutbox) == (["olivia@example.com"] if setting else [])
    if setting:
        body = mailoutbox[0].body
        assert "An API token of user 'max', “CI”, may now upload to project" in body
        assert "/manage/account/notifications/" in body  # how to turn these off


def test_a_token_for_all_projects_is_not_a_project_notice(
    owner, maintainer, project, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        issue_token(maintainer, description="any", credential=SESSION, actor=maintainer)
    assert mailoutbox == []


@pytest.mark.parametrize("setting", [True, False])
def test_a_role_change_between_maintainer_roles_follows_the_setting(
    owner,
    second_owner,
    maintainer,
    project,
    mailoutbox,
    django_capture_on_commit_callbacks,
    setting,
):
    # Stands for any change not involving the Owner role.
    owner.notify_non_critical = setting
    owner.save()
    turn_off_non_critical(second_owner)
    with django_capture_on_commit_callbacks(execute=True):
        record_event(
            EventTag.PROJECT_ROLE_CHANGE,
            actor=owner,
            credential=SESSION,
            project=project,
            additional={
                "target_user": "max",
                "role_name": "Maintainer",
                "previous_role_name": "Maintainer",
            },
        )
    expected = ["max@example.com"] if not setting else ["max@example.com", "olivia@example.com"]
    assert recipients(mailoutbox) == expected  # the collaborator concerned is told too


def test_a_new_owner_is_critical(
    owner, second_owner, maintainer, project, mailoutbox, django_capture_on_commit_callbacks
):
    turn_off_non_critical(owner)
    turn_off_non_critical(second_owner)
    role = Role.objects.get(user=maintainer, project=project)
    with django_capture_on_commit_callbacks(execute=True):
        changes.change_role(role, role_name=RoleName.OWNER, actor=owner)
    assert recipients(mailoutbox) == ["max@example.com", "olivia@example.com", "sam@example.com"]
    body = mailoutbox[0].body
    assert "User 'max' now has the role Owner on project 'Cheese_Tools' (was Maintainer)." in body


def test_demoting_an_owner_is_critical(
    owner, second_owner, project, mailoutbox, django_capture_on_commit_callbacks
):
    turn_off_non_critical(owner)
    turn_off_non_critical(second_owner)
    role = Role.objects.get(user=second_owner, project=project)
    with django_capture_on_commit_callbacks(execute=True):
        changes.change_role(role, role_name=RoleName.MAINTAINER, actor=owner)
    # The demoted Owner is told too, though no longer an Owner.
    assert recipients(mailoutbox) == ["olivia@example.com", "sam@example.com"]


def test_removing_an_owner_tells_them_and_the_other_owners(
    owner, second_owner, project, mailoutbox, django_capture_on_commit_callbacks
):
    turn_off_non_critical(owner)
    role = Role.objects.get(user=second_owner, project=project)
    with django_capture_on_commit_callbacks(execute=True):
        changes.remove_role(role, actor=owner)
    assert recipients(mailoutbox) == ["olivia@example.com", "sam@example.com"]
    assert "User 'sam' (Owner) was removed from project 'Cheese_Tools'." in mailoutbox[0].body


def test_a_new_collaborator_is_critical_and_the_newcomer_is_not_told(
    owner, stranger, project, mailoutbox, django_capture_on_commit_callbacks
):
    turn_off_non_critical(owner)
    invitation = RoleInvitation.objects.create(
        user=stranger, project=project, role_name=RoleName.OWNER, invited_by=owner
    )
    with django_capture_on_commit_callbacks(execute=True):
        changes.accept_invitation(invitation)
    assert recipients(mailoutbox) == ["olivia@example.com"]
    assert (
        "User 'sam' became a collaborator on project 'Cheese_Tools' as Owner."
        in mailoutbox[0].body
    )


def test_events_without_a_notice_send_nothing(
    owner, release, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        changes.yank_release(release, actor=owner, reason="broken")
        record_event(EventTag.ACCOUNT_LOGIN_SUCCESS, actor=owner, user=owner)
    assert mailoutbox == []


def test_owners_without_a_verified_address_are_not_mailed(
    owner, second_owner, project, wheel, mailoutbox, django_capture_on_commit_callbacks
):
    second_owner.emailaddress_set.update(verified=False)
    with django_capture_on_commit_callbacks(execute=True):
        changes.delete_file(wheel, actor=owner)
    assert recipients(mailoutbox) == ["olivia@example.com"]


def test_a_failing_mail_server_neither_raises_nor_stops_the_other_notices(
    owner,
    second_owner,
    project,
    wheel,
    mailoutbox,
    monkeypatch,
    django_capture_on_commit_callbacks,
    caplog,
):
    from cheeseshop.accounts import project_notices as notifications

    real_send_mail = notifications.send_mail

    def send_mail(subject, body, sender, to):
        if to == ["olivia@example.com"]:
            raise ConnectionRefusedError("mail server down")
        return real_send_mail(subject, body, sender, to)

    monkeypatch.setattr(notifications, "send_mail", send_mail)
    with django_capture_on_commit_callbacks(execute=True):
        changes.delete_file(wheel, actor=owner)
    assert recipients(mailoutbox) == ["sam@example.com"]
    assert "Could not send a security notice to olivia" in caplog.text


# --- The setting page ------------------------------------------------------------------------


def test_the_setting_is_on_by_default_and_shown(owner_client, owner):
    assert owner.notify_non_critical is True
    page = owner_client.get(SETTINGS).content.decode()
    assert 'name="notify_non_critical"' in page
    assert "checked" in page


def test_the_setting_can_be_turned_off_and_on(owner_client, owner):
    response = owner_client.post(SETTINGS, {})
    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.notify_non_critical is False
    owner_client.post(SETTINGS, {"notify_non_critical": "on"})
    owner.refresh_from_db()
    assert owner.notify_non_critical is True


def test_the_setting_is_refused_while_read_only(owner_client, owner):
    set_flag(FlagId.READ_ONLY, enabled=True)
    response = owner_client.post(SETTINGS, {})
    assert response.status_code == 403
    owner.refresh_from_db()
    assert owner.notify_non_critical is True


def test_the_setting_page_needs_a_login(client):
    response = client.post(SETTINGS, {})
    assert response.status_code == 302
    assert response["Location"].startswith("/account/login/")


def test_creating_a_project_tells_nobody(
    owner, project, mailoutbox, django_capture_on_commit_callbacks
):
    # What an upload of a new project records: its creator became its first Owner.
    with django_capture_on_commit_callbacks(execute=True):
        record_event(
            EventTag.PROJECT_ROLE_ADD,
            actor=owner,
            project=project,
            additional={"target_user": "olivia", "role_name": "Owner"},
        )
    assert mailoutbox == []


def test_each_owner_is_told_in_their_own_language(
    owner, second_owner, project, wheel, mailoutbox, django_capture_on_commit_callbacks
):
    second_owner.language = "fr"
    second_owner.save(update_fields=["language"])
    # The language of whoever deleted it counts for nothing to the other Owner.
    with translation.override("de"), django_capture_on_commit_callbacks(execute=True):
        changes.delete_file(wheel, actor=owner)
    by_address = {message.to[0]: message for message in mailoutbox}
    deleted = "File %(filename)s of project '%(project)s' was deleted."
    facts = {"filename": wheel.filename, "project": "Cheese_Tools"}
    with translation.override("de"):  # never chose, and acted: the page's language
        assert gettext(deleted) != deleted
        assert gettext(deleted) % facts in by_address["olivia@example.com"].body
    with translation.override("fr"):
        assert gettext(deleted) != deleted
        assert gettext(deleted) % facts in by_address["sam@example.com"].body
        assert gettext("Owner") != "Owner"


def test_a_role_named_in_a_notice_is_in_the_readers_language(
    owner, project, maintainer, mailoutbox, django_capture_on_commit_callbacks
):
    owner.language = "fr"
    owner.save(update_fields=["language"])
    with django_capture_on_commit_callbacks(execute=True):
        changes.change_role(
            Role.objects.get(user=maintainer, project=project),
            role_name=RoleName.OWNER,
            actor=owner,
        )
    with translation.override("fr"):
        owner_in_french = gettext("Owner")
    [message] = [m for m in mailoutbox if m.to == ["olivia@example.com"]]
    assert owner_in_french in message.body
