"""The admin is for staff only, and every page of it renders for them."""

import pytest
from django.contrib import admin
from django.urls import reverse

from cheeseshop.accounts.services import create_user

pytestmark = pytest.mark.django_db


def assert_sent_to_admin_login(response, path: str) -> None:
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('admin:login')}?next={path}"


@pytest.mark.parametrize("path", ["/admin/", "/admin/accounts/user/", "/admin/flags/adminflag/"])
def test_anonymous_visitor_is_sent_to_the_admin_login(client, path):
    assert_sent_to_admin_login(client.get(path), path)


@pytest.mark.parametrize("path", ["/admin/", "/admin/accounts/user/", "/admin/flags/adminflag/"])
def test_logged_in_user_who_is_not_staff_is_sent_to_the_admin_login(client, path):
    member = create_user("member", "member@example.com", password="member-Pa55word")
    client.force_login(member)
    assert_sent_to_admin_login(client.get(path), path)


def test_non_staff_user_cannot_run_an_admin_action(client, user):
    member = create_user("member", "member@example.com")
    client.force_login(member)
    response = client.post(
        "/admin/accounts/user/", {"action": "freeze", "_selected_action": [str(user.pk)]}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert not user.is_frozen


def test_staff_member_sees_the_admin_index(staff_client):
    response = staff_client.get("/admin/")
    assert response.status_code == 200
    assert b"cheeseshop administration" in response.content


def test_every_registered_changelist_renders_for_staff(staff_client):
    for model in admin.site._registry:
        opts = model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        assert staff_client.get(url).status_code == 200, url
