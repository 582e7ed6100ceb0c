"""What an operator sees of a running `cheeseshop serve`: the access log on its output (text or
JSON lines), and metrics that add up every worker process's requests."""

import http.client
import json
import re
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.conftest import running_index

pytestmark = pytest.mark.e2e

TEXT_LOG_RECORD = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [A-Z]+ ")


def _lines_when(log, predicate, timeout: float = 10) -> list[str]:
    """The server's output lines once ``predicate`` holds for them (uWSGI writes them after
    each answer, through its master process)."""
    deadline = time.monotonic() + timeout
    while True:
        lines = log.read_text().splitlines()
        if predicate(lines) or time.monotonic() > deadline:
            return lines
        time.sleep(0.1)


def _requests_counted(index, route: str, status: str) -> float:
    text = requests.get(f"{index.url}/_/metrics", timeout=30).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "cheeseshop_http_requests_total" and sample.labels == {
                "route": route,
                "status": status,
            }:
                return sample.value
    return 0.0


def test_every_workers_requests_are_counted_and_logged_one_line_each(tmp_path):
    with running_index(tmp_path / "data", {"CHEESESHOP_WEB_WORKERS": "2"}) as index:
        # Concurrent connections, so that both worker processes answer some.
        with ThreadPoolExecutor(16) as pool:
            statuses = list(
                pool.map(
                    lambda _: requests.get(f"{index.url}/_/health", timeout=30).status_code,
                    range(200),
                )
            )
        assert statuses == [200] * 200
        # The fast path (no Django) answers an unknown project's page: counted all the same.
        assert requests.get(f"{index.url}/simple/no-such-project/", timeout=30).status_code == 404
        # Each scrape, whichever worker answers it, adds up every process's counts.
        for _ in range(4):
            assert _requests_counted(index, "operations:health", "200") == 200
        assert _requests_counted(index, "index:simple-detail", "404") == 1

        def health_lines(lines):
            return [line for line in lines if '"GET /_/health HTTP/1.1" 200 ' in line]

        lines = _lines_when(index.log, lambda lines: len(health_lines(lines)) >= 200)
        assert len(health_lines(lines)) == 200
        [page] = [line for line in lines if "/simple/no-such-project/" in line]
        assert ' access 127.0.0.1 "GET /simple/no-such-project/ HTTP/1.1" 404 ' in page
        assert page.endswith("ms")


def test_json_logs_are_one_object_a_line_naming_the_client_behind_the_proxy(tmp_path):
    settings = {
        "CHEESESHOP_LOG_FORMAT": "json",
        "CHEESESHOP_BEHIND_PROXY": "true",
        "CHEESESHOP_METRICS_TOKEN": "scrape-me",
    }
    with running_index(tmp_path / "data", settings) as index:
        host, port = index.url.removeprefix("http://").split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        # A quote and a backslash in the path: the line must still be JSON.
        connection.request("GET", '/odd"path\\here', headers={"X-Forwarded-For": "198.51.100.7"})
        assert connection.getresponse().read() is not None
        connection.close()
        # A password reset: its email, written to the outbox, is logged by the application.
        index.cli("user", "create", "rosa", "--email", "rosa@example.com")
        browser = requests.Session()
        form = browser.get(f"{index.url}/account/password/reset/", timeout=30).text
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)[1]
        reset = browser.post(
            f"{index.url}/account/password/reset/",
            data={"csrfmiddlewaretoken": csrf, "email": "rosa@example.com"},
            headers={"Referer": f"{index.url}/account/password/reset/"},
            timeout=30,
        )
        assert reset.status_code == 200
        scraped = requests.get(
            f"{index.url}/_/metrics", headers={"Authorization": "Bearer scrape-me"}, timeout=30
        )
        assert scraped.status_code == 200

        def entries(lines):
            return [json.loads(line) for line in lines if line.startswith("{")]

        def complete(lines):
            logged = entries(lines)
            return any(e.get("path") == "/_/metrics" for e in logged) and any(
                e["logger"] == "cheeseshop.mail" for e in logged
            )

        lines = _lines_when(index.log, complete, timeout=30)
    # No log record in the text format (uWSGI's own error lines, such as a client gone before
    # its answer, stay plain: docs/monitoring.md).
    assert not [line for line in lines if TEXT_LOG_RECORD.match(line)]
    [mail] = [entry for entry in entries(lines) if entry["logger"] == "cheeseshop.mail"]
    assert mail["level"] == "INFO"
    assert mail["message"].startswith("email to rosa@example.com: ")
    access = [entry for entry in entries(lines) if entry["logger"] == "access"]
    [odd] = [entry for entry in access if entry["path"].startswith("/odd")]
    assert odd["path"] == '/odd"path\\here'
    assert odd["client"] == "198.51.100.7"
    assert odd["method"] == "GET"
    assert odd["status"] == 404
    assert isinstance(odd["bytes"], int)
    assert isinstance(odd["duration_ms"], int)
    assert odd["time"].endswith("+00:00")
