"""Browsers already logged in, as the site's login leaves them: for tests about what comes
after the login (the admin decides on the session's login records, not on the user alone)."""

from allauth.account.internal.flows.login import (
    get_authentication_records,
    record_authentication,
)
from django.test import Client, RequestFactory


def signed_in_through_the_site(
    user, *, second_factor: str | None = None, seconds_ago: float = 0
) -> Client:
    """A client logged in as ``user`` with allauth's records of a password login and, when
    ``second_factor`` names an authenticator type ("totp", "webauthn"), of that step too;
    ``seconds_ago`` dates the login back (a login older than allauth's re-authentication timeout
    no longer counts as recent).

    The records are allauth's own (what its login flow writes); the login flow itself is tested
    in tests/accounts/test_login.py and tests/accounts/test_admin_site.py.
    """
    client = Client()
    client.force_login(user)
    request = RequestFactory().get("/")
    request.session = client.session
    request.user = user
    record_authentication(request, user, "password", username=user.username)
    if second_factor is not None:
        record_authentication(request, user, "mfa", type=second_factor)
    for record in get_authentication_records(request, user):
        record["at"] -= seconds_ago
    request.session.save()
    return client
