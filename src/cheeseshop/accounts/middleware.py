"""The accounts' middleware: unreadable two-factor secrets, and each user's own language."""

from django.conf import settings
from django.utils import translation

from cheeseshop import sealing
from cheeseshop.accounts import responses
from cheeseshop.accounts.languages import chosen_language, set_language_cookie


class UnreadableSecretsMiddleware:
    """A page that needs a two-factor secret the index cannot open (sealed under a secret key
    it no longer holds) answers 503 saying so, instead of a server error: the user is not at
    fault, the operator has a key to restore (docs/configuration.md, "Rotating the secret
    key")."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, sealing.Unsealable):
            return responses.unreadable_secrets(request)
        return None


class UserLanguageMiddleware:
    """A signed-in user's pages are in the language they chose, whatever the cookie or the
    browser says (after AuthenticationMiddleware; LocaleMiddleware chose for everyone else).
    The cookie is brought in line too, so the pages stay in it once they log out."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Without a session cookie nobody is signed in: leave the session unread, so that
        # anonymous answers (the simple pages above all) do not vary on Cookie.
        signed_in = settings.SESSION_COOKIE_NAME in request.COOKIES and (
            getattr(request, "user", None) is not None and request.user.is_authenticated
        )
        code = chosen_language(request.user) if signed_in else ""
        if code:
            translation.activate(code)
            request.LANGUAGE_CODE = code
        response = self.get_response(request)
        cookie = settings.LANGUAGE_COOKIE_NAME
        # A cookie the response sets itself (the language switcher's) is the newer choice.
        if code and request.COOKIES.get(cookie) != code and cookie not in response.cookies:
            set_language_cookie(response, code)
        return response
