"""The API tokens admin: listed without their key, revoked with an audit event."""

import pytest

from cheeseshop.audit.models import Event
from cheeseshop.tokens.models import APIToken
from tests.admin.conftest import run_action
from tests.packaging.dists import make_wheel

pytestmark = pytest.mark.django_db

TOKENS = "/admin/tokens/apitoken/"


def test_token_list_and_page_show_the_token_but_never_its_key(staff_client, token):
    row = APIToken.objects.get()
    listing = staff_client.get(TOKENS)
    assert [t.pk for t in listing.context["cl"].result_list] == [row.pk]
    page = staff_client.get(f"{TOKENS}{row.pk}/change/")
    assert page.status_code == 200
    assert "key" not in page.context["adminform"].form.fields
    assert "key" not in [f for line in page.context["adminform"] for f in line]
    for response in (listing, page):
        assert token not in response.content.decode()
        assert bytes(row.key).hex() not in response.content.decode()


def test_revoke_stops_the_token_and_records_an_event(
    staff_client, staff, user, token, post_upload, tmp_path
):
    row = APIToken.objects.get()
    response = run_action(staff_client, TOKENS, "revoke", [row.pk])
    assert response.status_code == 302

    row.refresh_from_db()
    assert row.revoked is not None
    refused = post_upload(make_wheel(tmp_path, "example-pkg", "1.0"), "example-pkg", "1.0")
    assert refused.status_code == 403
    assert "Invalid API Token: the token has been revoked" in refused.content.decode()
    event = Event.objects.get(tag="account:api_token:removed")
    assert (event.actor, event.user, event.credential) == (staff, user, {"method": "admin"})
    assert event.additional == {"token_id": str(row.pk), "description": "tests"}


def test_revoking_a_revoked_token_changes_nothing(staff_client, token):
    row = APIToken.objects.get()
    run_action(staff_client, TOKENS, "revoke", [row.pk])
    row.refresh_from_db()
    first = row.revoked
    run_action(staff_client, TOKENS, "revoke", [row.pk])
    row.refresh_from_db()
    assert row.revoked == first
    assert Event.objects.filter(tag="account:api_token:removed").count() == 1


def test_tokens_cannot_be_added_edited_or_deleted(staff_client, token):
    row = APIToken.objects.get()
    assert staff_client.get(f"{TOKENS}add/").status_code == 403
    assert staff_client.get(f"{TOKENS}{row.pk}/delete/").status_code == 403
    staff_client.post(f"{TOKENS}{row.pk}/change/", {"description": "changed"})
    row.refresh_from_db()
    assert row.description == "tests"


def test_filter_lists_revoked_tokens_only(staff_client, token):
    row = APIToken.objects.get()
    assert staff_client.get(TOKENS, {"revoked__isempty": "0"}).context["cl"].result_count == 0
    run_action(staff_client, TOKENS, "revoke", [row.pk])
    assert staff_client.get(TOKENS, {"revoked__isempty": "0"}).context["cl"].result_count == 1
