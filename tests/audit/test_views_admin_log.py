"""The admin Audit log at /admin/audit/event/log/: staff only, filters by user, project, tag,
date range and IP, event detail, and export links carrying the filters."""

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from cheeseshop.audit import chain
from cheeseshop.audit.models import Event, EventTag
from cheeseshop.audit.services import ADMIN, SESSION, hash_ip, record_event
from cheeseshop.packaging.changes import delete_project
from tests.audit.conftest import record, signed_in

pytestmark = pytest.mark.django_db

LOG = "/admin/audit/event/log/"
EXPORTS = ["/admin/audit/event/log/export.csv", "/admin/audit/event/log/export.jsonl"]


def listed(client, **params) -> list[Event]:
    response = client.get(LOG, params)
    assert response.status_code == 200, response.content
    return [row["event"] for row in response.context["rows"]]


@pytest.mark.parametrize("url", [LOG, *EXPORTS])
def test_anonymous_visitors_are_sent_to_the_admin_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


@pytest.mark.parametrize("url", [LOG, *EXPORTS])
def test_signed_in_non_staff_are_sent_to_the_admin_login(owner_client, url):
    response = owner_client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


@pytest.fixture
def staff_without_audit_permission(db):
    user = get_user_model().objects.create(username="helper", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_project"))
    return user


@pytest.mark.parametrize("url", [LOG, *EXPORTS])
def test_staff_without_the_view_permission_are_refused(staff_without_audit_permission, url):
    assert signed_in(staff_without_audit_permission).get(url).status_code == 403


def test_staff_with_the_view_permission_see_the_log(staff_without_audit_permission):
    staff_without_audit_permission.user_permissions.add(
        Permission.objects.get(codename="view_event")
    )
    assert signed_in(staff_without_audit_permission).get(LOG).status_code == 200


@pytest.fixture
def events(owner, maintainer, stranger, project, other_project, staff):
    """Events by and about several people and projects, from two addresses."""
    return {
        "owner_login": record(
            EventTag.ACCOUNT_LOGIN_SUCCESS, actor=owner, user=owner, ip="198.51.100.1"
        ),
        "owner_yank": record(
            EventTag.PROJECT_RELEASE_YANK, actor=owner, project=project, ip="198.51.100.1"
        ),
        "maintainer_upload": record(
            EventTag.FILE_ADD, actor=maintainer, project=project, ip="203.0.113.2"
        ),
        "stranger_login": record(
            EventTag.ACCOUNT_LOGIN_SUCCESS, actor=stranger, user=stranger, ip="203.0.113.2"
        ),
        "freeze_owner": record(
            EventTag.ADMIN_USER_FREEZE, actor=staff, user=owner, credential=ADMIN, ip="192.0.2.1"
        ),
        "other_yank": record(
            EventTag.PROJECT_RELEASE_YANK, actor=stranger, project=other_project, ip="203.0.113.2"
        ),
    }


def pks(found) -> set[int]:
    return {event.pk for event in found}


def test_lists_every_event_newest_first(staff_client, events):
    found = listed(staff_client)
    assert [event.pk for event in found] == sorted((e.pk for e in found), reverse=True)
    assert pks(found) >= pks(events.values())


def test_filter_by_user_matches_events_about_them_and_by_them(staff_client, events):
    found = pks(listed(staff_client, user="OLIVIA"))
    wanted = {events[name].pk for name in ("owner_login", "owner_yank", "freeze_owner")}
    assert found == wanted


def test_filter_by_unknown_user_finds_nothing(staff_client, events):
    assert listed(staff_client, user="nobody") == []


def test_filter_by_project_name_in_any_spelling(staff_client, events):
    found = pks(listed(staff_client, project="cheese.TOOLS"))
    assert found == {events["owner_yank"].pk, events["maintainer_upload"].pk}


def test_filter_by_project_finds_a_deleted_projects_events(staff_client, events, owner, project):
    project_id = project.pk
    delete_project(project, actor=owner)
    found = listed(staff_client, project="Cheese_Tools")
    assert {event.project_id for event in found} == {project_id}
    assert {"project:release:yank", "file:add", "project:remove"} <= {e.tag for e in found}


def test_filter_by_tag(staff_client, events):
    found = pks(listed(staff_client, tag="project:release:yank"))
    assert found == {events["owner_yank"].pk, events["other_yank"].pk}


def test_an_unknown_tag_is_refused_by_name(staff_client, events):
    response = staff_client.get(LOG, {"tag": "project:steal"})
    assert response.status_code == 400
    assert "&#x27;project:steal&#x27; is not an event tag" in response.content.decode()
    assert response.context["rows"] == []


def test_filter_by_ip_address_or_hash_prefix(staff_client, events):
    wanted = {events[name].pk for name in ("maintainer_upload", "stranger_login", "other_yank")}
    assert pks(listed(staff_client, ip="203.0.113.2")) == wanted
    assert pks(listed(staff_client, ip=hash_ip("203.0.113.2")[:10].upper())) == wanted


@pytest.mark.parametrize("value", ["abc", "not-an-ip", "12345"])
def test_an_ip_filter_that_is_neither_address_nor_hash_is_refused(staff_client, value):
    response = staff_client.get(LOG, {"ip": value})
    assert response.status_code == 400
    assert "is neither an IP address nor the start of an IP hash" in response.content.decode()


def recorded_at(monkeypatch, moment: datetime, owner) -> Event:
    """An event the recorder stamps with ``moment`` instead of now."""
    monkeypatch.setattr(chain, "timezone", SimpleNamespace(now=lambda: moment))
    return record_event(EventTag.ACCOUNT_LOGOUT, actor=owner, user=owner, credential=SESSION)


def test_filter_by_date_range_includes_both_days(staff_client, owner, monkeypatch):
    days = [datetime(2024, 3, day, 23, 59, tzinfo=UTC) for day in (1, 2, 3, 4)]
    recorded = [recorded_at(monkeypatch, day, owner) for day in days]
    found = pks(listed(staff_client, since="2024-03-02", until="2024-03-03"))
    assert found == {recorded[1].pk, recorded[2].pk}
    assert pks(listed(staff_client, since="2024-03-04", tag="account:logout")) == {recorded[3].pk}


def test_a_range_ending_before_it_starts_is_refused(staff_client):
    response = staff_client.get(LOG, {"since": "2024-03-05", "until": "2024-03-01"})
    assert response.status_code == 400
    assert "The end date is before the start date." in response.content.decode()


def test_filters_combine(staff_client, events):
    found = pks(listed(staff_client, ip="203.0.113.2", tag="account:login:success"))
    assert found == {events["stranger_login"].pk}


def test_pages_and_export_links_keep_the_filters(staff_client, owner):
    for _number in range(55):
        record_event(EventTag.ACCOUNT_LOGOUT, actor=owner, user=owner)
    page = staff_client.get(LOG, {"tag": "account:logout"}).content.decode()
    assert 'href="?tag=account%3Alogout&amp;page=2"' in page
    assert 'href="/admin/audit/event/log/export.csv?tag=account%3Alogout"' in page
    assert 'href="/admin/audit/event/log/export.jsonl?tag=account%3Alogout"' in page
    assert len(listed(staff_client, tag="account:logout", page=2)) == 5


def test_each_row_links_to_the_event_detail(staff_client, events):
    event = events["maintainer_upload"]
    page = staff_client.get(LOG).content.decode()
    assert f'href="/admin/audit/event/{event.pk}/change/"' in page
    detail = staff_client.get(f"/admin/audit/event/{event.pk}/change/").content.decode()
    assert "File added" in detail
    assert "twine 6.1.0" in detail  # the user agent, described
    assert str(event.chain_hash) in detail  # columns the list does not name are shown too


def test_the_event_list_links_to_the_audit_log(staff_client):
    page = staff_client.get("/admin/audit/event/").content.decode()
    assert f'href="{LOG}"' in page
