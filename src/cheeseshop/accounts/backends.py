"""The one authentication backend: a password login costs the same hashing whoever it names.

allauth's backend, behind Django's ModelBackend, hashed a different number of times for an
existing email address (three), an unknown one or a username (two): the time a failed login
took told whether an account had that address. Here the account a login names is found once
(``user_for_login``: by username, else by email address) and exactly one hash is computed
either way: the account's password is checked, or, when there is no account or it has no
usable password, the typed password is hashed for nothing.
"""

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend

from cheeseshop.accounts.identity import login_identifier, user_for_login


class AuthenticationBackend(AllauthBackend):
    """allauth's backend (its handling of inactive accounts, Django's permissions), finding the
    account once and hashing once. Frozen accounts are refused by the account adapter, which
    says why, once the password is known to be right."""

    def authenticate(self, request, **credentials):
        password = credentials.get("password")
        if not password:
            return None
        user = user_for_login(login_identifier(credentials))
        if user is None or not user.has_usable_password():
            # The same work as checking a real password (Django's check skips unusable ones).
            self._mitigate_timing_attack(password)
            return None
        return self._check_password(user, password)
