"""The two-factor policy holds on every path that makes a token: with
CHEESESHOP_MANAGE_REQUIRES_2FA on, a user without a second factor gets none, from the tokens
page, from ``POST /api/tokens/`` with a session or with a token (account-wide or scoped, minted
before the policy), or from the service the command line uses."""

import json

import pytest
from django.test import Client

from cheeseshop.accounts.services import create_user, enrol_totp
from cheeseshop.audit.services import CLI, SESSION
from cheeseshop.packaging.models import Project, Role, RoleName
from cheeseshop.tokens.models import APIToken
from cheeseshop.tokens.services import SecondFactorRequired, issue_token
from tests.accounts.sessions import signed_in_through_the_site

pytestmark = pytest.mark.django_db

MINT = "/api/tokens/"
PAGE = "/manage/account/tokens/new/"


@pytest.fixture
def alice():
    user = create_user("alice", "alice@example.org")
    project = Project.objects.create(
        name="alpha", normalized_name="alpha", ultranormalized_name="alpha"
    )
    Role.objects.create(user=user, project=project, role_name=RoleName.OWNER)
    return user


@pytest.fixture
def policy_on(settings):
    settings.CHEESESHOP_MANAGE_REQUIRES_2FA = True


def mint_with_session(user, body: dict):
    client = signed_in_through_the_site(user)
    return client.post(MINT, json.dumps(body), content_type="application/json")


def mint_with_token(raw: str, body: dict):
    return Client().post(
        MINT,
        json.dumps(body),
        content_type="application/json",
        headers={"Authorization": f"Bearer {raw}"},
    )


def token_minted_before_the_policy(user, settings, **kwargs) -> str:
    settings.CHEESESHOP_MANAGE_REQUIRES_2FA = False
    raw = issue_token(user, description="before the policy", credential=SESSION, **kwargs)[1]
    settings.CHEESESHOP_MANAGE_REQUIRES_2FA = True
    return raw


def new_tokens(user) -> list[str]:
    return list(
        APIToken.objects.filter(user=user)
        .exclude(description="before the policy")
        .values_list("description", flat=True)
    )


# Each path, asked for an account-wide token and for a token of one project.
BODIES = [{"description": "CI"}, {"description": "CI", "projects": ["alpha"]}]


@pytest.mark.parametrize("body", BODIES, ids=["account-wide", "one-project"])
def test_a_session_of_a_user_without_a_second_factor_mints_nothing_through_the_api(
    alice, policy_on, body
):
    response = mint_with_session(alice, body)
    assert response.status_code == 403
    assert "does not have two-factor authentication enabled" in response.json()["error"]
    assert "/account/2fa/" in response.json()["error"]
    assert new_tokens(alice) == []


@pytest.mark.parametrize("scope", [(), ("alpha",)], ids=["account-wide", "one-project"])
@pytest.mark.parametrize("body", BODIES, ids=["account-wide", "one-project"])
def test_a_token_minted_before_the_policy_mints_nothing_more(alice, settings, scope, body):
    if scope and "projects" not in body:
        body = {**body, "projects": list(scope)}  # a scoped token may only ask within scope
    raw = token_minted_before_the_policy(alice, settings, project_names=scope)
    response = mint_with_token(raw, body)
    assert response.status_code == 403
    assert "does not have two-factor authentication enabled" in response.json()["error"]
    assert new_tokens(alice) == []


def test_the_tokens_page_makes_nothing_for_a_user_without_a_second_factor(alice, policy_on):
    client = signed_in_through_the_site(alice)
    response = client.post(PAGE, {"description": "CI", "scope": "account"})
    assert response.status_code == 302
    assert response["Location"].startswith("/account/2fa/required/")
    assert new_tokens(alice) == []


@pytest.mark.parametrize("credential", [CLI, SESSION], ids=["cli", "session"])
def test_the_service_every_path_shares_refuses_a_user_without_a_second_factor(
    alice, policy_on, credential
):
    with pytest.raises(SecondFactorRequired, match="alice"):
        issue_token(alice, description="CI", credential=credential)
    assert new_tokens(alice) == []


@pytest.mark.parametrize("body", BODIES, ids=["account-wide", "one-project"])
def test_with_a_second_factor_the_api_mints_as_before(alice, policy_on, body):
    enrol_totp(alice)
    assert mint_with_session(alice, body).status_code == 201
    raw = issue_token(alice, description="parent", credential=SESSION)[1]
    assert mint_with_token(raw, {**body, "description": "child"}).status_code == 201


def test_with_the_policy_off_a_user_without_a_second_factor_gets_tokens(alice, settings):
    settings.CHEESESHOP_MANAGE_REQUIRES_2FA = False
    assert mint_with_session(alice, {"description": "CI"}).status_code == 201
