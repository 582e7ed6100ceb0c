"""The audit trail in the admin: listed, filtered and searched, never added, changed, deleted."""

import pytest

from cheeseshop.audit.models import Event, EventTag
from cheeseshop.audit.services import Credential, record_event
from cheeseshop.packaging.models import Project

pytestmark = pytest.mark.django_db

EVENTS = "/admin/audit/event/"


def listed(client, **params) -> list[Event]:
    response = client.get(EVENTS, params)
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


@pytest.fixture
def events(uploaded, user):
    uploaded()
    record_event(EventTag.ACCOUNT_LOGIN_SUCCESS, actor=user, user=user, credential=Credential("x"))
    return Event.objects.all()


def test_list_shows_every_event_newest_first(staff_client, events):
    assert [e.pk for e in listed(staff_client)] == sorted((e.pk for e in events), reverse=True)


def test_filter_by_tag(staff_client, events):
    assert [e.tag for e in listed(staff_client, tag="file:add")] == ["file:add"]


def test_search_by_project_id(staff_client, events):
    project = Project.objects.get()
    found = listed(staff_client, q=str(project.pk))
    assert found
    assert all(project.pk in (e.project_id, e.user_id, e.actor_id) for e in found)
    assert {e.tag for e in found} >= {"project:create", "file:add"}


def test_search_by_user_id_finds_their_events(staff_client, events, user):
    found = listed(staff_client, q=str(user.pk))
    assert "account:login:success" in {e.tag for e in found}


def test_search_by_project_name_and_by_username(staff_client, events, user):
    assert {e.tag for e in listed(staff_client, q="Example-Pkg")} >= {"project:create"}
    assert "account:login:success" in {e.tag for e in listed(staff_client, q="alice")}
    assert listed(staff_client, q="nobody-at-all") == []


def test_events_of_a_deleted_project_still_list_with_its_id(staff_client, events):
    project = Project.objects.get()
    Project.objects.all().delete()
    response = staff_client.get(EVENTS, {"q": str(project.pk)})
    assert f"#{project.pk} (deleted)" in response.content.decode()


def test_event_page_is_read_only(staff_client, events):
    event = Event.objects.get(tag="file:add")
    url = f"{EVENTS}{event.pk}/change/"
    page = staff_client.get(url)
    assert page.status_code == 200
    assert "File added" in page.content.decode()
    assert staff_client.post(url, {"tag": "file:remove"}).status_code == 403
    event.refresh_from_db()
    assert event.tag == "file:add"


def test_events_cannot_be_added_or_deleted(staff_client, events):
    event = Event.objects.first()
    count = Event.objects.count()
    assert staff_client.get(f"{EVENTS}add/").status_code == 403
    assert staff_client.get(f"{EVENTS}{event.pk}/delete/").status_code == 403
    assert staff_client.post(f"{EVENTS}{event.pk}/delete/", {"post": "yes"}).status_code == 403
    staff_client.post(
        EVENTS, {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"}
    )
    assert Event.objects.count() == count
