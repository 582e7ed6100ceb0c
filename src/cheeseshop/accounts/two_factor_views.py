"""cheeseshop's own two-factor pages: why a page needs a second factor, and the recovery codes
download while the codes are shown."""

import time

from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.recovery_codes import views as recovery_code_views
from allauth.mfa.recovery_codes.internal import flows as recovery_code_flows
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache

from cheeseshop.accounts import two_factor
from cheeseshop.accounts.services import has_two_factor

# How long after the codes were shown (once) they may still be downloaded.
DOWNLOAD_WINDOW_SECONDS = 10 * 60


@login_required
def two_factor_required(request: HttpRequest) -> HttpResponse:
    """Where the management pages send a user without a second factor: why, and how to fix it."""
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""
    return render(
        request,
        "mfa/two_factor_required.html",
        {
            "next_url": next_url,
            "has_two_factor": has_two_factor(request.user),
            "setup_path": two_factor.setup_path(),
        },
        status=403 if not has_two_factor(request.user) else 200,
    )


@login_required
@never_cache
def download_recovery_codes(request: HttpRequest) -> HttpResponse:
    """allauth's download, which with codes shown once would never work: here the codes can be
    downloaded for a few minutes after the page showed them, then no more."""
    if not mfa_settings.RECOVERY_CODES_SHOW_ONCE:
        return recovery_code_views.download_recovery_codes(request)
    codes, _can_view = recovery_code_flows.view_recovery_codes(request)
    if codes is None:
        raise Http404
    viewed_at = codes.instance.data.get("viewed_at")
    if not viewed_at or time.time() - viewed_at > DOWNLOAD_WINDOW_SECONDS:
        raise PermissionDenied
    unused = codes.get_unused_codes()
    if not unused:
        raise Http404
    response = HttpResponse("".join(f"{code}\n" for code in unused), content_type="text/plain")
    response["Content-Disposition"] = 'attachment; filename="recovery-codes.txt"'
    return response
