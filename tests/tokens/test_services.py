import base64
import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from pymacaroons import MACAROON_V2, Macaroon
from pypitoken import Token

from cheeseshop.accounts.services import create_user
from cheeseshop.audit.services import Credential
from cheeseshop.packaging.models import Project
from cheeseshop.tokens.caveats import Expiration, ProjectID, ProjectName, RequestUser
from cheeseshop.tokens.models import APIToken
from cheeseshop.tokens.services import (
    AuthenticatedToken,
    TokenError,
    authenticate_token,
    check_upload_permission,
    create_token,
    record_token_use,
    revoke_token,
    token_credential,
    token_from_authorization,
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
    assert len(bytes(first.key)) == 32
    assert bytes(first.key) != bytes(second.key)


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
    macaroon = Macaroon(identifier=token.id.hex, key=bytes(token.key), version=MACAROON_V2)
    assert refusal("pypi-" + macaroon.serialize()) == unknown_message()


def test_deleted_token_is_refused(user):
    token, raw = create_token(user, description="CI")
    token.delete()
    assert refusal(raw) == unknown_message()


def test_revoked_token_is_refused(user):
    token, raw = create_token(user, description="CI")
    revoke_token(token)
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
    revoke_token(token)
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
    scoped = (
        Token.load(raw)
        .restrict(not_before=now - timedelta(hours=2), not_after=now - timedelta(hours=1))
        .dump()
    )
    assert upload_refusal(scoped, alpha) == "Invalid API Token: token is expired"


def test_token_restricted_with_pypitoken_to_a_future_window_is_not_yet_valid(user, alpha):
    _token, raw = create_token(user, description="CI")
    now = datetime.now(tz=UTC)
    scoped = (
        Token.load(raw)
        .restrict(not_before=now + timedelta(hours=1), not_after=now + timedelta(hours=2))
        .dump()
    )
    assert upload_refusal(scoped, alpha) == "Invalid API Token: token is not yet valid"


def test_token_restricted_with_pypitoken_to_the_current_window_is_accepted(user, alpha):
    _token, raw = create_token(user, description="CI")
    now = datetime.now(tz=UTC)
    scoped = (
        Token.load(raw)
        .restrict(not_before=now - timedelta(hours=1), not_after=now + timedelta(hours=1))
        .dump()
    )
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
    revoke_token(token)
    first = APIToken.objects.get(pk=token.pk).revoked
    assert first is not None
    assert token.revoked == first
    revoke_token(APIToken.objects.get(pk=token.pk))
    assert APIToken.objects.get(pk=token.pk).revoked == first
