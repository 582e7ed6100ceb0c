from django.contrib.auth.backends import ModelBackend


class NotFrozenModelBackend(ModelBackend):
    """Django's username/password backend, refusing frozen accounts.

    It serves the admin's own login form; allauth's login goes through allauth's backend and
    the account adapter, which tells a frozen user why they cannot log in.
    """

    def user_can_authenticate(self, user) -> bool:
        return super().user_can_authenticate(user) and not getattr(user, "is_frozen", False)
