"""The error every TUF operation raises when it cannot proceed."""


class TufError(Exception):
    """A repository operation that cannot proceed; the message says which rule failed."""
