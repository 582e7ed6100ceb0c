"""The root /simple/ is a stored page: rendered once per change by the first request that
finds it stale, served as stored (one query by primary key) until the next change, and never
stale after a change commits — whichever process rendered or holds it."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cheeseshop.accounts.services import create_user
from cheeseshop.index import services
from cheeseshop.index.models import SimpleIndexPage
from cheeseshop.index.negotiation import HTML_V1, JSON_V1
from cheeseshop.packaging import changes
from cheeseshop.packaging.models import Role, RoleName
from tests.index.builders import make_file, make_project, make_release, publish

pytestmark = pytest.mark.django_db

PIP_ACCEPT = "application/vnd.pypi.simple.v1+json, text/html;q=0.01"


@pytest.fixture(autouse=True)
def nothing_held():
    # What another process would start with: no bytes of the root held in memory.
    services._held_index.clear()
    yield
    services._held_index.clear()


@pytest.fixture
def owner():
    return create_user("olivia", "olivia@example.com")


def shown_project(name: str, owner=None):
    project = make_project(name)
    make_file(make_release(project, "1.0"))
    if owner is not None:
        Role.objects.create(user=owner, project=project, role_name=RoleName.OWNER)
    publish(project)
    return project


def listed(client, **headers) -> list[str]:
    response = client.get("/simple/", headers={"accept": PIP_ACCEPT, **headers})
    assert response.status_code == 200
    return [entry["name"] for entry in json.loads(response.content)["projects"]]


def test_serving_the_root_reads_one_row_however_many_projects_there_are(client):
    for number in range(30):
        shown_project(f"project-{number}")
    listed(client)  # renders and stores it

    with CaptureQueriesContext(connection) as queries:
        assert len(listed(client)) == 30
    assert len(queries) == 1
    assert "index_simpleindexpage" in queries[0]["sql"]


def test_a_change_is_rendered_once_then_served_as_stored(client):
    shown_project("brie")
    listed(client)
    stored = SimpleIndexPage.objects.get()
    assert stored.rendered_changes == stored.changes

    shown_project("camembert")
    assert SimpleIndexPage.objects.get().rendered_changes < SimpleIndexPage.objects.get().changes
    assert listed(client) == ["brie", "camembert"]
    assert SimpleIndexPage.objects.get().rendered_changes == SimpleIndexPage.objects.get().changes


def test_a_new_project_is_listed_at_the_next_request_in_both_representations(client):
    shown_project("brie")
    assert listed(client) == ["brie"]
    html = client.get("/simple/").content

    shown_project("comte")

    assert listed(client) == ["brie", "comte"]
    assert b'href="comte/"' in client.get("/simple/").content
    assert b"comte" not in html


def test_a_deleted_project_leaves_the_root_at_once(client, owner):
    shown_project("brie", owner)
    gouda = shown_project("gouda", owner)
    assert listed(client) == ["brie", "gouda"]

    changes.delete_project(gouda, actor=owner)

    assert listed(client) == ["brie"]


def test_a_quarantined_project_leaves_the_root_and_comes_back_when_lifted(client, owner):
    shown_project("brie", owner)
    feta = shown_project("feta", owner)
    assert listed(client) == ["brie", "feta"]

    changes.set_status(feta, "quarantined", reason="under review", actor=None, admin=True)
    assert listed(client) == ["brie"]

    changes.set_status(feta, "active", actor=None, admin=True)
    assert listed(client) == ["brie", "feta"]


def test_bytes_held_by_a_process_are_not_served_once_another_stored_newer_ones(client):
    shown_project("brie")
    assert listed(client) == ["brie"]  # this process now holds the bytes

    # Another process (another worker, another node) renders the root after a change.
    shown_project("emmental")
    services._render_index(SimpleIndexPage.objects.get().changes)

    assert listed(client) == ["brie", "emmental"]


def test_a_change_committed_while_rendering_leaves_the_root_stale(client):
    shown_project("brie")
    read_before = SimpleIndexPage.objects.get().changes
    shown_project("manchego")  # commits between the read of changes and the render

    services._render_index(read_before)

    stored = SimpleIndexPage.objects.get()
    assert stored.rendered_changes < stored.changes
    assert listed(client) == ["brie", "manchego"]


def test_an_older_render_never_overwrites_a_newer_one():
    shown_project("brie")
    services._render_index(SimpleIndexPage.objects.get().changes)
    newer = SimpleIndexPage.objects.get()

    services._render_index(newer.changes - 1)

    assert SimpleIndexPage.objects.get().rendered_changes == newer.rendered_changes


def test_a_database_without_the_row_gets_it_back(client):
    shown_project("brie")
    SimpleIndexPage.objects.all().delete()

    assert listed(client) == ["brie"]
    shown_project("stilton")
    assert listed(client) == ["brie", "stilton"]


@pytest.mark.parametrize("media_type", [JSON_V1, HTML_V1])
def test_the_serial_is_the_highest_of_the_listed_projects(client, media_type):
    brie = shown_project("brie")
    cheddar = shown_project("cheddar")
    publish(cheddar)
    publish(cheddar)

    response = client.get("/simple/", headers={"accept": media_type})

    assert brie.last_serial < cheddar.last_serial
    assert response["X-PyPI-Last-Serial"] == str(cheddar.last_serial)
