"""Who may use the pages of their own account (under /manage/account/ and /manage/): the checks
each such view runs first.

In order: signed in (else the login page), an account in good standing with a verified primary
email and, when CHEESESHOP_MANAGE_REQUIRES_2FA is on, a second factor (else a page saying how to
set one up), the method the view answers (else 405), and no change while the site is read-only.
Pages of a project add their own checks on top (``cheeseshop.manage.access``).
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from cheeseshop.accounts.two_factor import manage_requires_two_factor
from cheeseshop.flags.models import FlagId
from cheeseshop.flags.services import is_enabled

SAFE_METHODS = ("GET", "HEAD")


def refused(request: HttpRequest, message: str, *, status: int = 403) -> HttpResponse:
    return render(request, "accounts/refused.html", {"message": message}, status=status)


def account_refusal(request: HttpRequest) -> HttpResponse | None:
    """None when the user may use their account's pages, else the answer to send instead."""
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if user.is_frozen:
        return refused(request, _("Your account is frozen: an administrator must unfreeze it."))
    if not user.has_verified_primary_email():
        return render(request, "accounts/verify_email.html", status=403)
    if manage_requires_two_factor(user):
        # Sent to a page saying why, with the way to set it up (/account/2fa/).
        query = urlencode({"next": request.get_full_path()})
        return redirect(f"{reverse('two_factor_required')}?{query}")
    return None


def read_only_refusal(request: HttpRequest) -> HttpResponse | None:
    """The answer to a change asked for while the site is read-only; None otherwise."""
    if request.method not in SAFE_METHODS and is_enabled(FlagId.READ_ONLY):
        return refused(
            request,
            _("Read-only mode: changes are temporarily disabled. Nothing was changed."),
        )
    return None


def account_page(*, methods=SAFE_METHODS):
    """A page about the signed-in user's own account (no project)."""

    def decorate(view):
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if (answer := account_refusal(request)) is not None:
                return answer
            if request.method not in methods:
                return HttpResponseNotAllowed(methods)
            if (answer := read_only_refusal(request)) is not None:
                return answer
            return view(request, *args, **kwargs)

        return wrapper

    return decorate
