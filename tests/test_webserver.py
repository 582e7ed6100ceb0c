import socket

import pytest

from cheeseshop.webserver import (
    BODY_PATHS,
    HEADERS_LIMIT,
    STARTUP_NOISE,
    BodyTooSlow,
    TimedBody,
    access_log_format,
    no_delay_for_clients,
    refusal_of,
    uwsgi_arguments,
)


@pytest.mark.parametrize(
    "line",
    [
        "*** Starting uWSGI 2.0.30 (64bit) on [Sun Nov 22 15:46:40 2026] ***",
        "*** WARNING: you are running uWSGI as root !!! (use the --uid flag) *** ",
        "your processes number limit is 96365",
        "spawned uWSGI worker 1 (pid: 6023, cores: 4)",
        "spawned 1 offload threads for uWSGI worker 1",
        "mule 1 (pid: 19650) annihilated",
        "Sun Nov 22 16:04:47 2026 - graceful shutdown triggered...",
        "goodbye to uWSGI.",
    ],
)
def test_uwsgis_start_up_and_shut_down_chatter_is_dropped(line):
    assert STARTUP_NOISE.match(line)


@pytest.mark.parametrize(
    "line",
    [
        "probably another instance of uWSGI is running on the same address (127.0.0.1:8000).",
        "bind(): Address already in use [core/socket.c line 769]",
        "Traceback (most recent call last):",
        "ModuleNotFoundError: No module named 'cheeseshop'",
        "2026-11-22 16:00:00,123 ERROR django.request: Internal Server Error: /simple/",
        "your account's link: http://127.0.0.1:8000/account/verify/abc",
        '06/Dec/2026:05:41:38 +0000 access 127.0.0.1 "GET /_/health HTTP/1.1" 200 16 1ms',
        '{"time":"2026-12-06T05:41:38+00:00","level":"INFO","logger":"access","client":"::1"}',
    ],
)
def test_errors_and_the_applications_own_lines_pass(line):
    assert not STARTUP_NOISE.match(line)


def _arguments(tmp_path, **options) -> list[str]:
    return uwsgi_arguments(
        "127.0.0.1:8000",
        processes=2,
        socket_path=tmp_path / "s",
        renderer_socket_path=tmp_path / "r",
        **options,
    )


def test_debug_log_level_keeps_everything_uwsgi_says(tmp_path):
    quiet = _arguments(tmp_path)
    verbose = _arguments(tmp_path, verbose=True)
    assert "--log-drain" in quiet
    assert "--log-drain" not in verbose


def test_the_access_log_is_written_in_the_format_given_or_not_at_all(tmp_path):
    logged = _arguments(tmp_path, access_log="%(uri)")
    assert logged[logged.index("--log-format") + 1] == "%(uri)"
    assert "--disable-logging" not in logged
    silent = _arguments(tmp_path)
    assert "--disable-logging" in silent
    assert "--log-format" not in silent


def test_behind_proxies_the_access_log_names_the_client_the_application_found():
    assert "%(addr)" in access_log_format(json=False, behind_proxies=False)
    assert "%(client)" in access_log_format(json=True, behind_proxies=True)
    assert "%(addr)" not in access_log_format(json=True, behind_proxies=True)


def _environ(method="GET", path="/simple/", length="", **headers) -> dict:
    return {"REQUEST_METHOD": method, "PATH_INFO": path, "CONTENT_LENGTH": length, **headers}


@pytest.mark.parametrize(
    "path", ["/", "/simple/", "/simple/brie/", "/pypi/brie/json", "/project/brie/", "/packages/x",
             "/tuf/timestamp.json", "/search/", "/user/alice/", "/static/site.css",
             "/_/health", "/_/ready", "/_/metrics"]
)  # fmt: skip
@pytest.mark.parametrize("method", ["POST", "PUT", "GET"])
def test_a_body_sent_where_none_is_taken_is_refused_from_the_head(path, method):
    refusal = refusal_of(_environ(method, path, "1000000000"), max_form_size=4096)
    assert refusal.status == "405 Method Not Allowed"
    assert ("Allow", "GET, HEAD") in refusal.headers


@pytest.mark.parametrize("path", ["/account/login/", "/manage/projects/", "/api/tokens/"])
def test_a_form_body_over_the_limit_is_refused_from_its_length(path):
    assert refusal_of(_environ("POST", path, "4097"), max_form_size=4096).status.startswith("413")
    assert refusal_of(_environ("POST", path, "4096"), max_form_size=4096) is None


def test_a_leak_report_body_is_taken():
    assert (
        refusal_of(_environ("POST", "/_/secrets/disclose-token", "100"), max_form_size=4096)
        is None
    )


def test_an_upload_body_is_left_to_the_upload_view_whose_limit_depends_on_the_project():
    assert refusal_of(_environ("POST", "/legacy/", str(10**9)), max_form_size=4096) is None


def test_headers_over_the_limit_and_chunked_bodies_and_bad_lengths_are_refused():
    huge = _environ(HTTP_COOKIE="x" * (HEADERS_LIMIT + 1))
    assert refusal_of(huge, max_form_size=4096).status.startswith("431")
    chunked = _environ("POST", "/legacy/", HTTP_TRANSFER_ENCODING="chunked")
    assert refusal_of(chunked, max_form_size=4096).status.startswith("411")
    assert refusal_of(_environ("POST", "/legacy/", "-1"), max_form_size=4096).status.startswith(
        "400"
    )


def _routes(resolver, prefix="/") -> list[str]:
    routes = []
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern).lstrip("^")
        routes += _routes(pattern, route) if hasattr(pattern, "url_patterns") else [route]
    return routes


def test_every_path_that_takes_a_body_is_one_of_the_sites_addresses():
    from django.urls import get_resolver

    routes = _routes(get_resolver())
    for prefix in BODY_PATHS:
        assert any(route.startswith(prefix) for route in routes), prefix


class _Dripping:
    """A request body of which only ``available`` bytes ever arrive."""

    def __init__(self, available: int):
        self.available = available

    def read(self, size):
        data, self.available = b"x" * min(size, self.available), max(0, self.available - size)
        return data


def test_a_body_behind_the_minimum_rate_is_cut_off_at_its_next_read():
    body = TimedBody(_Dripping(10), min_rate=1000, grace=0)
    body.started -= 1  # a second in, with nothing read: 1,000 bytes were due
    with pytest.raises(BodyTooSlow):
        body.read(5)
    assert body.cut_off


def test_listening_tcp_sockets_get_no_delay_and_pass_it_to_the_connections_they_accept(tmp_path):
    with (
        socket.create_server(("127.0.0.1", 0)) as listening,
        socket.socket(socket.AF_UNIX) as unix_listening,
    ):
        unix_listening.bind(str(tmp_path / "s"))
        unix_listening.listen()
        assert not listening.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)

        assert listening.getsockname() in no_delay_for_clients()

        assert listening.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        with socket.create_connection(listening.getsockname()) as client:
            accepted, _address = listening.accept()
            with accepted:
                assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
                assert not client.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
