"""Notices mailed to an account's owner are written in the owner's language, never in that of
whoever caused them (cheeseshop.accounts.notices, cheeseshop.accounts.languages)."""

import pytest
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

pytestmark = pytest.mark.django_db

COOKIE = settings.LANGUAGE_COOKIE_NAME
INVITE = "/manage/project/cheese-tools/collaboration/invite/"
INVITED = "%(inviter)s invited you (%(username)s) to become %(role)s of project %(project)s."


def translated(language: str, msgid: str, **values) -> str:
    """``msgid`` in ``language``; fails while that catalogue does not translate it yet."""
    with translation.override(language):
        text = gettext(msgid)
    assert text != msgid, f"the {language} catalogue does not translate {msgid!r} yet"
    return text % values if values else text


def choose(user, code: str) -> None:
    user.language = code
    user.save(update_fields=["language"])


@pytest.mark.parametrize(
    ("invitee_language", "inviter_page"),
    [
        ("ja", "fr"),
        ("fr", "ja"),
    ],
)
def test_an_invitation_is_written_in_the_invitees_language_not_the_inviters(
    owner_client,
    stranger,
    project,
    mailoutbox,
    django_capture_on_commit_callbacks,
    invitee_language,
    inviter_page,
):
    choose(stranger, invitee_language)
    owner_client.cookies[COOKIE] = inviter_page
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            owner_client.post(INVITE, {"username": "sam", "role_name": "Owner"}).status_code == 302
        )
    [mail] = mailoutbox
    assert mail.subject.endswith(
        translated(invitee_language, "Invitation to project %(project)s", project="Cheese_Tools")
    )
    role = translated(invitee_language, "Owner")
    assert (
        translated(
            invitee_language,
            INVITED,
            inviter="olivia",
            username="sam",
            role=role,
            project="Cheese_Tools",
        )
        in mail.body
    )


def test_an_invitation_to_someone_who_never_chose_is_in_the_sites_language(
    owner_client, stranger, project, mailoutbox, django_capture_on_commit_callbacks
):
    owner_client.cookies[COOKIE] = "fr"  # the inviter's language says nothing of the invitee's
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(INVITE, {"username": "sam", "role_name": "Owner"})
    [mail] = mailoutbox
    assert mail.subject.endswith("Invitation to project Cheese_Tools")
    assert "olivia invited you (sam) to become Owner of project Cheese_Tools." in mail.body
