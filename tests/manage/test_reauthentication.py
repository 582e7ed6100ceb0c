"""Deleting a project, a release or a file needs a recent login or re-authentication, as the
other sensitive account actions do: a session left open (or stolen) for longer than
ACCOUNT_REAUTHENTICATION_TIMEOUT cannot delete without the password again. Once confirmed,
the deletion asked for goes through."""

import pytest
from django.conf import settings

from cheeseshop.packaging.models import File, Project, Release
from tests.accounts.sessions import signed_in_through_the_site

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-staple-42"
RELEASE = "/manage/project/cheese-tools/release/1.0/"


def project_delete(project, release, wheel):
    return "/manage/project/cheese-tools/delete/", {"confirm_project_name": "Cheese_Tools"}


def release_delete(project, release, wheel):
    return RELEASE + "delete/", {"confirm_version": "1.0"}


def file_delete(project, release, wheel):
    return RELEASE + f"files/{wheel.pk}/delete/", {"confirm_filename": wheel.filename}


DELETIONS = [project_delete, release_delete, file_delete]


def remaining() -> tuple[int, int, int]:
    return Project.objects.count(), Release.objects.count(), File.objects.count()


@pytest.fixture
def stale_owner_client(owner):
    owner.set_password(PASSWORD)
    owner.save()
    too_old = settings.ACCOUNT_REAUTHENTICATION_TIMEOUT + 60
    return signed_in_through_the_site(owner, seconds_ago=too_old)


@pytest.mark.parametrize("deletion", DELETIONS, ids=lambda deletion: deletion.__name__)
def test_a_deletion_from_a_session_not_recently_authenticated_asks_for_the_password(
    stale_owner_client, project, release, wheel, deletion
):
    before = remaining()
    path, data = deletion(project, release, wheel)
    response = stale_owner_client.post(path, data)
    assert response.status_code == 302
    assert response["Location"].startswith("/account/reauthenticate/?next=")
    assert remaining() == before


@pytest.mark.parametrize("deletion", DELETIONS, ids=lambda deletion: deletion.__name__)
def test_the_deletion_goes_through_once_the_password_is_confirmed(
    stale_owner_client, project, release, wheel, deletion, django_capture_on_commit_callbacks
):
    before = remaining()
    path, data = deletion(project, release, wheel)
    stale_owner_client.post(path, data)
    with django_capture_on_commit_callbacks(execute=True):
        response = stale_owner_client.post(
            f"/account/reauthenticate/?next={path}", {"password": PASSWORD}
        )
    assert response.status_code == 302
    assert remaining() != before


@pytest.mark.parametrize("deletion", DELETIONS, ids=lambda deletion: deletion.__name__)
def test_a_wrong_password_deletes_nothing(stale_owner_client, project, release, wheel, deletion):
    before = remaining()
    path, data = deletion(project, release, wheel)
    stale_owner_client.post(path, data)
    response = stale_owner_client.post(
        f"/account/reauthenticate/?next={path}", {"password": "not-the-password"}
    )
    assert response.status_code == 200
    assert remaining() == before
