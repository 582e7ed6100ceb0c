"""The one seam every change to what the index shows goes through: the serial, the pages
rendered once, subscribers that get those bytes, and work enqueued after the commit."""

import pytest
from django.db import transaction

from cheeseshop.accounts.services import create_user
from cheeseshop.audit.models import EventTag
from cheeseshop.audit.services import CLI, record_event
from cheeseshop.index.models import SimpleDetailPage
from cheeseshop.packaging import changes, publishing
from cheeseshop.packaging.models import Role, RoleName
from tests.index.builders import make_file, make_project, make_release

pytestmark = pytest.mark.django_db


@pytest.fixture
def heard():
    """Every publication, as a subscriber receives it."""
    publications = []
    publishing.subscribe(publications.append)
    yield publications
    publishing.unsubscribe(publications.append)


@pytest.fixture
def project():
    project = make_project("Gouda")
    make_file(make_release(project, "1.0"))
    return project


def event_about(project):
    return record_event(EventTag.PROJECT_SETTINGS_CHANGE, project=project, credential=CLI)


def test_a_publication_carries_the_pages_just_stored_and_the_event_as_serial(heard, project):
    event = event_about(project)
    publication = publishing.publish(project, event)

    assert heard == [publication]
    assert publication.event == event
    assert project.last_serial == event.id
    stored = SimpleDetailPage.objects.get(project=project)
    assert stored.serial == event.id
    assert publication.pages.normalized_name == "gouda"
    assert (publication.pages.html, publication.pages.json) == (
        bytes(stored.html),
        bytes(stored.json),
    )


def test_a_hidden_project_is_published_without_pages(heard, project):
    project.status = "quarantined"
    publishing.publish(project, event_about(project))
    assert heard[0].pages is None
    assert not SimpleDetailPage.objects.filter(project=project).exists()


def test_a_deleted_project_is_published_without_project_or_pages(heard, project):
    owner = create_user("olivia", "olivia@example.com")
    Role.objects.create(user=owner, project=project, role_name=RoleName.OWNER)
    project_id = project.pk
    changes.delete_project(project, actor=owner)
    (publication,) = heard
    assert (publication.project_id, publication.project, publication.pages) == (
        project_id,
        None,
        None,
    )
    assert publication.event.tag == EventTag.PROJECT_REMOVE


def test_a_subscriber_that_fails_undoes_the_change(project):
    def fail(publication):
        raise RuntimeError("a subscriber failed")

    def change():
        with transaction.atomic():
            publishing.publish(project, event_about(project))

    publishing.subscribe(fail)
    try:
        with pytest.raises(RuntimeError):
            change()
    finally:
        publishing.unsubscribe(fail)
    assert not SimpleDetailPage.objects.filter(project=project).exists()


def test_work_after_commit_never_runs_for_a_change_rolled_back(
    project, django_capture_on_commit_callbacks
):
    ran = []

    class Task:  # the part of a django-tasks task that after_commit uses
        @staticmethod
        def get_backend():
            from django_tasks import task_backends

            return task_backends["default"]  # the suite's (immediate): enqueued on commit

        @staticmethod
        def enqueue(*args):
            ran.append(args)

    def rolled_back():
        with transaction.atomic():
            publishing.after_commit(Task, 1)
            raise RuntimeError("rolled back")

    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError):
            rolled_back()
        with transaction.atomic():
            publishing.after_commit(Task, 2)
        assert ran == []  # not before the commit
    assert ran == [(2,)]


def test_the_renderer_is_the_index_and_cannot_be_replaced():
    with pytest.raises(RuntimeError, match="already have a renderer"):
        publishing.render_with(lambda project: None)
