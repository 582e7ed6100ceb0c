"""A token minted with another token (``POST /api/tokens/``) goes when that token goes: a leaked
token's holder may have minted some, and revoking the leaked one must not leave them working.
Every way of revoking takes the whole line along: the leak report, the owner's page, the admin,
the command line (each through ``revoke_token``)."""

import json

import pytest
from django.test import Client

from cheeseshop.accounts.services import create_user
from cheeseshop.audit.models import Event
from cheeseshop.audit.services import ADMIN, CLI, SESSION
from cheeseshop.errors import NotAuthenticated
from cheeseshop.tokens.models import APIToken
from cheeseshop.tokens.services import authenticate_token, issue_token, revoke_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice():
    return create_user("alice", "alice@example.org")


def mint_with(raw: str, description: str) -> str:
    response = Client().post(
        "/api/tokens/",
        json.dumps({"description": description}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {raw}"},
    )
    assert response.status_code == 201, response.content
    return response.json()["token"]


def still_works(raw: str) -> bool:
    try:
        authenticate_token(raw)
    except NotAuthenticated:
        return False
    return True


@pytest.fixture
def family(alice):
    """A token, a child minted with it, a grandchild minted with the child, and a token of
    the same user's minted apart from them."""
    parent, parent_raw = issue_token(alice, description="leaked", credential=SESSION)
    child_raw = mint_with(parent_raw, "child")
    grandchild_raw = mint_with(child_raw, "grandchild")
    _other, other_raw = issue_token(alice, description="apart", credential=SESSION)
    return parent, {"child": child_raw, "grandchild": grandchild_raw, "apart": other_raw}


@pytest.mark.parametrize(
    ("credential", "leaked"),
    [(CLI, True), (SESSION, False), (ADMIN, False), (CLI, False)],
    ids=["leak-report", "owner", "admin", "cli"],
)
def test_revoking_a_token_revokes_every_token_minted_from_it(alice, family, credential, leaked):
    parent, raws = family
    assert all(still_works(raw) for raw in raws.values())

    assert revoke_token(parent, actor=None, credential=credential, leaked=leaked)

    assert not still_works(raws["child"])
    assert not still_works(raws["grandchild"])
    assert still_works(raws["apart"])


def test_each_token_taken_along_is_recorded_with_the_one_that_took_it(alice, family):
    parent, _raws = family
    revoke_token(parent, actor=None, credential=CLI, leaked=True)
    child = APIToken.objects.get(description="child")
    grandchild = APIToken.objects.get(description="grandchild")
    removed = {
        event.additional["description"]: event.additional
        for event in Event.objects.filter(tag="account:api_token:removed")
    }
    assert removed["child"]["revoked_with"] == str(parent.id)
    assert removed["grandchild"]["revoked_with"] == str(child.id)
    assert grandchild.parent == child
    assert child.parent == parent
    assert Event.objects.filter(tag="account:api_token:removed_leak").count() == 1


def test_the_mint_is_recorded_with_the_token_that_asked(alice, family):
    parent, _raws = family
    added = Event.objects.get(tag="account:api_token:added", additional__description="child")
    assert added.additional["parent_token_id"] == str(parent.id)


def test_revoking_an_already_revoked_token_still_sweeps_its_offspring(alice, family):
    parent, raws = family
    APIToken.objects.filter(pk=parent.pk).update(revoked=parent.created)  # revoked earlier
    assert not revoke_token(parent, actor=None, credential=CLI)
    assert not still_works(raws["child"])
    assert not still_works(raws["grandchild"])


def test_the_owners_revoke_button_takes_the_offspring_along(alice, family):
    from tests.accounts.sessions import signed_in_through_the_site

    parent, raws = family
    client = signed_in_through_the_site(alice)
    response = client.post(f"/manage/account/tokens/{parent.pk}/revoke/")
    assert response.status_code == 302
    assert not still_works(raws["child"])
    assert not still_works(raws["grandchild"])
