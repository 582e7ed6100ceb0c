"""How allauth behaves in cheeseshop: admin flags, frozen accounts, audit events."""

from allauth.account.adapter import DefaultAccountAdapter

from cheeseshop.flags.models import FlagId
from cheeseshop.flags.services import is_enabled


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        return not is_enabled(FlagId.DISALLOW_NEW_USER) and not is_enabled(FlagId.READ_ONLY)
