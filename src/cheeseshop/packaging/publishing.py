"""One seam for every change to what the index shows of a project.

Each verb of packaging that changes what installers see — an upload, a yank or un-yank, a
deletion, a role change (the JSON API lists roles), a status change — ends inside its
transaction with one call: ``publish(project, event)``, or ``publish_removal`` for a deleted
project, once it has recorded the audit event that caused it. The serial
(``X-PyPI-Last-Serial``) becomes that event's id. What follows is not packaging's business: the
apps built on it take part through two hooks they register in their ``AppConfig.ready()``:

1. one renderer, the index's: renders the project's simple pages once, stores them, and returns
   them (None when the index shows nothing of the project);
2. subscribers (TUF; malware checks and cache purges to come): each receives a
   ``Publication`` — the project, the event, and those rendered bytes, to use as they are.

The renderer always runs first and subscribers get its bytes: the order is the seam's. Work that
must wait for the commit (signing, checks) is enqueued with ``after_commit``.
"""

from collections.abc import Callable
from dataclasses import dataclass

from cheeseshop.audit.models import Event
from cheeseshop.packaging.models import Project
from cheeseshop.prepared import PreparedUpdate
from cheeseshop.taskqueue import outbox


@dataclass(frozen=True)
class ProjectPages:
    """What the index serves of a project at this change: its simple pages, as stored."""

    normalized_name: str
    html: bytes
    json: bytes


@dataclass(frozen=True)
class Publication:
    """One change to what the index shows of a project, as subscribers receive it.

    ``project`` is the row as this transaction saved it (None once deleted); ``pages`` the
    bytes the index now serves for it (None: the index shows nothing of it).
    """

    project_id: int
    project: Project | None
    event: Event
    pages: ProjectPages | None


Renderer = Callable[[Project], ProjectPages | None]
Subscriber = Callable[[Publication], None]

_renderer: list[Renderer] = []
_subscribers: list[Subscriber] = []


def render_with(renderer: Renderer) -> None:
    """Register the renderer of the simple pages (there is one)."""
    if _renderer and _renderer[0] is not renderer:
        raise RuntimeError("the simple pages already have a renderer")
    _renderer[:] = [renderer]


def subscribe(subscriber: Subscriber) -> None:
    """Register ``subscriber`` for every publication, in the changing transaction (once)."""
    if subscriber not in _subscribers:
        _subscribers.append(subscriber)


def unsubscribe(subscriber: Subscriber) -> None:
    if subscriber in _subscribers:
        _subscribers.remove(subscriber)


# The project's row as every change leaves it: the serial, and the name (an upload may respell
# it). One UPDATE, compiled once (see cheeseshop.prepared).
_NAME_AND_SERIAL = PreparedUpdate(Project, ["name", "last_serial"])


def publish(project: Project, event: Event) -> Publication:
    """Call in the transaction that changed ``project`` (locked, as it saved it), last."""
    project.last_serial = event.id
    _NAME_AND_SERIAL.run(project.pk, project.name, project.last_serial)
    pages = _renderer[0](project) if _renderer else None
    return _tell(Publication(project.pk, project, event, pages))


def publish_removal(project_id: int, event: Event) -> Publication:
    """Call in the transaction that deleted the project whose primary key was ``project_id``."""
    return _tell(Publication(project_id, None, event, None))


def _tell(publication: Publication) -> Publication:
    for subscriber in _subscribers:
        subscriber(publication)
    return publication


def after_commit(task, *args) -> None:
    """Enqueue ``task(*args)`` to run once the current transaction has committed: never for a
    change that was rolled back, never lost for one committed (``taskqueue.outbox``)."""
    outbox.enqueue_after_commit(task, *args)
