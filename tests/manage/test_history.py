"""The project history page: the project's audit events, newest first, with who and how."""

import pytest

from cheeseshop.audit.models import EventTag
from cheeseshop.audit.services import SESSION, Credential, record_event
from tests.index.builders import make_project

pytestmark = pytest.mark.django_db

HISTORY = "/manage/project/cheese-tools/history/"


def rows(page: str) -> list[str]:
    body = page.split("<tbody>")[1].split("</tbody>", maxsplit=1)[0]
    return body.split("<tr>")[1:]


def test_history_lists_events_newest_first_with_actor_credential_and_details(
    owner_client, owner, maintainer, project
):
    record_event(
        EventTag.FILE_ADD,
        actor=maintainer,
        credential=Credential("token", {"token_id": "1", "description": "release bot"}),
        project=project,
        additional={"filename": "cheese_tools-1.0.tar.gz", "version": "1.0"},
    )
    record_event(
        EventTag.PROJECT_RELEASE_YANK,
        actor=owner,
        credential=SESSION,
        project=project,
        additional={"version": "1.0", "yanked_reason": "broken"},
    )
    page = owner_client.get(HISTORY).content.decode()
    newest, oldest = rows(page)
    assert "Release yanked" in newest
    assert "olivia" in newest
    assert "Signed in on the web" in newest
    assert "Reason: broken" in newest
    assert "File added" in oldest
    assert "max" in oldest
    assert "API token “release bot”" in oldest
    assert "File: cheese_tools-1.0.tar.gz" in oldest


def test_history_shows_only_this_projects_events(owner_client, owner, project):
    record_event(EventTag.PROJECT_CREATE, actor=owner, project=make_project("elsewhere"))
    record_event(EventTag.ACCOUNT_LOGIN_SUCCESS, actor=owner, user=owner)
    page = owner_client.get(HISTORY).content.decode()
    assert "Nothing has been recorded for this project yet." in page


def test_history_is_paginated(owner_client, owner, project):
    for number in range(30):
        record_event(
            EventTag.PROJECT_RELEASE_ADD,
            actor=owner,
            project=project,
            additional={"version": f"0.{number}"},
        )
    first = owner_client.get(HISTORY).content.decode()
    assert len(rows(first)) == 25
    assert "Version: 0.29" in first
    assert 'href="?page=2"' in first
    second = owner_client.get(HISTORY + "?page=2").content.decode()
    assert len(rows(second)) == 5
    assert "Version: 0.0" in second
    assert "Version: 0.29" not in second


def test_changes_made_on_the_pages_appear_in_the_history(owner_client, stranger, project):
    owner_client.post("/manage/project/cheese-tools/release/1.0/yank/", {"reason": "bad"})
    owner_client.post(
        "/manage/project/cheese-tools/collaboration/invite/",
        {"username": "sam", "role_name": "Maintainer"},
    )
    page = owner_client.get(HISTORY).content.decode()
    invited, yanked = rows(page)
    assert "Collaborator invited" in invited
    assert "User: sam" in invited
    assert "Release yanked" in yanked
