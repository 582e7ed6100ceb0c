"""Choosing a language: the page for it in the account's settings, and the switcher in every
page's footer (Django's set_language view, which also stores a signed-in user's choice)."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views import i18n

from cheeseshop.accounts.access import account_page
from cheeseshop.accounts.forms import LanguageForm
from cheeseshop.accounts.languages import language_name, remember_language, set_language_cookie
from cheeseshop.flags.models import FlagId
from cheeseshop.flags.services import is_enabled


@account_page(methods=("GET", "POST"))
def language_settings(request: HttpRequest) -> HttpResponse:
    data = request.POST if request.method == "POST" else None
    form = LanguageForm(data, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        code = form.cleaned_data["language"]
        # In effect at once: this answer, and the next page's (the cookie for signed-out ones).
        translation.activate(code)
        request.LANGUAGE_CODE = code
        # Translators: %(language)s is the language's name in itself ("Deutsch", "日本語").
        said = _("Your language is now %(language)s.") % {"language": language_name(code)}
        messages.success(request, said)
        response = redirect("account-language")
        set_language_cookie(response, code)
        return response
    status = 400 if form.is_bound else 200
    return render(request, "accounts/language_settings.html", {"form": form}, status=status)


def set_language(request: HttpRequest) -> HttpResponse:
    """Django's set_language (the cookie, the redirect back); a signed-in user's choice is
    stored too, unless the site is read-only: then it lasts as long as the cookie."""
    response = i18n.set_language(request)
    user = request.user
    code = request.POST.get(i18n.LANGUAGE_QUERY_PARAMETER, "")
    if request.method == "POST" and user.is_authenticated and not is_enabled(FlagId.READ_ONLY):
        remember_language(user, code)
    return response
