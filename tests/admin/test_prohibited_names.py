"""Prohibited project names: added normalized, removed, each an audit event; uploads obey."""

import pytest

from cheeseshop.audit.models import Event
from cheeseshop.packaging.models import ProhibitedProjectName
from tests.admin.conftest import run_action
from tests.packaging.dists import make_wheel

pytestmark = pytest.mark.django_db

NAMES = "/admin/packaging/prohibitedprojectname/"


def add_name(client, name: str, comment: str = ""):
    return client.post(f"{NAMES}add/", {"name": name, "comment": comment})


def test_added_name_is_stored_normalized_with_who_and_an_event(staff_client, staff):
    response = add_name(staff_client, "Evil__Pkg.Name", "typosquat")
    assert response.status_code == 302, response.context["adminform"].form.errors

    prohibited = ProhibitedProjectName.objects.get()
    assert (prohibited.name, prohibited.comment) == ("evil-pkg-name", "typosquat")
    assert prohibited.prohibited_by == staff
    event = Event.objects.get(tag="admin:prohibited_name:add")
    assert event.actor == staff
    assert event.credential == {"method": "admin"}
    assert event.additional == {"name": "evil-pkg-name", "comment": "typosquat"}


def test_upload_under_a_prohibited_name_is_refused(staff_client, post_upload, tmp_path):
    add_name(staff_client, "evil-pkg")
    response = post_upload(make_wheel(tmp_path, "Evil.Pkg", "1.0"), "Evil.Pkg", "1.0")
    assert response.status_code == 400
    assert "The name 'Evil.Pkg' isn't allowed." in response.content.decode()


@pytest.mark.parametrize("name", ["-leading-dash", "spaces in it", "ünïcode", ""])
def test_invalid_name_is_refused_and_nothing_recorded(staff_client, name):
    response = add_name(staff_client, name)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["name"]
    assert not ProhibitedProjectName.objects.exists()
    assert not Event.objects.filter(tag="admin:prohibited_name:add").exists()


def test_name_already_prohibited_under_another_spelling_is_refused(staff_client):
    add_name(staff_client, "evil-pkg")
    response = add_name(staff_client, "EVIL_PKG")
    assert response.status_code == 200
    assert "already prohibited" in str(response.context["adminform"].form.errors["name"])
    assert ProhibitedProjectName.objects.count() == 1


def test_prohibiting_the_name_of_an_existing_project_warns_it_stays(staff_client, uploaded):
    uploaded()
    response = staff_client.post(
        f"{NAMES}add/", {"name": "Example_Pkg", "comment": ""}, follow=True
    )
    assert "does not remove it" in response.content.decode()


def test_remove_through_the_delete_action_records_an_event(staff_client, staff):
    add_name(staff_client, "evil-pkg")
    prohibited = ProhibitedProjectName.objects.get()

    run_action(staff_client, NAMES, "delete_selected", [prohibited.pk], confirm=True)

    assert not ProhibitedProjectName.objects.exists()
    event = Event.objects.get(tag="admin:prohibited_name:remove")
    assert (event.actor, event.additional["name"]) == (staff, "evil-pkg")


def test_remove_through_the_delete_page_records_an_event(staff_client):
    add_name(staff_client, "evil-pkg")
    prohibited = ProhibitedProjectName.objects.get()

    staff_client.post(f"{NAMES}{prohibited.pk}/delete/", {"post": "yes"})

    assert not ProhibitedProjectName.objects.exists()
    assert Event.objects.filter(tag="admin:prohibited_name:remove").count() == 1


def test_after_removal_the_name_can_be_uploaded(staff_client, post_upload, tmp_path):
    add_name(staff_client, "evil-pkg")
    run_action(
        staff_client,
        NAMES,
        "delete_selected",
        [ProhibitedProjectName.objects.get().pk],
        confirm=True,
    )
    response = post_upload(make_wheel(tmp_path, "evil-pkg", "1.0"), "evil-pkg", "1.0")
    assert response.status_code == 200, response.content


def test_the_name_cannot_be_edited_only_the_comment(staff_client):
    add_name(staff_client, "evil-pkg", "first")
    prohibited = ProhibitedProjectName.objects.get()
    staff_client.post(
        f"{NAMES}{prohibited.pk}/change/", {"name": "other-name", "comment": "second"}
    )
    prohibited.refresh_from_db()
    assert (prohibited.name, prohibited.comment) == ("evil-pkg", "second")
