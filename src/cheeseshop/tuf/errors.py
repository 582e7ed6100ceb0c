"""The error every TUF operation raises when it cannot proceed."""

from cheeseshop.errors import Refused


class TufError(Refused):
    """A repository operation that cannot proceed; the message says which rule failed."""
