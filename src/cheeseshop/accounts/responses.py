"""The pages with which the account flows refuse a request, each saying why."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from cheeseshop.accounts import ratelimits


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
