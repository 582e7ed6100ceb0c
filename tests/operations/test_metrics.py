"""The metrics count every request the application answers (the simple-page fast path's too),
by route name, never by path; uploads by outcome; and read the index's state when scraped."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from cheeseshop.operations.metrics import exposition
from cheeseshop.tuf.models import TufRepository
from cheeseshop.wsgi import application
from tests.index.builders import make_file, make_project, make_release, publish
from tests.operations.wsgi import call

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("keep_test_connection")]


def samples() -> dict[tuple[str, tuple], float]:
    found = {}
    for family in text_string_to_metric_families(exposition().decode()):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def requests_of(route: str, status: str) -> float:
    key = ("cheeseshop_http_requests_total", (("route", route), ("status", status)))
    return samples().get(key, 0.0)


def test_a_page_the_fast_path_answers_is_counted_under_its_route():
    project = make_project("Counted")
    make_file(make_release(project, "1.0"))
    publish(project)
    before = requests_of("index:simple-detail", "200")
    timed_before = samples().get(
        ("cheeseshop_http_request_duration_seconds_count", (("route", "index:simple-detail"),)),
        0.0,
    )
    assert call(application, "/simple/counted/")[0] == 200
    assert requests_of("index:simple-detail", "200") == before + 1
    timed = samples()[
        ("cheeseshop_http_request_duration_seconds_count", (("route", "index:simple-detail"),))
    ]
    assert timed == timed_before + 1


def test_a_page_django_answers_is_counted_under_its_url_pattern_name():
    before = requests_of("operations:health", "200")
    assert call(application, "/_/health")[0] == 200
    assert requests_of("operations:health", "200") == before + 1


def test_unknown_paths_add_no_label_of_their_own():
    before = requests_of("unrouted", "404")
    paths = [f"/nothing-here-{uuid.uuid4().hex}" for _ in range(5)]
    for path in paths:
        assert call(application, path)[0] == 404
    assert requests_of("unrouted", "404") == before + 5
    text = exposition().decode()
    assert not any(path.strip("/") in text for path in paths)


def test_a_request_the_server_refuses_is_counted_unrouted():
    before = requests_of("unrouted", "431")
    status, _headers, _body = call(application, "/simple/", x_large="a" * 40 * 1024)
    assert status == 431
    assert requests_of("unrouted", "431") == before + 1


def test_uploads_are_counted_by_outcome(client):
    key = ("cheeseshop_uploads_total", (("outcome", "not_authenticated"),))
    before = samples().get(key, 0.0)
    response = client.post("/legacy/", {":action": "file_upload"})
    assert response.status_code == 403
    assert samples()[key] == before + 1


def test_the_age_of_the_last_tuf_publish_is_reported():
    TufRepository.objects.create(
        bit_length=4, online_key={}, last_published=timezone.now() - timedelta(minutes=2)
    )
    age = samples()[("cheeseshop_tuf_last_publish_age_seconds", ())]
    assert 119 <= age < 180


def test_without_tuf_no_publish_age_is_reported():
    assert ("cheeseshop_tuf_last_publish_age_seconds", ()) not in samples()


def test_queued_and_failed_tasks_of_the_database_backend_are_reported(settings):
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    settings.TASKS_BACKEND = "database"
    fields = {"task_path": "cheeseshop.operations.tests.nothing", "args_kwargs": {}}
    DBTaskResult.objects.create(status=TaskResultStatus.READY, **fields)
    DBTaskResult.objects.create(status=TaskResultStatus.READY, **fields)
    DBTaskResult.objects.create(status=TaskResultStatus.FAILED, **fields)
    found = samples()
    assert found[("cheeseshop_tasks_queued", ())] == 2
    assert found[("cheeseshop_tasks_failed", ())] == 1


def test_queued_and_failed_jobs_of_the_rq_backend_are_reported(settings, tmp_path):
    from tests.processes import running_redis
    from tests.taskqueue import sample_tasks

    with running_redis(tmp_path) as url:
        settings.TASKS_BACKEND = "rq"
        settings.RQ_QUEUES = {"default": {"URL": url}}
        settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend"}}
        sample_tasks.nap.enqueue("marker", 0)
        found = samples()
    assert found[("cheeseshop_tasks_queued", ())] == 1
    assert found[("cheeseshop_tasks_failed", ())] == 0


def test_with_rqs_redis_away_the_scrape_goes_on_without_the_queue(settings):
    settings.TASKS_BACKEND = "rq"
    settings.RQ_QUEUES = {"default": {"URL": "redis://127.0.0.1:1/0"}}  # nothing listens
    found = samples()
    assert ("cheeseshop_tasks_queued", ()) not in found
    assert found[("cheeseshop_database_reachable", ())] == 1


def test_the_version_serving_is_reported():
    [(_name, labels)] = [key for key in samples() if key[0] == "cheeseshop_build_info"]
    assert dict(labels)["version"]
