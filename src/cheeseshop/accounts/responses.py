"""The pages with which the account flows refuse a request, each saying why."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cheeseshop.accounts import ratelimits

# A stored two-factor secret no configured secret key opens (cheeseshop.sealing).
UNREADABLE_SECRETS = gettext_lazy(
    "This index cannot read your two-factor secrets at the moment. Use a security key if you "
    "have one, or ask the index's administrators."
)


def too_many_attempts(request: HttpRequest, message: str, *, retry_after: int) -> HttpResponse:
    """429 with the reason and, in ``message``, how long to wait."""
    response = render(request, "account/too_many_attempts.html", {"message": message}, status=429)
    response["Retry-After"] = str(max(1, retry_after))
    return response


def locked_out(request: HttpRequest, template: str, *, wait_seconds: int) -> HttpResponse:
    """429 for a rate limit: ``template`` is a sentence with a ``%(wait)s`` placeholder."""
    message = template % {"wait": ratelimits.describe_wait(wait_seconds)}
    return too_many_attempts(request, message, retry_after=wait_seconds)


def account_frozen(request: HttpRequest) -> HttpResponse:
    return render(request, "account/account_frozen.html", status=403)


def read_only(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "account/read_only.html",
        {"message": _("Read-only mode: changes to accounts are temporarily disabled.")},
        status=403,
    )


def unreadable_secrets(request: HttpRequest) -> HttpResponse:
    """503: the index cannot open a stored two-factor secret (logged where it failed)."""
    return render(
        request, "account/unreadable_secrets.html", {"message": UNREADABLE_SECRETS}, status=503
    )
