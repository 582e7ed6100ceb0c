"""The users admin: freeze and unfreeze (tokens, logins and sessions), verify emails, search."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import SESSION_KEY
from django.test import Client

from cheeseshop.accounts.services import create_user
from cheeseshop.audit.models import Event
from tests.admin.conftest import messages_of, run_action
from tests.packaging.dists import make_wheel

pytestmark = pytest.mark.django_db

USERS = "/admin/accounts/user/"
EMAILS = "/admin/account/emailaddress/"
PASSWORD = "alice-Pa55word-for-tests"


@pytest.fixture
def alice_password(user):
    user.set_password(PASSWORD)
    user.save()
    return PASSWORD


def log_in(username: str, password: str) -> Client:
    browser = Client()
    browser.post("/account/login/", {"login": username, "password": password})
    return browser


def is_logged_in(browser: Client) -> bool:
    return SESSION_KEY in browser.session


def admin_events(tag: str):
    return list(Event.objects.filter(tag=tag))


def test_freeze_refuses_the_users_token_uploads(staff_client, staff, user, post_upload, tmp_path):
    response = run_action(staff_client, USERS, "freeze", [user.pk])
    assert response.status_code == 302

    user.refresh_from_db()
    assert user.is_frozen
    wheel = make_wheel(tmp_path, "example-pkg", "1.0")
    refused = post_upload(wheel, "example-pkg", "1.0")
    assert refused.status_code == 403
    assert "Invalid API Token" in refused.reason_phrase
    assert "frozen" in refused.content.decode()


def test_freeze_records_an_admin_event_about_the_user(staff_client, staff, user):
    run_action(staff_client, USERS, "freeze", [user.pk])
    [event] = admin_events("admin:user:freeze")
    assert (event.actor, event.user) == (staff, user)
    assert event.credential == {"method": "admin"}
    assert event.ip_hash  # the admin's address, hashed


@pytest.mark.parametrize(
    ("action", "trusted", "tag"),
    [
        ("trust_uploads", True, "admin:user:trusted_uploader:add"),
        ("untrust_uploads", False, "admin:user:trusted_uploader:remove"),
    ],
)
def test_making_a_user_a_trusted_uploader_or_not_is_an_admin_event(
    staff_client, staff, user, action, trusted, tag
):
    type(user).objects.filter(pk=user.pk).update(is_trusted_uploader=not trusted)
    run_action(staff_client, USERS, action, [user.pk])
    user.refresh_from_db()
    assert user.is_trusted_uploader is trusted
    [event] = admin_events(tag)
    assert (event.actor, event.user, event.credential) == (staff, user, {"method": "admin"})
    run_action(staff_client, USERS, action, [user.pk])  # already so: nothing more recorded
    assert len(admin_events(tag)) == 1


def test_the_trusted_uploader_flag_cannot_change_through_the_form(staff_client, user):
    page = staff_client.get(f"{USERS}{user.pk}/change/")
    assert "is_trusted_uploader" not in page.context["adminform"].form.fields


def test_freeze_ends_the_users_sessions_and_keeps_others(staff_client, user, alice_password):
    browser = log_in(user.username, alice_password)
    assert is_logged_in(browser)

    run_action(staff_client, USERS, "freeze", [user.pk])

    assert browser.get("/admin/").status_code == 302  # any page: the session is gone
    assert not is_logged_in(browser)
    assert staff_client.get(USERS).status_code == 200  # the admin's own session lives on


def test_frozen_user_cannot_log_in(staff_client, user, alice_password):
    run_action(staff_client, USERS, "freeze", [user.pk])
    assert not is_logged_in(log_in(user.username, alice_password))


def test_unfreeze_restores_uploads_and_login(
    staff_client, staff, user, alice_password, post_upload, tmp_path
):
    run_action(staff_client, USERS, "freeze", [user.pk])
    response = run_action(staff_client, USERS, "unfreeze", [user.pk])
    assert response.status_code == 302

    user.refresh_from_db()
    assert not user.is_frozen
    wheel = make_wheel(tmp_path, "example-pkg", "1.0")
    assert post_upload(wheel, "example-pkg", "1.0").status_code == 200
    assert is_logged_in(log_in(user.username, alice_password))
    [event] = admin_events("admin:user:unfreeze")
    assert (event.actor, event.user, event.credential) == (staff, user, {"method": "admin"})


def test_unfreezing_a_user_who_is_not_frozen_records_nothing(staff_client, user):
    run_action(staff_client, USERS, "unfreeze", [user.pk])
    assert admin_events("admin:user:unfreeze") == []


def test_freezing_twice_records_one_event(staff_client, user):
    run_action(staff_client, USERS, "freeze", [user.pk])
    run_action(staff_client, USERS, "freeze", [user.pk])
    assert len(admin_events("admin:user:freeze")) == 1


def test_admin_cannot_freeze_their_own_account(staff_client, staff, user):
    response = run_action(staff_client, USERS, "freeze", [staff.pk, user.pk])
    followed = staff_client.get(response["Location"])
    assert "You cannot freeze your own account" in " ".join(messages_of(followed))
    staff.refresh_from_db()
    user.refresh_from_db()
    assert not staff.is_frozen
    assert not user.is_frozen
    assert admin_events("admin:user:freeze") == []


def test_the_change_form_cannot_set_frozen(staff_client, user):
    page = staff_client.get(f"{USERS}{user.pk}/change/")
    assert page.status_code == 200
    assert "is_frozen" not in page.context["adminform"].form.fields


def test_user_page_shows_emails_roles_and_tokens_but_never_a_key(staff_client, user, token):
    EmailAddress.objects.create(user=user, email="second@example.com", verified=False)
    page = staff_client.get(f"{USERS}{user.pk}/change/")
    content = page.content.decode()
    assert "alice@example.com" in content
    assert "second@example.com" in content
    assert "tests" in content  # the token's description
    assert token not in content
    assert "key" not in page.context["inline_admin_formsets"][2].formset.form.base_fields


def test_every_column_of_the_user_pages_inlines_has_a_header(staff_client, user, token):
    EmailAddress.objects.create(user=user, email="second@example.com", verified=False)
    content = staff_client.get(f"{USERS}{user.pk}/change/").content.decode()
    headers = re.findall(r"<th\b[^>]*>(.*?)</th>", content, re.DOTALL)
    assert len(headers) > 3
    assert [h for h in headers if not re.sub(r"<[^>]*>", "", h).strip()] == []
    assert "second@example.com" in content


def test_verify_emails_action_verifies_every_address_of_the_user(staff_client, staff, user):
    second = EmailAddress.objects.create(user=user, email="second@example.com", verified=False)
    response = run_action(staff_client, USERS, "verify_emails", [user.pk])
    assert response.status_code == 302

    second.refresh_from_db()
    assert second.verified
    [event] = admin_events("admin:email:verify")  # the already verified one records nothing
    assert (event.actor, event.user) == (staff, user)
    assert event.additional == {"email": "second@example.com"}
    assert event.credential == {"method": "admin"}


def test_verify_refuses_an_address_another_account_has_verified(staff_client, user):
    other = create_user("bob", "bob@example.com")
    taken = EmailAddress.objects.create(user=other, email="alice@example.com", verified=False)
    EmailAddress.objects.filter(user=other, email="bob@example.com").delete()

    response = run_action(staff_client, EMAILS, "verify", [taken.pk])

    taken.refresh_from_db()
    assert not taken.verified
    followed = staff_client.get(response["Location"])
    assert "already verified on another account" in " ".join(messages_of(followed))
    assert admin_events("admin:email:verify") == []


def test_email_address_admin_verify_action_records_the_event(staff_client, staff, user):
    second = EmailAddress.objects.create(user=user, email="second@example.com", verified=False)
    run_action(staff_client, EMAILS, "verify", [second.pk])
    second.refresh_from_db()
    assert second.verified
    [event] = admin_events("admin:email:verify")
    assert (event.actor, event.user) == (staff, user)


@pytest.mark.parametrize("term", ["alice", "ALICE@example.com"])
def test_user_search_matches_username_and_email(staff_client, user, term):
    create_user("bob", "bob@example.com")
    page = staff_client.get(USERS, {"q": term})
    assert [u.username for u in page.context["cl"].result_list] == ["alice"]


def test_user_list_filters_frozen_users(staff_client, user):
    create_user("bob", "bob@example.com")
    run_action(staff_client, USERS, "freeze", [user.pk])
    page = staff_client.get(USERS, {"is_frozen__exact": "1"})
    assert [u.username for u in page.context["cl"].result_list] == ["alice"]


def test_users_cannot_be_deleted_through_the_admin(staff_client, user):
    assert staff_client.get(f"{USERS}{user.pk}/delete/").status_code == 403
    run_action(staff_client, USERS, "delete_selected", [user.pk], confirm=True)
    assert type(user).objects.filter(pk=user.pk).exists()


def test_editing_a_user_in_the_admin_form_is_an_audit_event(staff_client, user):
    from cheeseshop.audit.models import Event

    url = f"/admin/accounts/user/{user.pk}/change/"
    page = staff_client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data.update({"is_staff": "on", "first_name": "Alice", "date_joined_0": "2026-01-01"})
    data["date_joined_1"] = "00:00:00"
    data.pop("date_joined", None)
    data.pop("last_login", None)
    for prefix in ("emailaddress_set", "roles", "api_tokens"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    response = staff_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    event = Event.objects.filter(tag="admin:user:change", user_id=user.pk).get()
    assert "is_staff" in event.additional["fields"]
    assert event.credential["method"] == "admin"


def test_setting_a_password_in_the_admin_is_an_audit_event(staff_client, user):
    from cheeseshop.audit.models import Event

    url = f"/admin/accounts/user/{user.pk}/password/"
    password = "an-admin-chosen-passphrase-77"
    response = staff_client.post(
        url, {"password1": password, "password2": password, "usable_password": "true"}
    )
    assert response.status_code == 302
    event = Event.objects.get(tag="admin:user:password:change", user_id=user.pk)
    assert event.credential["method"] == "admin"
    assert password not in str(event.additional)
