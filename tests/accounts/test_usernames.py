"""Usernames are ASCII, as PyPI's (letters and digits, with '.', '_' or '-' between them) and
unique whatever their case: no account can be named like another one looks. Every path that
names an account runs the rule: sign-up, the admin's add and change forms, ``create_user``
(behind ``cheeseshop user create``)."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from cheeseshop.accounts.models import User
from cheeseshop.accounts.services import create_user
from tests.accounts.conftest import STRONG_PASSWORD
from tests.accounts.sessions import signed_in_through_the_site

pytestmark = pytest.mark.django_db

# Each renders like, or close to, an ASCII name; none may be a username.
LOOK_ALIKES = [
    "\u0430lice",  # a Cyrillic a
    "\uff41\uff4c\uff49\uff43\uff45",  # fullwidth letters
    "al\u0131ce",  # a dotless i
    "a\u0301lice",  # a + combining acute accent
    "\u00e1lice",  # precomposed á
    "alice\u200b",  # a zero-width space after
    "al\u00adice",  # a soft hyphen inside
    "a\u217cice",  # the Roman numeral fifty for the l
]
# ASCII, but outside the rule.
MALFORMED = ["al ice", "-alice", "alice.", "_alice", "al@ice", "al/ice", "a+b"]
# Forms strip surrounding whitespace; the service, which no form strips for, refuses it.
UNSTRIPPED = ["alice\n", " alice", "alice\t"]
REFUSED = LOOK_ALIKES + MALFORMED
ACCEPTED = ["alice", "Alice-Smith", "a.b_c-d", "a1", "9lives", "x9"]

RULE = "ASCII letters and digits"


def ids(names):
    return [name.encode("unicode_escape").decode() for name in names]


@pytest.fixture
def alice():
    return create_user("alice", "alice@example.com", password=STRONG_PASSWORD)


@pytest.fixture
def staff_client():
    staff = create_user("staffer", "staff@example.com", password=STRONG_PASSWORD, admin=True)
    return signed_in_through_the_site(staff, second_factor="totp")


def sign_up(username: str):
    return Client().post(
        "/account/signup/",
        {
            "username": username,
            "email": "newcomer@example.com",
            "password1": STRONG_PASSWORD,
            "password2": STRONG_PASSWORD,
        },
    )


def admin_add(client: Client, username: str):
    return client.post(
        "/admin/accounts/user/add/",
        {
            "username": username,
            "password1": STRONG_PASSWORD,
            "password2": STRONG_PASSWORD,
            "usable_password": "true",
        },
    )


def admin_rename(client: Client, user: User, username: str):
    page = client.get(f"/admin/accounts/user/{user.pk}/change/")
    form = page.context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(
        {
            "username": username,
            "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
            "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
            "is_active": "on",
        }
    )
    for prefix in ("emailaddress_set", "roles", "api_tokens"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    data = {k: v for k, v in data.items() if k not in {"groups", "user_permissions", "password"}}
    return client.post(f"/admin/accounts/user/{user.pk}/change/", data)


@pytest.mark.parametrize("username", REFUSED, ids=ids(REFUSED))
def test_sign_up_refuses_a_username_outside_the_rule(username):
    response = sign_up(username)
    assert response.status_code == 200
    assert RULE in response.content.decode()
    assert not User.objects.filter(email="newcomer@example.com").exists()


@pytest.mark.parametrize("username", REFUSED + UNSTRIPPED, ids=ids(REFUSED + UNSTRIPPED))
def test_create_user_refuses_a_username_outside_the_rule(username):
    with pytest.raises(ValidationError, match=RULE):
        create_user(username, "newcomer@example.com")
    assert not User.objects.exists()


def only_ascii_usernames() -> bool:
    return all(name.isascii() for name in User.objects.values_list("username", flat=True))


@pytest.mark.parametrize("username", REFUSED, ids=ids(REFUSED))
def test_the_admin_add_form_makes_no_look_alike_of_an_account(staff_client, alice, username):
    # Django's admin form first folds compatibility characters (NFKC: a fullwidth a is a):
    # what is left is refused by the rule, or is "alice", taken.
    response = admin_add(staff_client, username)
    assert response.status_code == 200
    content = response.content.decode()
    assert RULE in content or "A user with that username already exists" in content
    assert User.objects.count() == 2  # alice and the staff member
    assert only_ascii_usernames()


@pytest.mark.parametrize("username", [*LOOK_ALIKES, "ALICE"], ids=ids([*LOOK_ALIKES, "ALICE"]))
def test_the_admin_cannot_rename_an_account_to_look_like_another(staff_client, alice, username):
    bob = create_user("bob", "bob@example.com")
    response = admin_rename(staff_client, bob, username)
    assert response.status_code == 200
    assert (
        RULE in response.content.decode()
        or "A user with that username already exists" in response.content.decode()
    )
    bob.refresh_from_db()
    assert bob.username == "bob"


def test_the_admin_renames_within_the_rule(staff_client, alice):
    bob = create_user("bob", "bob@example.com")
    response = admin_rename(staff_client, bob, "bob.smith")
    assert response.status_code == 302, response.context["adminform"].form.errors
    bob.refresh_from_db()
    assert bob.username == "bob.smith"


@pytest.mark.parametrize("username", ["ALICE", "Alice", "aLiCe"])
def test_sign_up_refuses_another_case_of_a_taken_username(alice, username):
    response = sign_up(username)
    assert response.status_code == 200
    assert User.objects.filter(username__iexact="alice").count() == 1


def test_the_database_keeps_one_username_whatever_its_case(alice):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="ALICE", email="other@example.com")


@pytest.mark.parametrize("username", ACCEPTED)
def test_usernames_within_the_rule_are_accepted(username):
    response = sign_up(username)
    assert response.status_code == 302
    assert User.objects.filter(username=username).exists()
