"""/_/health, /_/ready and /_/metrics: what they answer, to whom, and that they never cache."""

import io
import json
import logging

import pytest
from django.test import Client

from cheeseshop import health
from cheeseshop.operations.probes import describe_database


@pytest.mark.django_db
def test_health_answers_ok_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/_/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_ready_runs_every_probe_the_database_and_cache_among_them(client):
    response = client.get("/_/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": dict.fromkeys(health.probe_names(), "ok")}
    assert {"database", "cache"} <= set(response.json()["checks"])
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_ready_answers_503_with_the_line_of_each_failing_probe(client, monkeypatch):
    monkeypatch.setitem(health._probes, "storage", lambda: "bucket 'files' does not exist")
    response = client.get("/_/ready")
    assert response.status_code == 503
    assert response.json()["checks"]["storage"] == "bucket 'files' does not exist"
    assert response.json()["checks"]["database"] == "ok"


@pytest.mark.parametrize("path", ["/_/health", "/_/ready", "/_/metrics"])
@pytest.mark.django_db
def test_the_operations_endpoints_take_only_get_and_head(client, path):
    assert client.post(path).status_code == 405
    assert client.head(path).status_code == 200


def test_ready_answers_503_naming_the_unreachable_database(database_down):
    response = Client(raise_request_exception=False).get("/_/ready")
    assert response.status_code == 503
    assert response.json()["status"] == "failing"
    line = response.json()["checks"]["database"]
    assert line.startswith(f"{describe_database()} unreachable: ")


@pytest.fixture
def console_log():
    """What the configured console handler writes (the server's output)."""
    [handler] = [h for h in logging.getLogger().handlers if h.get_name() == "console"]
    output = io.StringIO()
    previous = handler.setStream(output)
    yield output
    handler.setStream(previous)


def test_a_page_needing_the_database_while_it_is_down_answers_503_and_logs_one_line(
    database_down, console_log
):
    response = Client(raise_request_exception=False).get("/account/login/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "database cannot be reached" in response.content.decode()
    lines = console_log.getvalue().splitlines()
    assert len(lines) == 1, lines
    assert "database unavailable (GET /account/login/)" in lines[0]
    assert "Traceback" not in console_log.getvalue()


@pytest.mark.django_db
def test_metrics_answer_a_scraper_on_a_loopback_or_private_address(client):
    for address in ("127.0.0.1", "10.1.2.3", "::1"):
        response = client.get("/_/metrics", REMOTE_ADDR=address)
        assert response.status_code == 200, address
        assert response["Content-Type"].startswith("text/plain; version=")
        assert "cheeseshop_build_info{version=" in response.content.decode()


@pytest.mark.django_db
def test_metrics_are_not_found_from_a_public_address(client):
    assert client.get("/_/metrics", REMOTE_ADDR="8.8.8.8").status_code == 404


@pytest.mark.django_db
def test_with_a_metrics_token_only_its_bearer_may_scrape(client, settings):
    settings.CHEESESHOP_METRICS_TOKEN = "s3cret-scrape"
    assert client.get("/_/metrics").status_code == 404
    wrong = client.get("/_/metrics", HTTP_AUTHORIZATION="Bearer nope")
    assert wrong.status_code == 404
    right = client.get(
        "/_/metrics", REMOTE_ADDR="8.8.8.8", HTTP_AUTHORIZATION="Bearer s3cret-scrape"
    )
    assert right.status_code == 200


@pytest.mark.django_db
def test_the_json_of_ready_is_one_object(client):
    assert json.loads(client.get("/_/ready").content)["status"] == "ok"
