"""``POST /api/tokens/``: minting tokens with JSON, never wider than the credential that asks."""

import base64
import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from pymacaroons import Macaroon
from pypitoken import Token

from cheeseshop.accounts.services import create_user
from cheeseshop.audit.models import Event
from cheeseshop.audit.services import SESSION
from cheeseshop.flags.models import FlagId
from cheeseshop.flags.services import set_flag
from cheeseshop.packaging.models import Project, Role, RoleName
from cheeseshop.tokens.models import APIToken
from cheeseshop.tokens.services import (
    authenticate_token,
    check_upload_permission,
    issue_token,
    token_scope,
)

pytestmark = pytest.mark.django_db

MINT = "/api/tokens/"
CSRF_SECRET = "a" * 32


def make_project(name: str) -> Project:
    return Project.objects.create(name=name, normalized_name=name, ultranormalized_name=name)


@pytest.fixture
def user():
    return create_user("alice", "alice@example.org")


@pytest.fixture
def alpha(user):
    project = make_project("alpha")
    Role.objects.create(user=user, project=project, role_name=RoleName.OWNER)
    return project


@pytest.fixture
def beta(user):
    project = make_project("beta")
    Role.objects.create(user=user, project=project, role_name=RoleName.MAINTAINER)
    return project


def record_authentication(client: Client, user, **record) -> None:
    """Record in the session, as allauth's login does, how and when ``user`` authenticated."""
    session = client.session
    session["account_authentication_methods"] = [
        {"method": "password", "at": time.time()} | record
    ]
    session["account_authentication_methods_user"] = str(user.pk)
    session.save()


def signed_in(user, *, enforce_csrf_checks: bool = False) -> Client:
    """A session that logged in with a password just now."""
    client = Client(enforce_csrf_checks=enforce_csrf_checks)
    client.force_login(user)
    record_authentication(client, user)
    return client


def post(client: Client, body, **headers):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(MINT, data, content_type="application/json", headers=headers)


def bearer(raw: str) -> dict:
    return {"Authorization": f"Bearer {raw}"}


def issued(user, **kwargs) -> str:
    kwargs.setdefault("description", "parent")
    return issue_token(user, credential=SESSION, **kwargs)[1]


# -- a signed-in session


def test_session_mints_an_account_wide_token(user):
    response = post(signed_in(user), {"description": "CI"})
    assert response.status_code == 201
    body = response.json()
    token = APIToken.objects.get(description="CI")
    assert body == {"token": body["token"], "id": str(token.id), "projects": [], "expires": None}
    assert authenticate_token(body["token"]).token == token
    event = Event.objects.get(tag="account:api_token:added")
    assert (event.user, event.actor, event.credential) == (user, user, {"method": "session"})


def test_session_mints_a_token_for_some_projects_with_an_expiry(user, alpha, beta):
    before = timezone.now()
    response = post(
        signed_in(user),
        {"description": "CI", "projects": ["beta", "Alpha"], "expires_in_days": 7},
    )
    assert response.status_code == 201
    body = response.json()
    assert body["projects"] == ["alpha", "beta"]
    expires = datetime.fromisoformat(body["expires"])
    assert before + timedelta(days=7) - timedelta(seconds=1) <= expires
    assert expires <= timezone.now() + timedelta(days=7)
    auth = authenticate_token(body["token"])
    check_upload_permission(auth, alpha)
    check_upload_permission(auth, beta)
    assert Event.objects.filter(tag="project:api_token:added").count() == 2


def test_session_request_without_a_csrf_token_is_refused(user):
    response = post(signed_in(user, enforce_csrf_checks=True), {"description": "CI"})
    assert response.status_code == 403
    assert response.json() == {
        "error": "CSRF verification failed: a signed-in request must carry the CSRF token."
    }
    assert not APIToken.objects.exists()


def test_session_request_with_the_csrf_token_is_accepted(user):
    client = signed_in(user, enforce_csrf_checks=True)
    client.cookies[settings.CSRF_COOKIE_NAME] = CSRF_SECRET
    response = post(client, {"description": "CI"}, **{"X-CSRFToken": CSRF_SECRET})
    assert response.status_code == 201


def test_anonymous_request_is_refused_with_401():
    response = post(Client(), {"description": "CI"})
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["error"].startswith("Authentication required: sign in, or send")


def test_session_without_a_recent_reauthentication_is_refused(db):
    user = create_user("carol", "carol@example.org", password="a long password 123")
    client = signed_in(user)
    record_authentication(client, user, at=time.time() - 31 * 60)
    response = post(client, {"description": "CI"})
    assert response.status_code == 403
    assert response.json()["error"].startswith("Creating a token needs a recent re-authentication")
    record_authentication(client, user, reauthenticated=True)
    assert post(client, {"description": "CI"}).status_code == 201


def test_session_without_a_recorded_login_is_refused(user):
    # A session not opened by the site's login (no record of how the user authenticated) is
    # never recent, whether or not the account has a password.
    client = Client()
    client.force_login(user)
    response = post(client, {"description": "CI"})
    assert response.status_code == 403
    assert response.json()["error"].startswith("Creating a token needs a recent re-authentication")
    assert not APIToken.objects.exists()


def test_anonymous_request_without_a_csrf_token_is_refused_with_401():
    response = post(Client(enforce_csrf_checks=True), {"description": "CI"})
    assert response.status_code == 401


def test_session_of_a_user_without_a_verified_email_is_refused(user):
    user.emailaddress_set.update(verified=False)
    response = post(signed_in(user), {"description": "CI"})
    assert response.status_code == 403
    assert response.json()["error"].startswith(
        "User 'alice' does not have a verified primary email address."
    )


def test_session_of_a_frozen_user_is_refused(user):
    client = Client()
    # allauth's backend keeps a frozen user's session; Django's (ours) ends it.
    client.force_login(user, backend="cheeseshop.accounts.backends.AuthenticationBackend")
    record_authentication(client, user)
    type(user).objects.filter(pk=user.pk).update(is_frozen=True)
    response = post(client, {"description": "CI"})
    assert response.status_code == 403
    assert response.json() == {
        "error": "Your account is frozen: an administrator must unfreeze it."
    }
    assert not APIToken.objects.exists()


def test_read_only_mode_refuses_minting(user):
    set_flag(FlagId.READ_ONLY, True)
    response = post(signed_in(user), {"description": "CI"})
    assert response.status_code == 403
    assert response.json() == {
        "error": "Read-only mode: changes are temporarily disabled. Nothing was changed."
    }
    assert not APIToken.objects.exists()


def test_only_post_is_answered(user):
    response = signed_in(user).get(MINT)
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert response.json() == {"error": "Use POST to create a token."}


# -- the body


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{not json", "The request body is not valid JSON."),
        (b"\xff\xfe", "The request body is not valid JSON."),
        ("[]", "The request body must be a JSON object."),
        (
            {"description": "CI", "scope": "all"},
            "Unknown field(s): scope; the fields are description, projects, expires_in_days.",
        ),
        ({}, "'description' must be a string: what the token is for."),
        ({"description": 5}, "'description' must be a string: what the token is for."),
        (
            {"description": "CI", "projects": "alpha"},
            "'projects' must be a list of project names.",
        ),
        ({"description": "CI", "projects": [1]}, "'projects' must be a list of project names."),
        *(
            (
                {"description": "CI", "expires_in_days": days},
                "'expires_in_days' must be null or a whole number of days from 1 to 36500.",
            )
            for days in (0, -1, 36501, 10**12, True, 1.5, "7")
        ),
        ({"description": ""}, "The token needs a description: say what it is for."),
        ({"description": "CI", "projects": ["nonesuch"]}, "There is no project named 'nonesuch'."),
    ],
)
def test_bad_body_is_refused_with_400_and_its_reason(user, body, message):
    response = post(signed_in(user), body)
    assert response.status_code == 400
    assert response.json() == {"error": message}
    assert not APIToken.objects.exists()


# Every string of the body, and its keys: NUL, a lone surrogate (JSON's "\ud800" escape), a
# control character (every field is one line).
SPOILED_BODIES = [
    pytest.param(body, where, named, id=f"{where}-{named}")
    for character, named in [
        ("\x00", "a NUL character (U+0000)"),
        ("\ud800", "a lone surrogate (U+D800)"),
        ("\udfff", "a lone surrogate (U+DFFF)"),
        ("\x1b", "a control character (U+001B)"),
        ("\n", "a control character (U+000A)"),
    ]
    for body, where in [
        ({"description": f"CI{character}"}, "The request body"),
        ({"description": "CI", "projects": ["alpha", f"a{character}"]}, "The request body"),
        ({"description": "CI", f"x{character}": 1}, "A key of the JSON document"),
    ]
]


@pytest.mark.parametrize(("body", "where", "named"), SPOILED_BODIES)
def test_a_body_with_a_refused_character_anywhere_is_refused_with_400(
    user, alpha, body, where, named
):
    response = post(signed_in(user), body)
    assert response.status_code == 400
    assert response.json() == {
        "error": f"{where} contains {named}, which this index does not accept."
    }
    assert not APIToken.objects.exists()


@pytest.mark.parametrize("character", ["\x00", "\ud800", "\x1b"])
def test_a_token_cannot_mint_with_a_refused_character_either(user, character):
    raw = issued(user)
    response = post(Client(), {"description": f"child{character}"}, **bearer(raw))
    assert response.status_code == 400
    assert APIToken.objects.count() == 1


def test_body_too_large_is_refused(user):
    response = post(signed_in(user), {"description": "x" * (64 * 1024)})
    assert response.status_code == 400
    assert response.json()["error"] == "The request body is too large: at most 65536 bytes."


def test_duplicate_description_is_refused_with_400(user):
    issued(user, description="CI")
    response = post(signed_in(user), {"description": "CI"})
    assert response.status_code == 400
    assert "already has a token described 'CI'" in response.json()["error"]


def test_project_of_another_user_is_refused_with_400(user, db):
    other = create_user("bob", "bob@example.org")
    project = make_project("gamma")
    Role.objects.create(user=other, project=project, role_name=RoleName.OWNER)
    response = post(signed_in(user), {"description": "CI", "projects": ["gamma"]})
    assert response.status_code == 400
    assert "is not a collaborator on project 'gamma'" in response.json()["error"]


# -- a token


def test_token_mints_a_token_without_a_csrf_token(user, alpha):
    raw = issued(user)
    client = Client(enforce_csrf_checks=True)
    response = post(client, {"description": "child", "projects": ["alpha"]}, **bearer(raw))
    assert response.status_code == 201
    assert response.json()["projects"] == ["alpha"]


def test_token_in_a_basic_header_mints_a_token(user):
    raw = issued(user)
    basic = base64.b64encode(f"__token__:{raw}".encode()).decode()
    response = post(Client(), {"description": "child"}, Authorization=f"Basic {basic}")
    assert response.status_code == 201


def test_token_credential_is_recorded_and_the_token_marked_used(user):
    parent, raw = issue_token(user, description="parent", credential=SESSION)
    assert post(Client(), {"description": "child"}, **bearer(raw)).status_code == 201
    event = Event.objects.get(tag="account:api_token:added", additional__description="child")
    assert event.credential == {
        "method": "token",
        "token_id": str(parent.id),
        "description": "parent",
    }
    assert event.actor == user
    parent.refresh_from_db()
    assert parent.last_used is not None


def test_the_authorization_header_wins_over_a_session(user):
    response = post(signed_in(user), {"description": "child"}, **bearer("pypi-garbage"))
    assert response.status_code == 401
    assert response.json() == {"error": "Invalid API Token: the token could not be decoded"}


def test_unknown_scheme_is_refused_with_401(user):
    response = post(Client(), {"description": "child"}, Authorization="Digest abc")
    assert response.status_code == 401
    assert "unsupported scheme 'digest'" in response.json()["error"]


def test_revoked_token_is_refused_with_401(user):
    parent, raw = issue_token(user, description="parent", credential=SESSION)
    from cheeseshop.tokens.services import revoke_token

    revoke_token(parent, actor=user, credential=SESSION)
    response = post(Client(), {"description": "child"}, **bearer(raw))
    assert response.status_code == 401
    assert response.json() == {"error": "Invalid API Token: the token has been revoked"}


def test_expired_token_is_refused_with_401(user):
    now = datetime.now(tz=UTC)
    raw = (
        Token.load(issued(user))
        .restrict(not_before=now - timedelta(hours=2), not_after=now - timedelta(hours=1))
        .dump()
    )
    response = post(Client(), {"description": "child"}, **bearer(raw))
    assert response.status_code == 401
    assert response.json() == {"error": "Invalid API Token: token is expired"}


def attenuated(raw: str, caveat: str) -> str:
    """``raw`` with ``caveat`` appended offline, as any holder may, whatever it says."""
    prefix = settings.CHEESESHOP_TOKEN_PREFIX
    macaroon = Macaroon.deserialize(raw[len(prefix) :])
    macaroon.add_first_party_caveat(caveat)
    return prefix + macaroon.serialize()


@pytest.mark.parametrize(
    "caveat",
    [
        "[0, 4611686018427387904, 0]",
        "[0, 253402300800, 1]",
        "[0, 2000000000, -4611686018427387904]",
        '{"exp": 4611686018427387904, "nbf": 0}',
        "[0, " + "9" * 5000 + ", 0]",
        "[0, 1e400, 0]",
        "[2, [9223372036854775808]]",
        "[3, 9223372036854775808]",
        "[1, [" + ",".join(['"a"'] * 1001) + "]]",
        '[1, ["' + "a" * 201 + '"]]',
    ],
)
def test_a_token_attenuated_offline_with_an_out_of_bounds_caveat_is_refused_with_401(user, caveat):
    raw = attenuated(issued(user), caveat)
    response = post(Client(), {"description": "child"}, **bearer(raw))
    assert response.status_code == 401
    assert response.json()["error"].startswith("Invalid API Token: malformed caveat: ")
    assert APIToken.objects.count() == 1


def test_token_attenuated_to_another_user_is_refused_with_401(user):
    other = create_user("bob", "bob@example.org")
    raw = Token.load(issued(user)).restrict(user_id=str(other.pk)).dump()
    response = post(Client(), {"description": "child"}, **bearer(raw))
    assert response.status_code == 401
    assert response.json() == {"error": "Invalid API Token: token is for another user"}


def test_token_of_a_user_without_a_verified_email_is_refused(user):
    raw = issued(user)
    user.emailaddress_set.update(verified=False)
    response = post(Client(), {"description": "child"}, **bearer(raw))
    assert response.status_code == 403


def test_scoped_token_mints_within_its_projects_only(user, alpha, beta):
    raw = issued(user, project_names=["alpha"])
    wider = post(Client(), {"description": "c1", "projects": ["alpha", "beta"]}, **bearer(raw))
    assert wider.status_code == 403
    assert wider.json() == {
        "error": "The token you authenticated with is not valid for project 'beta', so the "
        "new token cannot be either."
    }
    account = post(Client(), {"description": "c2"}, **bearer(raw))
    assert account.status_code == 403
    assert "cannot cover the whole account" in account.json()["error"]
    assert APIToken.objects.count() == 1
    within = post(Client(), {"description": "c3", "projects": ["alpha"]}, **bearer(raw))
    assert within.status_code == 201


def test_token_narrowed_offline_mints_within_the_narrowed_scope(user, alpha, beta):
    raw = Token.load(issued(user)).restrict(project_names=["beta"]).dump()
    assert (
        post(Client(), {"description": "c1", "projects": ["alpha"]}, **bearer(raw)).status_code
        == 403
    )
    assert (
        post(Client(), {"description": "c2", "projects": ["beta"]}, **bearer(raw)).status_code
        == 201
    )


def test_new_token_never_outlives_the_token_that_asks(user):
    parent_expiry = timezone.now() + timedelta(days=3)
    raw = issued(user, expires_at=parent_expiry)
    capped = int(parent_expiry.timestamp())

    no_expiry = post(Client(), {"description": "c1"}, **bearer(raw)).json()
    later = post(Client(), {"description": "c2", "expires_in_days": 30}, **bearer(raw)).json()
    sooner = post(Client(), {"description": "c3", "expires_in_days": 1}, **bearer(raw)).json()

    for body in (no_expiry, later):
        assert int(datetime.fromisoformat(body["expires"]).timestamp()) == capped
        token = APIToken.objects.get(pk=body["id"])
        assert int(token_scope(token).expires_at.timestamp()) == capped
    assert datetime.fromisoformat(sooner["expires"]) < parent_expiry - timedelta(days=1)
