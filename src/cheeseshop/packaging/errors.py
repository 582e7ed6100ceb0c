"""Why packaging refuses an upload or a change, each of one kind of ``cheeseshop.errors``.

Every rule raises with the message users see: the legacy upload protocol puts it in the HTTP
reason phrase (which twine prints) and in the body; the web pages show it.
"""

from cheeseshop.errors import Conflict, Invalid, NotPermitted, Refused, TooMany


class UploadRejected(Invalid):
    """A distribution (its file, archive, metadata or name) that breaks an upload rule."""


class UploadNotPermitted(NotPermitted):
    """The uploader has no role on the project."""


class ProjectNameTaken(Conflict):
    """A new project's name belongs to an existing project."""


class TooManyNewProjects(TooMany):
    """The uploader (or their address) created too many projects lately."""


class ChangeRefused(Refused):
    """A change to a project that a rule forbids (the last Owner stays, a yanked release cannot
    be yanked again ...)."""
