"""A page that needs a two-factor secret the index cannot open (sealed under a secret key it no
longer holds) answers 503 saying so, instead of a server error: the user is not at fault, the
operator has a key to restore (docs/configuration.md, "Rotating the secret key")."""

from cheeseshop import sealing
from cheeseshop.accounts import responses


class UnreadableSecretsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, sealing.Unsealable):
            return responses.unreadable_secrets(request)
        return None
