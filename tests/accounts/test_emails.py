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


# -- another account's verified address


def shown_after_adding(client, email: str) -> list[str]:
    """The messages the page shows after adding ``email`` (the login's own left out)."""
    response = client.post("/account/email/", {"action_add": "", "email": email}, follow=True)
    shown = [str(message) for message in response.context["messages"]]
    return [message for message in shown if not message.startswith("Successfully signed in")]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "typed", ["carol@example.com", "Carol@Example.COM", " carol@example.com "]
)
def test_another_accounts_verified_address_is_not_added_and_its_owner_is_told(
    alice, alice_client, typed
):
    create_user("carol", "carol@example.com")
    mail.outbox.clear()
    response = manage(alice_client, "action_add", typed)

    assert response.status_code == 302
    assert not EmailAddress.objects.filter(user=alice, email__iexact="carol@example.com").exists()
    assert not Event.objects.filter(tag="account:email:add").exists()
    (notice,) = mail.outbox  # no confirmation link: only the owner's notice
    assert notice.to == ["carol@example.com"]
    assert "Someone tried to add your email address to another account" in notice.subject
    assert "/account/confirm-email/" not in notice.body
    assert "It was refused" in notice.body


@pytest.mark.django_db
def test_the_adder_is_told_what_any_new_address_gets_while_enumeration_is_prevented(
    alice, alice_client
):
    create_user("carol", "carol@example.com")
    taken = shown_after_adding(alice_client, "carol@example.com")
    fresh = shown_after_adding(alice_client, "alice@work.example")
    assert taken == ["Confirmation email sent to carol@example.com."]
    assert fresh == ["Confirmation email sent to alice@work.example."]


@pytest.mark.django_db
def test_with_enumeration_allowed_the_adder_gets_allauths_already_in_use_error(
    alice, alice_client, settings
):
    settings.ACCOUNT_PREVENT_ENUMERATION = False
    create_user("carol", "carol@example.com")
    response = manage(alice_client, "action_add", "carol@example.com")
    assert response.status_code == 200
    assert "already registered with this email" in response.content.decode()
    assert not EmailAddress.objects.filter(user=alice, email="carol@example.com").exists()


@pytest.mark.django_db
def test_an_address_another_account_has_not_verified_can_still_be_added(alice, alice_client):
    carol = create_user("carol", "carol@example.com")
    add_unverified_address(carol, "shared@example.com")
    manage(alice_client, "action_add", "shared@example.com")
    assert EmailAddress.objects.filter(user=alice, email="shared@example.com").exists()
