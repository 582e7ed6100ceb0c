"""The admin's "Reset two-factor authentication": a form asking for the identity check and the
reason, then every method removed, an admin event with the reason, and the user told."""

import pytest
from allauth.mfa.models import Authenticator
from django.core import mail

from cheeseshop.accounts.services import create_user, enrol_totp
from cheeseshop.audit.models import Event
from tests.accounts.sessions import signed_in_through_the_site
from tests.accounts.two_factor_helpers import cheeseshop_mfa_settings  # noqa: F401 (a fixture)
from tests.admin.conftest import run_action

pytestmark = pytest.mark.django_db

USERS = "/admin/accounts/user/"


@pytest.fixture
def staff():
    return create_user("staffer", "staff@example.com", admin=True)


@pytest.fixture
def staff_client(staff):
    return signed_in_through_the_site(staff)


@pytest.fixture
def alice():
    user = create_user("alice", "alice@example.com")
    enrol_totp(user)
    return user


def test_the_action_first_asks_for_the_identity_check_and_a_reason(staff_client, alice):
    response = run_action(staff_client, USERS, "reset_two_factor", [alice.pk])
    assert response.status_code == 200
    content = response.content.decode()
    assert 'name="identity_checked"' in content
    assert 'name="reason"' in content
    assert Authenticator.objects.filter(user=alice).count() == 2


def test_without_the_confirmation_nothing_is_reset(staff_client, alice):
    response = staff_client.post(
        USERS,
        {
            "action": "reset_two_factor",
            "_selected_action": [str(alice.pk)],
            "confirm_reset": "yes",
            "reason": "asked by mail",
        },
    )
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    assert Authenticator.objects.filter(user=alice).count() == 2
    assert not Event.objects.filter(tag="admin:user:reset_two_factor").exists()


def test_confirmed_reset_removes_every_method_records_the_reason_and_tells_the_user(
    staff, staff_client, alice
):
    mail.outbox.clear()
    response = staff_client.post(
        USERS,
        {
            "action": "reset_two_factor",
            "_selected_action": [str(alice.pk)],
            "confirm_reset": "yes",
            "identity_checked": "on",
            "reason": "Lost phone; confirmed by reply from alice@example.com and project history.",
        },
    )
    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=alice).exists()
    event = Event.objects.get(tag="admin:user:reset_two_factor")
    assert (event.user_id, event.actor_id) == (alice.pk, staff.pk)
    assert event.credential == {"method": "admin"}
    assert event.additional["reason"].startswith("Lost phone")
    assert sorted(m["type"] for m in event.additional["removed"]) == ["recovery_codes", "totp"]
    [message] = mail.outbox
    assert message.to == ["alice@example.com"]
    assert message.subject == "[cheeseshop] Your two-factor authentication was reset"
