from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client

from cheeseshop.accounts.models import User
from cheeseshop.audit.models import Event
from cheeseshop.audit.services import hash_ip
from cheeseshop.flags.models import FlagId
from cheeseshop.flags.services import set_flag
from tests.accounts.conftest import STRONG_PASSWORD, WEAK_PASSWORD, is_logged_in, link_in

SIGNUP = {
    "username": "bob",
    "email": "bob@example.com",
    "password1": STRONG_PASSWORD,
    "password2": STRONG_PASSWORD,
}


def sign_up(client, **changes):
    return client.post("/account/signup/", {**SIGNUP, **changes})


def confirm_from_email(client, body):
    confirm_path = link_in(body, "/account/confirm-email/")
    page = client.get(confirm_path)
    assert page.status_code == 200
    # Confirming takes a POST (a mail scanner following the link verifies nothing).
    assert not EmailAddress.objects.get(email="bob@example.com").verified
    return client.post(confirm_path)


@pytest.mark.django_db
def test_signup_verify_then_login_by_username_and_by_email():
    client = Client()
    response = sign_up(client)
    assert response.status_code == 302
    assert response["Location"] == "/account/confirm-email/"
    assert not is_logged_in(client)

    user = User.objects.get(username="bob")
    assert user.check_password(STRONG_PASSWORD)
    assert user.password.startswith("md5$") or user.password.startswith("argon2")
    assert not EmailAddress.objects.get(user=user).verified

    # Unverified: the login is refused and sends the user to verify.
    refused = client.post("/account/login/", {"login": "bob", "password": STRONG_PASSWORD})
    assert refused["Location"] == "/account/confirm-email/"
    assert not is_logged_in(client)

    (message,) = mail.outbox[:1]
    assert message.to == ["bob@example.com"]
    confirm_from_email(client, message.body)
    assert EmailAddress.objects.get(email="bob@example.com").verified

    by_username = Client()
    response = by_username.post("/account/login/", {"login": "bob", "password": STRONG_PASSWORD})
    assert response["Location"] == "/manage/projects/"
    assert is_logged_in(by_username)

    by_email = Client()
    response = by_email.post(
        "/account/login/", {"login": "BOB@example.com", "password": STRONG_PASSWORD}
    )
    assert response["Location"] == "/manage/projects/"
    assert is_logged_in(by_email)


@pytest.mark.django_db
def test_verification_email_is_written_to_the_outbox_directory(settings, tmp_path):
    settings.EMAIL_BACKEND = "cheeseshop.accounts.mail.OutboxEmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "outbox")
    client = Client()
    sign_up(client)

    (written,) = Path(settings.EMAIL_FILE_PATH).iterdir()
    body = written.read_text()
    assert "bob@example.com" in body
    confirm_from_email(client, body)
    assert EmailAddress.objects.get(email="bob@example.com").verified


@pytest.mark.django_db
def test_signup_records_account_create_and_email_verified_events():
    client = Client()
    sign_up(client)
    user = User.objects.get(username="bob")
    create = Event.objects.get(tag="account:create")
    assert (create.actor_id, create.user_id) == (user.pk, user.pk)
    assert create.credential == {"method": "signup"}
    assert create.ip_hash == hash_ip("127.0.0.1")

    confirm_from_email(client, mail.outbox[0].body)
    verified = Event.objects.get(tag="account:email:verified")
    assert (verified.actor_id, verified.user_id) == (user.pk, user.pk)
    assert verified.credential == {"method": "email_link"}
    assert verified.additional == {"email": "bob@example.com"}
    assert verified.ip_hash == hash_ip("127.0.0.1")


@pytest.mark.django_db
def test_weak_password_is_refused_at_signup_with_the_reason():
    response = sign_up(Client(), password1=WEAK_PASSWORD, password2=WEAK_PASSWORD)
    assert response.status_code == 200
    assert "too easy to guess" in response.content.decode()
    assert not User.objects.filter(username="bob").exists()


@pytest.mark.django_db
def test_password_made_of_the_username_is_refused():
    password = "bobbob@example.com"
    response = sign_up(Client(), password1=password, password2=password)
    assert not User.objects.filter(username="bob").exists()
    assert response.status_code == 200


@pytest.mark.django_db
def test_password_with_a_nul_character_is_refused():
    password = STRONG_PASSWORD + "\x00"
    sign_up(Client(), password1=password, password2=password)
    assert not User.objects.filter(username="bob").exists()


@pytest.mark.django_db
def test_password_longer_than_4096_characters_is_refused():
    password = "Zq8!" * 1025
    response = sign_up(Client(), password1=password, password2=password)
    assert "at most 4096 characters" in response.content.decode()
    assert not User.objects.filter(username="bob").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("flag", [FlagId.DISALLOW_NEW_USER, FlagId.READ_ONLY])
def test_signup_is_closed_while_a_flag_is_on_and_open_once_lifted(flag):
    client = Client()
    set_flag(flag, True)
    page = client.get("/account/signup/")
    assert "Registration closed" in page.content.decode()
    sign_up(client)
    assert not User.objects.filter(username="bob").exists()

    set_flag(flag, False)
    assert 'name="password1"' in client.get("/account/signup/").content.decode()
    assert sign_up(client).status_code == 302
    assert User.objects.filter(username="bob").exists()


@pytest.mark.django_db
def test_signup_without_csrf_token_is_refused():
    response = sign_up(Client(enforce_csrf_checks=True))
    assert response.status_code == 403
    assert not User.objects.filter(username="bob").exists()


@pytest.mark.django_db
def test_signup_with_a_taken_username_creates_nothing(alice):
    response = sign_up(Client(), username="Alice")
    assert response.status_code == 200
    assert User.objects.filter(username__iexact="alice").count() == 1
