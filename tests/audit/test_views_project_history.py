"""A project's Security history at /manage/project/<name>/history/: for its collaborators only,
project and file events, which token uploaded each file, filterable by kind, paginated."""

import pytest

from cheeseshop.audit.models import EventTag
from cheeseshop.audit.services import ADMIN, SESSION, Credential, hash_ip, record_event
from cheeseshop.packaging.changes import delete_file
from tests.audit.conftest import record

pytestmark = pytest.mark.django_db

HISTORY = "/manage/project/cheese-tools/history/"


def rows(page: str) -> list[str]:
    if "<tbody>" not in page:
        return []
    body = page.split("<tbody>")[1].split("</tbody>", maxsplit=1)[0]
    return body.split("<tr>")[1:]


def test_a_maintainer_sees_their_projects_history(maintainer_client, owner, project):
    record_event(EventTag.PROJECT_RELEASE_YANK, actor=owner, project=project, credential=SESSION)
    response = maintainer_client.get(HISTORY)
    assert response.status_code == 200
    assert "Release yanked" in response.content.decode()


def test_a_maintainer_cannot_see_another_projects_history(maintainer_client, other_project):
    record_event(EventTag.PROJECT_RELEASE_YANK, project=other_project)
    response = maintainer_client.get("/manage/project/other-thing/history/")
    assert response.status_code == 403
    assert "Release yanked" not in response.content.decode()


def test_a_stranger_cannot_see_the_history(stranger_client, project):
    assert stranger_client.get(HISTORY).status_code == 403


def test_anonymous_visitors_are_sent_to_the_login_page(client, project):
    response = client.get(HISTORY)
    assert response.status_code == 302
    assert response["Location"].startswith("/account/login/")


def test_file_events_say_which_token_uploaded_the_file_and_from_where(
    owner_client, maintainer, project, wheel
):
    record(
        EventTag.FILE_ADD,
        actor=maintainer,
        project=project,
        file=wheel,
        credential=Credential("token", {"token_id": "42", "description": "CI on main"}),
        additional={"filename": wheel.filename, "version": "1.0"},
        ip="198.51.100.20",
        user_agent="twine/6.1.0 CPython/3.12.1",
    )
    newest = rows(owner_client.get(HISTORY).content.decode())[0]
    assert "File added" in newest
    assert f"File: {wheel.filename}" in newest
    assert "max" in newest
    assert "API token “CI on main”" in newest
    assert hash_ip("198.51.100.20")[:12] in newest
    assert "twine 6.1.0 (CPython 3.12.1)" in newest


def test_file_deletions_show_with_their_admin_counterpart(owner_client, staff, project, wheel):
    delete_file(wheel, actor=staff, credential=ADMIN, admin=True)
    admin_row, file_row = rows(owner_client.get(HISTORY).content.decode())[:2]
    assert "Admin deleted a file" in admin_row
    assert "File deleted" in file_row
    assert "Admin area" in file_row


@pytest.fixture
def mixed_events(owner, maintainer, project, wheel, other_project):
    record_event(EventTag.PROJECT_SETTINGS_CHANGE, actor=owner, project=project)
    record_event(
        EventTag.PROJECT_ROLE_CHANGE,
        actor=owner,
        project=project,
        additional={"target_user": "max", "role_name": "Owner"},
    )
    record_event(EventTag.PROJECT_RELEASE_YANK, actor=owner, project=project)
    record_event(EventTag.FILE_ADD, actor=maintainer, project=project, file=wheel)
    record_event(EventTag.PROJECT_API_TOKEN_ADDED, actor=maintainer, project=project)
    record_event(EventTag.ADMIN_RELEASE_REMOVE, actor=owner, project=project)
    record_event(EventTag.FILE_REMOVE, actor=owner, project=other_project)


@pytest.mark.parametrize(
    ("kind", "shown"),
    [
        ("project", {"Project settings changed"}),
        ("collaborators", {"Collaborator role changed"}),
        ("releases", {"Release yanked"}),
        ("files", {"File added"}),
        ("tokens", {"API token for the project added"}),
        ("admin", {"Admin deleted a release"}),
    ],
)
def test_filter_by_kind(owner_client, mixed_events, kind, shown):
    page = owner_client.get(HISTORY, {"kind": kind}).content.decode()
    labels = {row.split('<th scope="row">')[1].split("</th>")[0] for row in rows(page)}
    assert labels == shown


def test_without_a_filter_every_event_of_the_project_and_only_those(owner_client, mixed_events):
    page = owner_client.get(HISTORY).content.decode()
    assert len(rows(page)) == 6
    assert "File deleted" not in page  # the other project's


def test_an_unknown_kind_is_refused_by_name(owner_client, project):
    response = owner_client.get(HISTORY, {"kind": "everything"})
    assert response.status_code == 400
    assert "&#x27;everything&#x27; is not a kind of event here" in response.content.decode()


def test_pages_keep_the_filter(owner_client, owner, project):
    for number in range(27):
        record_event(
            EventTag.PROJECT_RELEASE_YANK,
            actor=owner,
            project=project,
            additional={"version": f"0.{number}"},
        )
    first = owner_client.get(HISTORY, {"kind": "releases"}).content.decode()
    assert len(rows(first)) == 25
    assert 'href="?kind=releases&amp;page=2"' in first
    second = owner_client.get(HISTORY, {"kind": "releases", "page": 2}).content.decode()
    assert len(rows(second)) == 2
    assert "Version: 0.0<" in second
