import pytest
from django.core import mail
from django.test import Client

from cheeseshop.audit.models import Event
from cheeseshop.audit.services import hash_ip
from cheeseshop.flags.models import FlagId
from cheeseshop.flags.services import set_flag
from tests.accounts.conftest import (
    OTHER_STRONG_PASSWORD,
    STRONG_PASSWORD,
    WEAK_PASSWORD,
    is_logged_in,
    link_in,
)


def change_password(client, new=OTHER_STRONG_PASSWORD, old=STRONG_PASSWORD):
    return client.post(
        "/account/password/change/",
        {"oldpassword": old, "password1": new, "password2": new},
    )


def log_in(password):
    client = Client()
    client.post("/account/login/", {"login": "alice", "password": password})
    return client


@pytest.mark.django_db
def test_password_change_ends_every_session_of_the_user(alice, alice_client):
    other_device = log_in(STRONG_PASSWORD)
    assert other_device.get("/account/email/").status_code == 200

    response = change_password(alice_client)
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password(OTHER_STRONG_PASSWORD)

    # Both the other device and the one that changed it are logged out.
    assert other_device.get("/account/email/")["Location"].startswith("/account/login/")
    assert alice_client.get("/account/email/")["Location"].startswith("/account/login/")
    assert is_logged_in(log_in(OTHER_STRONG_PASSWORD))
    assert not is_logged_in(log_in(STRONG_PASSWORD))


@pytest.mark.django_db
def test_password_change_is_recorded(alice, alice_client):
    change_password(alice_client)
    event = Event.objects.get(tag="account:password:change")
    assert (event.actor_id, event.user_id) == (alice.pk, alice.pk)
    assert event.credential == {"method": "session"}
    assert event.ip_hash == hash_ip("127.0.0.1")


@pytest.mark.django_db
def test_password_change_needs_the_current_password(alice, alice_client):
    response = change_password(alice_client, old="not-the-password")
    assert response.status_code == 200
    alice.refresh_from_db()
    assert alice.check_password(STRONG_PASSWORD)


@pytest.mark.django_db
def test_weak_new_password_is_refused(alice, alice_client):
    response = change_password(alice_client, new=WEAK_PASSWORD)
    assert "too easy to guess" in response.content.decode()
    alice.refresh_from_db()
    assert alice.check_password(STRONG_PASSWORD)


@pytest.mark.django_db
def test_password_change_is_refused_in_read_only_mode(alice, alice_client):
    set_flag(FlagId.READ_ONLY, True)
    response = change_password(alice_client)
    assert response.status_code == 403
    assert "Read-only mode" in response.content.decode()
    alice.refresh_from_db()
    assert alice.check_password(STRONG_PASSWORD)


@pytest.mark.django_db
def test_password_reset_through_the_emailed_link(alice):
    client = Client()
    response = client.post("/account/password/reset/", {"email": "ALICE@example.com"})
    assert response["Location"] == "/account/password/reset/done/"
    (message,) = mail.outbox
    assert message.to == ["alice@example.com"]

    key_path = link_in(message.body, "/account/password/reset/key/")
    # allauth moves the key out of the URL into the session, then shows the form.
    form_path = client.get(key_path)["Location"]
    response = client.post(
        form_path, {"password1": OTHER_STRONG_PASSWORD, "password2": OTHER_STRONG_PASSWORD}
    )
    assert response["Location"] == "/account/password/reset/key/done/"
    alice.refresh_from_db()
    assert alice.check_password(OTHER_STRONG_PASSWORD)

    # The link works once.
    assert "Bad Token" in Client().get(key_path, follow=True).content.decode()


@pytest.mark.django_db
def test_password_reset_request_and_reset_are_recorded(alice):
    client = Client()
    client.post("/account/password/reset/", {"email": "alice@example.com"})
    request_event = Event.objects.get(tag="account:password:reset:request")
    assert request_event.user_id == alice.pk
    assert request_event.actor_id is None
    assert request_event.credential == {"method": "none"}
    assert request_event.ip_hash == hash_ip("127.0.0.1")

    form_path = client.get(link_in(mail.outbox[0].body, "/account/password/reset/key/"))
    client.post(
        form_path["Location"],
        {"password1": OTHER_STRONG_PASSWORD, "password2": OTHER_STRONG_PASSWORD},
    )
    reset_event = Event.objects.get(tag="account:password:reset")
    assert (reset_event.actor_id, reset_event.user_id) == (alice.pk, alice.pk)
    assert reset_event.credential == {"method": "email_link"}


@pytest.mark.django_db
def test_password_reset_for_an_unknown_address_looks_the_same_and_resets_nothing(alice):
    response = Client().post("/account/password/reset/", {"email": "nobody@example.com"})
    assert response["Location"] == "/account/password/reset/done/"
    assert "/account/password/reset/key/" not in "".join(m.body for m in mail.outbox)
    assert not Event.objects.filter(tag="account:password:reset:request").exists()
