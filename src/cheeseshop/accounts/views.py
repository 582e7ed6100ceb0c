"""allauth's account views as cheeseshop serves them: changes refused while the site is
read-only, and password reset requests rate-limited."""

from functools import wraps

from allauth.account import views as allauth_views
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from cheeseshop.accounts import ratelimits, responses
from cheeseshop.flags.models import FlagId
from cheeseshop.flags.services import is_enabled

PASSWORD_RESET_LOCKED = gettext_noop("Too many password reset requests. Try again in %(wait)s.")
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def refuse_changes_while_read_only(view):
    """Wrap an account view so that, under the read-only flag, it shows but changes nothing."""

    @wraps(view)
    def guarded(request, *args, **kwargs):
        if request.method not in _SAFE_METHODS and is_enabled(FlagId.READ_ONLY):
            return responses.read_only(request)
        return view(request, *args, **kwargs)

    return guarded


class PasswordResetView(allauth_views.PasswordResetView):
    """Reset links are mailed at most CHEESESHOP_PASSWORD_RESET_LIMIT times per address and per
    client address, whether or not an account has the address (so the limit reveals nothing)."""

    def form_valid(self, form):
        keys = [f"email:{form.cleaned_data['email'].lower()}", ratelimits.ip_key(self.request)]
        wait = max(ratelimits.reset_in("password_reset", key) for key in keys)
        if wait:
            return responses.locked_out(self.request, _(PASSWORD_RESET_LOCKED), wait_seconds=wait)
        for key in keys:
            ratelimits.hit("password_reset", key)
        return super().form_valid(form)


password_reset = PasswordResetView.as_view()
