"""Who a login attempt names: the account behind a typed username or email address."""

from allauth.account.models import EmailAddress

from cheeseshop.accounts.models import User


def login_identifier(credentials: dict) -> str:
    """What was typed into the login field, as allauth passes it (username and/or email)."""
    return str(credentials.get("email") or credentials.get("username") or "").strip()


def user_for_login(identifier: str) -> User | None:
    """The account a login identifier names, by username first, then by email address."""
    if not identifier:
        return None
    user = User.objects.filter(username__iexact=identifier).first()
    if user is not None:
        return user
    address = (
        EmailAddress.objects.filter(email__iexact=identifier)
        .select_related("user")
        .order_by("-verified", "-primary")
        .first()
    )
    return address.user if address is not None else None
