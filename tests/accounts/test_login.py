import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from cheeseshop.accounts.sessions import stored_session_key
from cheeseshop.audit.models import Event
from cheeseshop.audit.services import hash_ip
from tests.accounts.conftest import STRONG_PASSWORD, is_logged_in


def log_in(client, login="alice", password=STRONG_PASSWORD, **extra):
    return client.post("/account/login/", {"login": login, "password": password}, **extra)


@pytest.mark.django_db
def test_wrong_password_is_refused_without_saying_which_part_was_wrong(alice):
    client = Client()
    response = log_in(client, password="not-the-password")
    assert response.status_code == 200
    assert "not correct" in response.content.decode()
    assert not is_logged_in(client)


@pytest.mark.django_db
def test_unknown_username_gets_the_same_refusal_as_a_wrong_password(alice):
    wrong_password = log_in(Client(), password="not-the-password").content.decode()
    unknown_user = log_in(Client(), login="nobody").content.decode()
    assert "not correct" in wrong_password
    assert "not correct" in unknown_user


@pytest.mark.django_db
def test_login_records_success_with_the_password_method(alice):
    log_in(Client())
    event = Event.objects.get(tag="account:login:success")
    assert (event.actor_id, event.user_id) == (alice.pk, alice.pk)
    assert event.credential == {"method": "password"}
    assert event.ip_hash == hash_ip("127.0.0.1")


@pytest.mark.django_db
def test_failed_login_names_the_account_but_no_actor(alice):
    log_in(Client(), login="alice@example.com", password="not-the-password")
    event = Event.objects.get(tag="account:login:failure")
    assert event.actor_id is None
    assert event.user_id == alice.pk
    assert event.credential == {"method": "password"}
    assert event.ip_hash == hash_ip("127.0.0.1")
    assert "not-the-password" not in str(event.additional)


@pytest.mark.django_db
def test_failed_login_for_an_unknown_name_records_no_user():
    log_in(Client(), login="nobody", password="whatever-it-is")
    event = Event.objects.get(tag="account:login:failure")
    assert event.user_id is None
    assert event.actor_id is None


@pytest.mark.django_db
def test_logout_ends_the_session_and_is_recorded(alice, alice_client):
    response = alice_client.post("/account/logout/")
    assert response.status_code == 302
    assert not is_logged_in(alice_client)
    event = Event.objects.get(tag="account:logout")
    assert (event.actor_id, event.user_id) == (alice.pk, alice.pk)
    assert event.credential == {"method": "session"}


@pytest.mark.django_db
def test_login_rotates_the_session_key(alice):
    client = Client()
    session = client.session
    session["before_login"] = True
    session.save()
    anonymous_key = session.session_key
    assert Session.objects.filter(session_key=stored_session_key(anonymous_key)).exists()

    log_in(client)
    assert is_logged_in(client)
    assert client.session.session_key != anonymous_key
    assert not Session.objects.filter(session_key=stored_session_key(anonymous_key)).exists()


@pytest.mark.django_db
def test_frozen_user_cannot_log_in_and_is_told_why(alice):
    alice.is_frozen = True
    alice.save()
    client = Client()
    response = log_in(client)
    assert response.status_code == 403
    assert "frozen" in response.content.decode()
    assert not is_logged_in(client)
    event = Event.objects.get(tag="account:login:failure")
    assert event.user_id == alice.pk
    assert event.additional == {"reason": "frozen"}
    assert not Event.objects.filter(tag="account:login:success").exists()


@pytest.mark.django_db
def test_frozen_user_with_a_wrong_password_learns_nothing_about_the_freeze(alice):
    alice.is_frozen = True
    alice.save()
    response = log_in(Client(), password="not-the-password")
    assert response.status_code == 200
    assert "frozen" not in response.content.decode()


@pytest.mark.django_db
def test_inactive_user_cannot_log_in(alice):
    alice.is_active = False
    alice.save()
    client = Client()
    response = log_in(client)
    assert response["Location"] == "/account/inactive/"
    assert not is_logged_in(client)


@pytest.mark.django_db
def test_login_without_csrf_token_is_refused(alice):
    client = Client(enforce_csrf_checks=True)
    response = log_in(client)
    assert response.status_code == 403
    assert not is_logged_in(client)
