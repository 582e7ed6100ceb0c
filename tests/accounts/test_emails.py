import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client

from cheeseshop.accounts.services import create_user
from cheeseshop.audit.models import Event
from cheeseshop.audit.services import hash_ip
from cheeseshop.flags.models import FlagId
from cheeseshop.flags.services import set_flag
from tests.accounts.conftest import add_unverified_address, link_in


def manage(client, action, email):
    return client.post("/account/email/", {action: "", "email": email})


@pytest.mark.django_db
def test_add_verify_make_primary_and_remove_an_address(alice, alice_client):
    response = manage(alice_client, "action_add", "alice@work.example")
    assert response.status_code == 302
    added = EmailAddress.objects.get(email="alice@work.example")
    assert (added.user_id, added.verified, added.primary) == (alice.pk, False, False)

    # An unverified address cannot become primary.
    manage(alice_client, "action_primary", "alice@work.example")
    assert not EmailAddress.objects.get(email="alice@work.example").primary

    (message,) = mail.outbox
    assert message.to == ["alice@work.example"]
    alice_client.post(link_in(message.body, "/account/confirm-email/"))
    assert EmailAddress.objects.get(email="alice@work.example").verified

    manage(alice_client, "action_primary", "alice@work.example")
    assert EmailAddress.objects.get(email="alice@work.example").primary
    alice.refresh_from_db()
    assert alice.email == "alice@work.example"

    manage(alice_client, "action_remove", "alice@example.com")
    assert list(EmailAddress.objects.filter(user=alice).values_list("email", flat=True)) == [
        "alice@work.example"
    ]


@pytest.mark.django_db
def test_the_primary_address_cannot_be_removed(alice, alice_client):
    add_unverified_address(alice, "alice@work.example")
    manage(alice_client, "action_remove", "alice@example.com")
    assert EmailAddress.objects.filter(email="alice@example.com").exists()


@pytest.mark.django_db
def test_another_users_address_cannot_be_touched(alice, alice_client):
    create_user("carol", "carol@example.com")
    manage(alice_client, "action_remove", "carol@example.com")
    assert EmailAddress.objects.filter(email="carol@example.com").exists()


@pytest.mark.django_db
def test_each_email_change_is_recorded(alice, alice_client):
    manage(alice_client, "action_add", "alice@work.example")
    alice_client.post(link_in(mail.outbox[0].body, "/account/confirm-email/"))
    manage(alice_client, "action_primary", "alice@work.example")
    manage(alice_client, "action_remove", "alice@example.com")

    events = {e.tag: e for e in Event.objects.filter(tag__startswith="account:email:")}
    assert set(events) == {
        "account:email:add",
        "account:email:verified",
        "account:email:primary:change",
        "account:email:remove",
    }
    for event in events.values():
        assert (event.actor_id, event.user_id) == (alice.pk, alice.pk)
        assert event.ip_hash == hash_ip("127.0.0.1")
    assert events["account:email:add"].credential == {"method": "session"}
    assert events["account:email:add"].additional == {"email": "alice@work.example"}
    assert events["account:email:verified"].credential == {"method": "email_link"}
    assert events["account:email:primary:change"].additional == {
        "from": "alice@example.com",
        "to": "alice@work.example",
    }
    assert events["account:email:remove"].additional == {"email": "alice@example.com"}


@pytest.mark.django_db
def test_email_changes_are_refused_in_read_only_mode(alice, alice_client):
    set_flag(FlagId.READ_ONLY, True)
    response = manage(alice_client, "action_add", "alice@work.example")
    assert response.status_code == 403
    assert "Read-only mode" in response.content.decode()
    assert not EmailAddress.objects.filter(email="alice@work.example").exists()
    # Reading the page still works.
    assert alice_client.get("/account/email/").status_code == 200


@pytest.mark.django_db
def test_email_page_needs_login():
    response = Client().get("/account/email/")
    assert response["Location"].startswith("/account/login/")
