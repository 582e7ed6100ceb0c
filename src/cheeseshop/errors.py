"""What every refusal of the index is: a domain error whose ``message`` says, for the person who
asked, which rule failed. It carries no HTTP status: each entry point (the upload API, the token
API, the web pages, the command line) answers each kind in its own terms, as Warehouse answers
``TooManyProjectsCreated`` with 429.

Apps raise their own subclasses (``UploadRejected``, ``ChangeRefused``, ``InvalidToken`` ...),
each of one of these kinds.
"""


class Refused(Exception):
    """A request the index refuses; ``message`` names the rule that failed."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Invalid(Refused):
    """What was sent breaks a rule: a file, its metadata, a form, a document."""


class NotAuthenticated(Refused):
    """The credential does not prove who sends it: missing, malformed, unknown or revoked."""


class NotPermitted(Refused):
    """Who asks may not do this: their role, their token's scope, their account's state."""


class Disabled(Refused):
    """An administrator has switched this off for now (the admin flags)."""


class Conflict(Refused):
    """It clashes with what exists: a name taken, a state already reached."""


class Gone(Refused):
    """A part of the protocol that is no longer supported."""


class TooMany(Refused):
    """Done too often: a rate limit."""


def kind_of(refusal: Refused) -> str:
    """The name of a refusal's kind, the class of this module it is one of, in snake case
    ("not_permitted"): a small fixed set, fit for a metric's label."""
    kind = next(cls for cls in type(refusal).__mro__ if cls.__module__ == __name__)
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in kind.__name__).lstrip("_")


def first_line(exc: BaseException) -> str:
    """An exception in one line, for an operator's log or a command's refusal: its message's
    first line, or its type's name when it has no message (never a traceback)."""
    text = str(exc).strip()
    return text.splitlines()[0].strip() if text else type(exc).__name__
