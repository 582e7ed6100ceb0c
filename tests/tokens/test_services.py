import base64
import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pymacaroons import MACAROON_V2, Macaroon
from pypitoken import Token

from cheeseshop.accounts.models import User
from cheeseshop.accounts.services import create_user
from cheeseshop.audit.models import Event
from cheeseshop.audit.services import CLI, SESSION, Credential
from cheeseshop.packaging.models import Project, Role, RoleName
from cheeseshop.tokens.caveats import Expiration, ProjectID, ProjectName, RequestUser
from cheeseshop.tokens.models import APIToken
from cheeseshop.tokens.services import (
    AuthenticatedToken,
    TokenError,
    TokenScope,
    authenticate_token,
    check_upload_permission,
    create_token,
    identify_token,
    issue_token,
    record_token_use,
    revoke_token,
    token_credential,
    token_from_authorization,
    token_scope,
    tokens_for_project,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def user():
    return create_user("alice", "alice@example.org")


@pytest.fixture
def other_user():
    return create_user("bob", "bob@example.org")


def make_project(name: str) -> Project:
    return Project.objects.create(name=name, normalized_name=name, ultranormalized_name=name)


@pytest.fixture
def alpha():
    return make_project("alpha")


@pytest.fixture
def beta():
    return make_project("beta")


def attenuate(raw: str, predicate: str) -> str:
    """Add a caveat as a token holder can, offline, without the key."""
    macaroon = Macaroon.deserialize(raw.removeprefix("pypi-"))
    macaroon.add_first_party_caveat(predicate)
    return "pypi-" + macaroon.serialize()


def refusal(raw: str) -> str:
    with pytest.raises(TokenError) as excinfo:
        authenticate_token(raw)
    return excinfo.value.message


def restricted_to_window(raw: str, not_before: datetime, not_after: datetime) -> str:
    """``raw`` restricted with the pypitoken library to the validity window given."""
    return Token.load(raw).restrict(not_before=not_before, not_after=not_after).dump()


def upload_refusal(raw: str, project: Project | None, **kwargs) -> str:
    auth = authenticate_token(raw)
    with pytest.raises(TokenError) as excinfo:
        check_upload_permission(auth, project, **kwargs)
    return excinfo.value.message


# -- issuing


def test_create_token_stores_the_user_caveat_and_the_given_ones(user, alpha):
    token, _raw = create_token(
        user, description="CI", caveats=[ProjectName(["alpha"]), ProjectID([str(alpha.pk)])]
    )
    token.refresh_from_db()
    assert token.caveats == [[3, str(user.pk)], [1, ["alpha"]], [2, [str(alpha.pk)]]]
    assert token.description == "CI"
    assert token.user == user


def test_create_token_returns_a_prefixed_v2_macaroon_carrying_the_server_caveats(user):
    token, raw = create_token(user, description="CI")
    assert raw.startswith("pypi-")
    macaroon = Macaroon.deserialize(raw.removeprefix("pypi-"))
    assert macaroon.version == MACAROON_V2
    assert macaroon.identifier_bytes == str(token.id).encode()
    assert macaroon.location == "cheeseshop"
    assert [c.caveat_id_bytes for c in macaroon.caveats] == [f'[3,"{user.pk}"]'.encode()]


def test_each_token_gets_its_own_root_key(user):
    first, _ = create_token(user, description="one")
    second, _ = create_token(user, description="two")
    assert len(first.root_key) == 32
    assert first.root_key != second.root_key


def test_create_token_refuses_a_description_that_is_too_long(user):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        create_token(user, description="x" * 101)
    assert not APIToken.objects.exists()


def test_token_uses_the_configured_prefix_and_location(user, settings):
    settings.CHEESESHOP_TOKEN_PREFIX = "cheese-"
    settings.CHEESESHOP_TOKEN_LOCATION = "index.example.org"
    _token, raw = create_token(user, description="CI")
    assert raw.startswith("cheese-")
    assert Macaroon.deserialize(raw.removeprefix("cheese-")).location == "index.example.org"
    assert authenticate_token(raw).user == user


# -- reading the Authorization header


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


@pytest.mark.parametrize(
    "header",
    [
        basic("__token__", "pypi-abc"),
        basic("__token__", " pypi-abc "),
        "Bearer pypi-abc",
        "bearer   pypi-abc  ",
        "token pypi-abc",
        "Token pypi-abc",
    ],
)
def test_token_is_read_from_each_supported_authorization_scheme(header):
    assert token_from_authorization(header) == "pypi-abc"


@pytest.mark.parametrize("header", [None, "", "   "])
def test_no_authorization_header_means_no_token(header):
    assert token_from_authorization(header) is None


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (
            basic("alice", "secret"),
            "Username/Password authentication is no longer supported. "
            "Migrate to API Tokens instead.",
        ),
        (
            "Basic %%%not-base64%%%",
            "Invalid Authorization header: the Basic credentials are not valid base64 text.",
        ),
        (
            "Basic " + base64.b64encode(b"\xff\xfe:x").decode(),
            "Invalid Authorization header: the Basic credentials are not valid base64 text.",
        ),
        (
            "Basic " + base64.b64encode(b"__token__").decode(),
            "Invalid Authorization header: the Basic credentials have no ':' separator.",
        ),
        (basic("__token__", ""), "Invalid API Token: no token was given"),
        ("Bearer", "Invalid API Token: no token was given"),
        (
            "Digest abc",
            "Invalid Authorization header: unsupported scheme 'digest'; "
            "use Basic (username __token__), Bearer or token.",
        ),
    ],
)
def test_unusable_authorization_header_is_refused_with_its_reason(header, message):
    with pytest.raises(TokenError) as excinfo:
        token_from_authorization(header)
    assert excinfo.value.message == message


# -- authenticating


def test_issued_token_authenticates_as_its_user(user):
    token, raw = create_token(user, description="CI")
    auth = authenticate_token(raw)
    assert isinstance(auth, AuthenticatedToken)
    assert auth.token == token
    assert auth.user == user
    assert auth.caveats == (RequestUser(str(user.pk)),) * 2  # presented + re-applied


def test_unrestricted_token_may_upload_to_any_project_or_create_one(user, alpha):
    _token, raw = create_token(user, description="CI")
    auth = authenticate_token(raw)
    check_upload_permission(auth, alpha)
    check_upload_permission(auth, None)


def test_token_read_from_a_basic_header_authenticates(user):
    _token, raw = create_token(user, description="CI")
    assert authenticate_token(token_from_authorization(basic("__token__", raw))).user == user


def test_token_with_another_prefix_is_refused(user):
    _token, raw = create_token(user, description="CI")
    assert (
        refusal("other-" + raw.removeprefix("pypi-"))
        == "Invalid API Token: the token does not start with 'pypi-'"
    )


@pytest.mark.parametrize("body", ["", "!!!!", "AAAA", "not a macaroon at all"])
def test_undecodable_token_is_refused(body):
    assert refusal("pypi-" + body) == "Invalid API Token: the token could not be decoded"


def unknown_message() -> str:
    return "Invalid API Token: the token is unknown to this index (never issued here, or deleted)"


def test_token_with_an_unknown_identifier_is_refused():
    macaroon = Macaroon(identifier=str(uuid.uuid4()), key=b"k" * 32, version=MACAROON_V2)
    assert refusal("pypi-" + macaroon.serialize()) == unknown_message()


@pytest.mark.parametrize("identifier", ["not-a-uuid", "", b"\xff\xfe"])
def test_token_with_a_malformed_identifier_is_refused(identifier):
    macaroon = Macaroon(identifier=identifier, key=b"k" * 32, version=MACAROON_V2)
    assert refusal("pypi-" + macaroon.serialize()) == unknown_message()


def test_token_with_a_non_canonical_identifier_is_refused(user):
    token, _raw = create_token(user, description="CI")
    macaroon = Macaroon(identifier=token.id.hex, key=token.root_key, version=MACAROON_V2)
    assert refusal("pypi-" + macaroon.serialize()) == unknown_message()


def test_deleted_token_is_refused(user):
    token, raw = create_token(user, description="CI")
    token.delete()
    assert refusal(raw) == unknown_message()


def test_revoked_token_is_refused(user):
    token, raw = create_token(user, description="CI")
    revoke_token(token, actor=None, credential=CLI)
    assert refusal(raw) == "Invalid API Token: the token has been revoked"


def test_token_of_a_deactivated_user_is_refused(user):
    _token, raw = create_token(user, description="CI")
    user.is_active = False
    user.save()
    assert refusal(raw) == "Invalid API Token: the token's user account is deactivated"


def test_token_of_a_frozen_user_is_refused(user):
    _token, raw = create_token(user, description="CI")
    user.is_frozen = True
    user.save()
    assert refusal(raw) == "Invalid API Token: the token's user account is frozen"


SIGNATURE_MESSAGE = "Invalid API Token: the token's signature is not valid (the token was altered)"


def test_token_signed_with_another_key_is_refused(user):
    token, _raw = create_token(user, description="CI")
    forged = Macaroon(identifier=str(token.id), key=b"guessed" * 5, version=MACAROON_V2)
    forged.add_first_party_caveat(f'[3,"{user.pk}"]')
    assert refusal("pypi-" + forged.serialize()) == SIGNATURE_MESSAGE


def test_token_with_a_caveat_removed_is_refused(user, alpha):
    _token, raw = create_token(user, description="CI", caveats=[ProjectName(["alpha"])])
    macaroon = Macaroon.deserialize(raw.removeprefix("pypi-"))
    del macaroon.caveats[1]
    assert refusal("pypi-" + macaroon.serialize()) == SIGNATURE_MESSAGE


def test_token_with_an_edited_caveat_is_refused(user):
    _token, raw = create_token(user, description="CI", caveats=[ProjectName(["alpha"])])
    macaroon = Macaroon.deserialize(raw.removeprefix("pypi-"))
    macaroon.caveats[1].caveat_id = b'[1,["beta"]]'
    assert refusal("pypi-" + macaroon.serialize()) == SIGNATURE_MESSAGE


def test_forged_token_does_not_reveal_the_account_state(user):
    token, _raw = create_token(user, description="CI")
    revoke_token(token, actor=None, credential=CLI)
    forged = Macaroon(identifier=str(token.id), key=b"guessed" * 5, version=MACAROON_V2)
    assert refusal("pypi-" + forged.serialize()) == SIGNATURE_MESSAGE


@pytest.mark.parametrize(
    ("predicate", "reason"),
    [
        ("not json", "caveat is not valid JSON"),
        ('[4, "publisher"]', "caveat has an unknown tag: 4"),
        ("[0, 1]", "Expiration caveat has too few fields"),
        ('{"permissions": "all"}', "caveat is an object of an unknown legacy format"),
    ],
)
def test_token_with_a_malformed_caveat_is_refused(user, predicate, reason):
    _token, raw = create_token(user, description="CI")
    assert refusal(attenuate(raw, predicate)) == f"Invalid API Token: malformed caveat: {reason}"


def test_token_with_a_non_utf8_caveat_is_refused(user):
    _token, raw = create_token(user, description="CI")
    macaroon = Macaroon.deserialize(raw.removeprefix("pypi-"))
    macaroon.add_first_party_caveat("[]")
    macaroon.caveats[-1].caveat_id = b"\xff"
    assert refusal("pypi-" + macaroon.serialize()) == (
        "Invalid API Token: malformed caveat: caveat is not UTF-8 text"
    )


def test_token_with_a_third_party_caveat_is_refused(user):
    _token, raw = create_token(user, description="CI")
    macaroon = Macaroon.deserialize(raw.removeprefix("pypi-"))
    macaroon.add_third_party_caveat("https://auth.example.org", b"k" * 32, "ask-me")
    assert refusal("pypi-" + macaroon.serialize()) == (
        "Invalid API Token: third-party caveats are not supported"
    )


def test_token_whose_stored_caveat_is_malformed_is_refused(user):
    token, raw = create_token(user, description="CI")
    APIToken.objects.filter(pk=token.pk).update(caveats=[[3, str(user.pk)], [9, "future"]])
    assert refusal(raw) == (
        "Invalid API Token: malformed server caveat: caveat has an unknown tag: 9"
    )


# -- caveats evaluated for an upload


def test_server_caveats_are_reapplied_to_tokens_already_issued(user, alpha, beta):
    token, raw = create_token(user, description="CI")
    APIToken.objects.filter(pk=token.pk).update(caveats=[[3, str(user.pk)], [1, ["alpha"]]])
    assert upload_refusal(raw, beta) == (
        "Invalid API Token: project-scoped token is not valid for project: 'beta'"
    )
    check_upload_permission(authenticate_token(raw), alpha)


def test_project_scoped_token_cannot_create_a_project(user, alpha):
    _token, raw = create_token(
        user, description="CI", caveats=[ProjectName(["alpha"]), ProjectID([str(alpha.pk)])]
    )
    assert upload_refusal(raw, None) == (
        "Invalid API Token: project-scoped token cannot create a new project"
    )


def test_token_attenuated_with_pymacaroons_is_limited_to_the_named_project(user, alpha, beta):
    _token, raw = create_token(user, description="CI")
    scoped = attenuate(raw, '[1,["alpha"]]')
    assert upload_refusal(scoped, beta) == (
        "Invalid API Token: project-scoped token is not valid for project: 'beta'"
    )
    check_upload_permission(authenticate_token(scoped), alpha)


def test_token_restricted_with_pypitoken_to_a_project_name(user, alpha, beta):
    _token, raw = create_token(user, description="CI")
    scoped = Token.load(raw).restrict(project_names=["alpha"]).dump()
    assert upload_refusal(scoped, beta) == (
        "Invalid API Token: project-scoped token is not valid for project: 'beta'"
    )
    check_upload_permission(authenticate_token(scoped), alpha)


def test_token_restricted_with_pypitoken_to_a_project_id(user, alpha, beta):
    _token, raw = create_token(user, description="CI")
    scoped = Token.load(raw).restrict(project_ids=[str(alpha.pk)]).dump()
    assert upload_refusal(scoped, beta) == (
        "Invalid API Token: project-scoped token is not valid for project: 'beta'"
    )
    check_upload_permission(authenticate_token(scoped), alpha)


def test_token_restricted_with_pypitoken_to_another_user_is_refused(user, other_user, alpha):
    _token, raw = create_token(user, description="CI")
    scoped = Token.load(raw).restrict(user_id=str(other_user.pk)).dump()
    assert upload_refusal(scoped, alpha) == "Invalid API Token: token is for another user"


def test_token_restricted_with_pypitoken_to_its_own_user_is_accepted(user, alpha):
    _token, raw = create_token(user, description="CI")
    scoped = Token.load(raw).restrict(user_id=str(user.pk), legacy_noop=True).dump()
    check_upload_permission(authenticate_token(scoped), alpha)


def test_token_restricted_with_pypitoken_to_a_past_window_is_expired(user, alpha):
    _token, raw = create_token(user, description="CI")
    now = datetime.now(tz=UTC)
    scoped = restricted_to_window(raw, now - timedelta(hours=2), now - timedelta(hours=1))
    assert upload_refusal(scoped, alpha) == "Invalid API Token: token is expired"


def test_token_restricted_with_pypitoken_to_a_future_window_is_not_yet_valid(user, alpha):
    _token, raw = create_token(user, description="CI")
    now = datetime.now(tz=UTC)
    scoped = restricted_to_window(raw, now + timedelta(hours=1), now + timedelta(hours=2))
    assert upload_refusal(scoped, alpha) == "Invalid API Token: token is not yet valid"


def test_token_restricted_with_pypitoken_to_the_current_window_is_accepted(user, alpha):
    _token, raw = create_token(user, description="CI")
    now = datetime.now(tz=UTC)
    scoped = restricted_to_window(raw, now - timedelta(hours=1), now + timedelta(hours=1))
    check_upload_permission(authenticate_token(scoped), alpha)


def test_token_restricted_with_pypitoken_legacy_formats(user, alpha, beta):
    _token, raw = create_token(user, description="CI")
    now = datetime.now(tz=UTC)
    scoped = (
        Token.load(raw)
        .restrict(
            legacy_project_names=["alpha"],
            legacy_not_before=now - timedelta(hours=1),
            legacy_not_after=now + timedelta(hours=1),
        )
        .dump()
    )
    check_upload_permission(authenticate_token(scoped), alpha)
    assert upload_refusal(scoped, beta) == (
        "Invalid API Token: project-scoped token is not valid for project: 'beta'"
    )


def test_expiry_is_checked_at_the_given_time(user, alpha):
    _token, raw = create_token(
        user, description="CI", caveats=[Expiration(expires_at=2_000, not_before=1_000)]
    )
    auth = authenticate_token(raw)
    check_upload_permission(auth, alpha, now=datetime.fromtimestamp(1_500, tz=UTC))
    with pytest.raises(TokenError, match="token is expired"):
        check_upload_permission(auth, alpha, now=datetime.fromtimestamp(2_000, tz=UTC))


def test_every_failing_caveat_is_named_once(user, beta):
    _token, raw = create_token(
        user,
        description="CI",
        caveats=[ProjectName(["alpha"]), ProjectID(["0"]), Expiration(1, 0)],
    )
    assert upload_refusal(raw, beta) == (
        "Invalid API Token: project-scoped token is not valid for project: 'beta'; "
        "token is expired"
    )


# -- after use


def test_record_token_use_sets_last_used_with_one_update_and_nothing_else(user):
    token, _raw = create_token(user, description="CI")
    APIToken.objects.filter(pk=token.pk).update(description="renamed meanwhile")
    with CaptureQueriesContext(connection) as queries:
        record_token_use(token)  # `token` is stale: a save() would undo the rename
    statements = [q["sql"].split()[0].upper() for q in queries.captured_queries]
    assert statements.count("UPDATE") == 1
    assert "SELECT" not in statements
    token.refresh_from_db()
    assert token.last_used is not None
    assert token.description == "renamed meanwhile"


@pytest.mark.django_db(transaction=True)
def test_record_token_use_skips_a_row_another_transaction_holds():
    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite locks the whole database")
    user = create_user("carol", "carol@example.org")
    token, _raw = create_token(user, description="CI")
    locked, release = threading.Event(), threading.Event()

    def hold_row_lock():
        from django.db import connection as thread_connection

        try:
            with transaction.atomic():
                APIToken.objects.select_for_update().get(pk=token.pk)
                locked.set()
                release.wait(timeout=10)
        finally:
            thread_connection.close()

    holder = threading.Thread(target=hold_row_lock)
    holder.start()
    try:
        assert locked.wait(timeout=10)
        record_token_use(token)  # would block until release if it waited for the lock
        assert APIToken.objects.get(pk=token.pk).last_used is None
    finally:
        release.set()
        holder.join()
    record_token_use(token)
    assert APIToken.objects.get(pk=token.pk).last_used is not None


def test_token_credential_names_the_token(user):
    token, _raw = create_token(user, description="CI for alpha")
    assert token_credential(token) == Credential(
        "token", {"token_id": str(token.id), "description": "CI for alpha"}
    )


def test_revoke_token_keeps_the_row_and_the_first_revocation_time(user):
    token, _raw = create_token(user, description="CI")
    revoke_token(token, actor=None, credential=CLI)
    first = APIToken.objects.get(pk=token.pk).revoked
    assert first is not None
    assert token.revoked == first
    revoke_token(APIToken.objects.get(pk=token.pk), actor=None, credential=CLI)
    assert APIToken.objects.get(pk=token.pk).revoked == first


def test_revoke_token_says_whether_this_call_revoked_it(user):
    token, _raw = create_token(user, description="CI")
    assert revoke_token(token, actor=None, credential=CLI) is True
    assert revoke_token(token, actor=None, credential=CLI) is False


# -- every refusal of a token, one each (the upload view answers them with a 403)


def test_refusal_wrong_project(user, alpha, beta):
    collaborate(user, alpha, beta)
    _token, raw = issue(user, project_names=["alpha"])
    assert upload_refusal(raw, beta) == (
        "Invalid API Token: project-scoped token is not valid for project: 'beta'"
    )


def test_refusal_expired(user, alpha):
    expires = datetime.now(tz=UTC) + timedelta(days=1)
    _token, raw = issue(user, expires_at=expires)
    assert upload_refusal(raw, alpha, now=expires + timedelta(seconds=1)) == (
        "Invalid API Token: token is expired"
    )


def test_refusal_not_yet_valid(user, alpha):
    _token, raw = issue(user, expires_at=datetime.now(tz=UTC) + timedelta(days=1))
    before_issue = datetime.now(tz=UTC) - timedelta(minutes=5)
    assert upload_refusal(raw, alpha, now=before_issue) == (
        "Invalid API Token: token is not yet valid"
    )


def test_refusal_revoked(user):
    token, raw = issue(user)
    revoke_token(token, actor=user, credential=SESSION)
    assert refusal(raw) == "Invalid API Token: the token has been revoked"


def test_refusal_malformed(user):
    _token, raw = issue(user)
    assert refusal(attenuate(raw, "[0]")) == (
        "Invalid API Token: malformed caveat: Expiration caveat has too few fields"
    )


def test_refusal_unknown():
    macaroon = Macaroon(identifier=str(uuid.uuid4()), key=b"k" * 32, version=MACAROON_V2)
    assert refusal("pypi-" + macaroon.serialize()) == unknown_message()


def test_refusal_owner_frozen(user):
    _token, raw = issue(user)
    User.objects.filter(pk=user.pk).update(is_frozen=True)
    assert refusal(raw) == "Invalid API Token: the token's user account is frozen"


def test_refusal_owner_deleted(user):
    token, raw = issue(user)
    user.delete()  # the token row goes with its user
    assert not APIToken.objects.filter(pk=token.pk).exists()
    assert refusal(raw) == unknown_message()


def test_refusal_attenuated_caveat_not_met(user, other_user, alpha):
    _token, raw = issue(user)
    narrowed = Token.load(raw).restrict(user_id=str(other_user.pk)).dump()
    assert upload_refusal(narrowed, alpha) == "Invalid API Token: token is for another user"


# -- issue_token: scope, expiry, refusals, events


def collaborate(user, *projects: Project, role: str = RoleName.OWNER) -> None:
    for project in projects:
        Role.objects.create(user=user, project=project, role_name=role)


def issue(user, **kwargs):
    kwargs.setdefault("description", "CI")
    kwargs.setdefault("credential", SESSION)
    return issue_token(user, **kwargs)


def test_account_wide_token_carries_only_the_user_caveat(user):
    token, raw = issue(user)
    assert token.caveats == [[3, str(user.pk)]]
    assert token_scope(token) == TokenScope(project_names=None, expires_at=None)
    assert token_scope(token).is_account_wide
    assert authenticate_token(raw).user == user


def test_token_scoped_to_several_projects_uploads_to_those_only(user, alpha, beta):
    gamma = make_project("gamma")
    collaborate(user, alpha, beta, gamma)
    token, raw = issue(user, project_names=["Alpha", "beta"])
    assert token.caveats == [
        [3, str(user.pk)],
        [1, ["alpha", "beta"]],
        [2, [str(alpha.pk), str(beta.pk)]],
    ]
    auth = authenticate_token(raw)
    check_upload_permission(auth, alpha)
    check_upload_permission(auth, beta)
    assert upload_refusal(raw, gamma) == (
        "Invalid API Token: project-scoped token is not valid for project: 'gamma'"
    )
    assert upload_refusal(raw, None) == (
        "Invalid API Token: project-scoped token cannot create a new project"
    )


def test_a_project_named_twice_is_scoped_once(user, alpha):
    collaborate(user, alpha)
    token, _raw = issue(user, project_names=["alpha", "ALPHA"])
    assert token_scope(token).project_names == ("alpha",)


def test_token_with_an_expiry_carries_it_from_now(user, alpha):
    expires = datetime(2100, 1, 1, tzinfo=UTC)
    before = int(datetime.now(tz=UTC).timestamp())
    token, raw = issue(user, expires_at=expires)
    tag, expires_at, not_before = token.caveats[1]
    assert (tag, expires_at) == (0, int(expires.timestamp()))
    assert before <= not_before <= int(datetime.now(tz=UTC).timestamp())
    assert token_scope(token).expires_at == expires
    check_upload_permission(authenticate_token(raw), alpha)


@pytest.mark.parametrize(
    ("description", "message"),
    [
        ("", "The token needs a description: say what it is for."),
        ("   ", "The token needs a description: say what it is for."),
        ("x" * 101, "The description is too long: at most 100 characters."),
    ],
)
def test_issue_token_refuses_a_bad_description(user, description, message):
    with pytest.raises(TokenError) as excinfo:
        issue(user, description=description)
    assert excinfo.value.message == message
    assert not APIToken.objects.exists()


def test_issue_token_accepts_a_description_of_100_characters(user):
    token, _raw = issue(user, description="x" * 100)
    assert token.description == "x" * 100


def test_issue_token_refuses_a_description_in_use_on_an_unrevoked_token(user):
    issue(user, description="CI")
    with pytest.raises(TokenError) as excinfo:
        issue(user, description=" CI ")
    assert excinfo.value.message == (
        "User 'alice' already has a token described 'CI'; choose another description."
    )


def test_a_revoked_tokens_description_may_be_used_again(user, other_user):
    token, _raw = issue(user, description="CI")
    issue(other_user, description="CI")  # another user's descriptions are theirs
    revoke_token(token, actor=user, credential=SESSION)
    assert issue(user, description="CI")[0].description == "CI"


def test_issue_token_refuses_an_unknown_project(user):
    with pytest.raises(TokenError) as excinfo:
        issue(user, project_names=["nonesuch"])
    assert excinfo.value.message == "There is no project named 'nonesuch'."


def test_issue_token_refuses_a_project_the_user_has_no_role_on(user, other_user, alpha, beta):
    collaborate(user, alpha)
    collaborate(other_user, beta)
    with pytest.raises(TokenError) as excinfo:
        issue(user, project_names=["alpha", "beta"])
    assert excinfo.value.message == (
        "User 'alice' is not a collaborator on project 'beta': a token can only be scoped to "
        "the user's own projects."
    )
    assert not APIToken.objects.exists()
    assert not Event.objects.exists()


def test_a_maintainer_may_scope_a_token_to_the_project(user, alpha):
    collaborate(user, alpha, role=RoleName.MAINTAINER)
    assert token_scope(issue(user, project_names=["alpha"])[0]).project_names == ("alpha",)


@pytest.mark.parametrize("delta", [timedelta(0), timedelta(seconds=-1), timedelta(days=-3)])
def test_issue_token_refuses_an_expiry_not_in_the_future(user, delta):
    with pytest.raises(TokenError) as excinfo:
        issue(user, expires_at=timezone.now() + delta)
    assert excinfo.value.message == "The expiry date must be in the future."


def test_issue_token_rejects_a_naive_expiry(user):
    with pytest.raises(ValueError, match="aware"):
        issue(user, expires_at=datetime(2100, 1, 1))


def test_issue_token_refuses_a_frozen_user(user):
    User.objects.filter(pk=user.pk).update(is_frozen=True)
    with pytest.raises(TokenError) as excinfo:
        issue(user)
    assert excinfo.value.message == "User 'alice' is frozen and cannot be given tokens."


def test_issue_token_refuses_a_deactivated_user(user):
    User.objects.filter(pk=user.pk).update(is_active=False)
    with pytest.raises(TokenError) as excinfo:
        issue(user)
    assert excinfo.value.message == "User 'alice' is deactivated and cannot be given tokens."


def test_issue_token_records_the_account_event_and_one_per_project(user, alpha, beta):
    collaborate(user, alpha, beta)
    expires = datetime(2100, 1, 1, tzinfo=UTC)
    token, _raw = issue(
        user,
        description="release",
        project_names=["alpha", "beta"],
        expires_at=expires,
        actor=user,
    )
    account = Event.objects.get(tag="account:api_token:added")
    assert (account.user, account.actor, account.project) == (user, user, None)
    assert account.credential == {"method": "session"}
    assert account.additional == {
        "token_id": str(token.id),
        "description": "release",
        "scope": ["alpha", "beta"],
        "expires": "2100-01-01T00:00:00+00:00",
    }
    projects = Event.objects.filter(tag="project:api_token:added").order_by("project_id")
    assert [event.project for event in projects] == [alpha, beta]
    assert projects[0].additional == {
        "token_id": str(token.id),
        "description": "release",
        "user": "alice",
    }


def test_account_wide_issue_records_its_scope_and_no_project_event(user):
    issue(user, credential=CLI)
    event = Event.objects.get(tag="account:api_token:added")
    assert event.credential == {"method": "cli"}
    assert (event.additional["scope"], event.additional["expires"]) == ("account", None)
    assert not Event.objects.filter(tag="project:api_token:added").exists()


# -- revoke_token: events


def test_revoke_token_records_the_account_event_and_one_per_project(user, alpha, beta):
    collaborate(user, alpha, beta)
    token, _raw = issue(user, project_names=["alpha", "beta"])
    revoke_token(token, actor=user, credential=SESSION)
    account = Event.objects.get(tag="account:api_token:removed")
    assert (account.user, account.actor) == (user, user)
    assert account.additional == {"token_id": str(token.id), "description": "CI"}
    removed = Event.objects.filter(tag="project:api_token:removed")
    assert {event.project for event in removed} == {alpha, beta}
    assert not Event.objects.filter(tag="account:api_token:removed_leak").exists()


def test_revoking_a_leaked_token_records_the_leak(user):
    token, _raw = issue(user)
    leak = Credential("secret-scanning", {"origin": "github", "url": "https://example.org/x"})
    revoke_token(token, actor=None, credential=leak, leaked=True)
    event = Event.objects.get(tag="account:api_token:removed_leak")
    assert event.credential == {
        "method": "secret-scanning",
        "origin": "github",
        "url": "https://example.org/x",
    }
    assert event.actor is None
    assert not Event.objects.filter(tag="account:api_token:removed").exists()


def test_revoking_twice_records_one_event(user):
    token, _raw = issue(user)
    revoke_token(token, actor=user, credential=SESSION)
    revoke_token(APIToken.objects.get(pk=token.pk), actor=user, credential=SESSION)
    assert Event.objects.filter(tag="account:api_token:removed").count() == 1


# -- token_scope


def test_scope_by_project_id_only_names_the_projects_as_they_are_now(user, alpha):
    token, _raw = create_token(user, description="CI", caveats=[ProjectID([str(alpha.pk)])])
    Project.objects.filter(pk=alpha.pk).update(normalized_name="alpha-renamed")
    assert token_scope(token).project_names == ("alpha-renamed",)


def test_scope_is_the_intersection_of_the_project_caveats(user):
    token, _raw = create_token(
        user, description="CI", caveats=[ProjectName(["a", "b"]), ProjectName(["b", "c"])]
    )
    assert token_scope(token).project_names == ("b",)


def test_scope_expiry_is_the_earliest(user):
    token, _raw = create_token(
        user, description="CI", caveats=[Expiration(4_000, 0), Expiration(3_000, 0)]
    )
    assert token_scope(token).expires_at == datetime.fromtimestamp(3_000, tz=UTC)


def test_scope_leaves_out_an_unreadable_server_caveat(user):
    token, _raw = create_token(user, description="CI")
    token.caveats = [[3, str(user.pk)], [9, "future"], [1, ["alpha"]]]
    assert token_scope(token).project_names == ("alpha",)


# -- tokens_for_project


def test_tokens_for_project_lists_scoped_and_account_wide_tokens_of_collaborators(
    user, other_user, alpha, beta
):
    collaborate(user, alpha, beta)
    collaborate(other_user, alpha, role=RoleName.MAINTAINER)
    account_wide, _ = issue(user, description="everything")
    for_alpha, _ = issue(user, description="alpha", project_names=["alpha"])
    for_beta, _ = issue(user, description="beta", project_names=["beta"])
    maintainers, _ = issue(other_user, description="max")
    revoked, _ = issue(user, description="revoked")
    revoke_token(revoked, actor=user, credential=SESSION)
    expired, _ = issue(user, description="expired", expires_at=timezone.now() + timedelta(days=1))

    later = timezone.now() + timedelta(days=2)
    listed = tokens_for_project(alpha, now=later)
    assert set(listed) == {account_wide, for_alpha, maintainers}
    assert for_beta not in listed
    assert expired not in listed
    assert expired in tokens_for_project(alpha)


def test_tokens_for_project_leaves_out_tokens_of_former_collaborators(user, other_user, alpha):
    collaborate(user, alpha)
    collaborate(other_user, alpha)
    scoped, _ = issue(other_user, project_names=["alpha"])
    Role.objects.filter(user=other_user).delete()
    assert scoped not in tokens_for_project(alpha)
    assert tokens_for_project(alpha) == []


def test_tokens_for_project_leaves_out_tokens_with_unreadable_server_caveats(user, alpha):
    collaborate(user, alpha)
    token, _raw = issue(user)
    APIToken.objects.filter(pk=token.pk).update(caveats=[[3, str(user.pk)], [9, "future"]])
    assert tokens_for_project(alpha) == []


def test_tokens_for_project_lists_newest_first(user, alpha):
    collaborate(user, alpha)
    first, _ = issue(user, description="first")
    second, _ = issue(user, description="second")
    APIToken.objects.filter(pk=first.pk).update(created=timezone.now() - timedelta(days=1))
    assert tokens_for_project(alpha) == [second, first]


# -- identify_token (leak reports)


def test_identify_token_finds_unusable_tokens_too(user):
    token, raw = issue(user, expires_at=timezone.now() + timedelta(days=1))
    revoke_token(token, actor=user, credential=SESSION)
    User.objects.filter(pk=user.pk).update(is_frozen=True)
    assert identify_token(raw) == token


def test_identify_token_refuses_a_forgery(user):
    token, _raw = issue(user)
    forged = Macaroon(identifier=str(token.id), key=b"guessed" * 5, version=MACAROON_V2)
    with pytest.raises(TokenError) as excinfo:
        identify_token("pypi-" + forged.serialize())
    assert excinfo.value.message == SIGNATURE_MESSAGE
