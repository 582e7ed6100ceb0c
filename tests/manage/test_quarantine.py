"""A quarantined project under /manage/: its collaborators see why in a banner, find no change
form, and a change posted anyway is refused with the rule's message."""

import pytest

from cheeseshop.audit.models import Event
from cheeseshop.packaging import changes
from cheeseshop.packaging.models import File, Project, Release, Role

pytestmark = pytest.mark.django_db

PROJECT = "/manage/project/cheese-tools/"
PAGES = [
    PROJECT + "settings/",
    PROJECT + "collaboration/",
    PROJECT + "releases/",
    PROJECT + "release/1.0/",
    PROJECT + "history/",
]
BANNER_HEADING = '<h2 id="quarantine-heading">This project is quarantined</h2>'


@pytest.fixture
def quarantined(project):
    changes.set_status(project, "quarantined", reason="malware", actor=None, admin=True)
    return project


@pytest.mark.parametrize("path", PAGES)
def test_every_project_page_shows_the_quarantine_banner_with_a_heading(
    owner_client, quarantined, path
):
    page = owner_client.get(path).content.decode()
    assert BANNER_HEADING in page
    assert "quarantined while administrators review it" in page


@pytest.mark.parametrize("path", PAGES)
def test_an_active_project_shows_no_banner(owner_client, project, path):
    assert "quarantine-heading" not in owner_client.get(path).content.decode()


@pytest.mark.parametrize("path", PAGES)
def test_a_quarantined_project_has_no_change_form(owner_client, quarantined, path):
    page = owner_client.get(path).content.decode()
    for action in ("yank/", "delete/", "/change/", "/remove/", "invite/", "/revoke/"):
        assert f'{action}"' not in page, action


def test_the_owner_sees_the_change_forms_of_an_active_project(owner_client, project):
    page = owner_client.get(PROJECT + "release/1.0/").content.decode()
    assert 'yank/"' in page
    assert 'delete/"' in page


def test_a_yank_posted_to_a_quarantined_project_is_refused_and_changes_nothing(
    owner_client, quarantined
):
    before = Event.objects.count()
    response = owner_client.post(PROJECT + "release/1.0/yank/", {"reason": "x"})
    assert response.status_code == 400
    assert "is quarantined while the index" in response.content.decode()
    assert not Release.objects.get().yanked
    assert Event.objects.count() == before


def test_deleting_a_quarantined_project_is_refused(owner_client, quarantined):
    response = owner_client.post(
        PROJECT + "delete/", {"confirm_project_name": "Cheese_Tools"}, follow=False
    )
    assert response.status_code == 400
    assert Project.objects.filter(pk=quarantined.pk).exists()
    assert File.objects.count() == 2


def test_a_maintainer_cannot_leave_a_quarantined_project(
    maintainer_client, maintainer, quarantined
):
    role = Role.objects.get(user=maintainer)
    response = maintainer_client.post(PROJECT + f"collaboration/roles/{role.pk}/remove/")
    assert response.status_code == 400
    assert Role.objects.filter(pk=role.pk).exists()


def test_a_stranger_still_gets_403_on_a_quarantined_project(stranger_client, quarantined):
    response = stranger_client.get(PROJECT + "settings/")
    assert response.status_code == 403
    assert "quarantine" not in response.content.decode()
