"""The HTTP server `cheeseshop serve` runs (uWSGI), as clients and operators meet it."""

import contextlib
import http.client
import os
import re
import signal
import socket
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from tests.e2e.conftest import BIN, running_index
from tests.packaging.dists import make_wheel
from tests.packaging.hostile_descriptions import rst_grid_table
from tests.processes import free_port, parent_of, process_tree
from tests.upload.conftest import basic_auth, upload_form

pytestmark = pytest.mark.e2e


def _address(index) -> tuple[str, int]:
    host, port = index.url.removeprefix("http://").split(":")
    return host, int(port)


def _connect(index) -> http.client.HTTPConnection:
    return http.client.HTTPConnection(*_address(index), timeout=30)


def _raw_socket(index) -> socket.socket:
    return socket.create_connection(_address(index), timeout=30)


def _serve_until_it_exits(tmp_path, port: int, **env: str) -> subprocess.CompletedProcess:
    """`cheeseshop serve` expected to stop by itself: its exit code and output."""
    return subprocess.run(
        [str(BIN / "cheeseshop"), "serve", "--port", str(port)],
        env={"CHEESESHOP_DATA_DIR": str(tmp_path / "data"), "PATH": str(BIN), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _read_status_line(sock: socket.socket) -> bytes:
    received = b""
    while b"\r\n" not in received:
        chunk = sock.recv(4096)
        if not chunk:
            break
        received += chunk
    return received.split(b"\r\n", 1)[0]


def _upload_request(
    index, token: str, tmp_path, headers: dict | None = None
) -> tuple[bytes, bytes]:
    """The head and body of a legitimate upload of a new wheel, as bytes on the wire."""
    wheel = make_wheel(tmp_path, "served", "1.0")
    body = encode_multipart(BOUNDARY, upload_form(wheel, "served", "1.0"))
    host = index.url.removeprefix("http://")
    lines = [
        "POST /legacy/ HTTP/1.1",
        f"Host: {host}",
        f"Authorization: {basic_auth(token)}",
        f"Content-Type: {MULTIPART_CONTENT}",
        f"Content-Length: {len(body)}",
        *(f"{name}: {value}" for name, value in (headers or {}).items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode(), body


def test_keep_alive_connection_serves_many_requests_each_with_a_date(live_index):
    connection = _connect(live_index)
    for path in ("/simple/", "/simple/missing/", "/simple/", "/pypi/missing/json"):
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        assert response.status in (200, 404), path
        assert response.getheader("Date", "").endswith(" GMT"), path
        assert response.getheader("Connection", "").lower() != "close", path
    connection.close()


def test_a_refusal_reaches_the_client_in_the_reason_phrase(live_index):
    connection = _connect(live_index)
    connection.request("POST", "/legacy/", body=b"", headers={"Content-Type": MULTIPART_CONTENT})
    response = connection.getresponse()
    assert response.status == 403
    assert response.reason == "Invalid or non-existent authentication information."
    assert response.read().decode().strip().endswith(response.reason)


def test_a_refusal_before_the_body_is_read_reaches_the_client_every_time(live_index):
    # Refused on its credentials, the upload's body is never read by the application; the
    # answer must still arrive whole (it was lost about half the time: connection reset).
    body = f"--{BOUNDARY}\r\n".encode() + b"x" * 200_000
    answers = []
    with requests.Session() as session:
        for _ in range(30):
            response = session.post(
                live_index.upload_url,
                data=body,
                headers={"Content-Type": MULTIPART_CONTENT, "Authorization": "Bearer pypi-nope"},
                timeout=30,
            )
            answers.append(response.status_code)
    assert answers == [403] * 30


def test_large_request_headers_are_served(live_index):
    connection = _connect(live_index)
    # Big cookies and forwarded headers add up: 20 KiB of headers in all.
    connection.request("GET", "/simple/", headers={"Cookie": "c=" + "x" * 20_000})
    response = connection.getresponse()
    response.read()
    assert response.status == 200


def test_expect_100_continue_is_answered_before_the_body_is_sent(live_index, tmp_path):
    token = live_index.create_user_with_token("hazel")
    head, body = _upload_request(live_index, token, tmp_path, {"Expect": "100-continue"})
    with _raw_socket(live_index) as sock:
        sock.sendall(head)
        assert _read_status_line(sock) == b"HTTP/1.1 100 Continue"
        sock.sendall(body)
        assert _read_status_line(sock) == b"HTTP/1.1 200 OK"


def test_stopping_lets_an_upload_in_progress_finish(tmp_path):
    with running_index(tmp_path / "data") as index:
        token = index.create_user_with_token("ivan")
        head, body = _upload_request(index, token, tmp_path)
        with _raw_socket(index) as sock:
            sock.sendall(head + body[: len(body) // 2])
            time.sleep(0.5)  # the request is in a worker, reading the body
            index.process.send_signal(signal.SIGTERM)
            time.sleep(0.5)
            sock.sendall(body[len(body) // 2 :])
            assert _read_status_line(sock) == b"HTTP/1.1 200 OK"
        assert index.process.wait(timeout=30) == 0
        assert "Traceback" not in index.log.read_text()


def test_serve_prints_its_urls_without_the_servers_start_up_chatter(live_index):
    live_index.stop()
    output = live_index.log.read_text()
    assert f"index:  {live_index.url}/simple/" in output
    assert f"upload: {live_index.url}/legacy/" in output
    assert not re.search(r"uWSGI|\*\*\*|spawned|bound to", output), output


def test_a_port_in_use_stops_serve_with_the_reason(tmp_path):
    port = free_port()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        result = _serve_until_it_exits(tmp_path, port)
    assert result.returncode != 0
    assert "Address already in use" in result.stdout + result.stderr
    assert "the web server exited" in result.stdout + result.stderr


def test_uploads_of_megabytes_arrive_whole_and_one_over_the_limit_gets_the_reason(tmp_path):
    with running_index(tmp_path / "data", {"CHEESESHOP_MAX_FILE_SIZE": str(6 * 2**20)}) as index:
        token = index.create_user_with_token("judy")
        answers = {}
        for name, size in (("fits", 5 * 2**20), ("too-big", 7 * 2**20)):
            wheel = make_wheel(tmp_path, name, "1.0", extra_members={"blob.bin": os.urandom(size)})
            response = requests.post(
                index.upload_url,
                data=encode_multipart(BOUNDARY, upload_form(wheel, name, "1.0")),
                headers={"Content-Type": MULTIPART_CONTENT, "Authorization": basic_auth(token)},
                timeout=60,
            )
            answers[name] = (response.status_code, response.reason)
        assert answers["fits"] == (200, "OK")
        assert answers["too-big"] == (400, "File too large. Limit for project 'too-big' is 6 MB.")
        page = requests.get(f"{index.simple_url}fits/", timeout=10).text
        assert "fits-1.0-py3-none-any.whl" in page


def test_a_database_that_cannot_be_migrated_stops_serve_before_it_listens(tmp_path):
    result = _serve_until_it_exits(
        tmp_path,
        free_port(),
        CHEESESHOP_DATABASE_URL=f"sqlite:///{tmp_path}/no-such-directory/db.sqlite3",
    )
    assert result.returncode != 0
    assert "unable to open database file" in result.stderr
    assert "the database could not be migrated" in result.stderr
    assert "index:" not in result.stdout


def _send_slowly(index, path: str, length: int, count: int) -> list[socket.socket]:
    """``count`` connections that announce a ``length``-byte body and send a byte now and then."""
    host = index.url.removeprefix("http://")
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {length}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n\r\n"
    ).encode()
    connections = []
    for _ in range(count):
        connection = _raw_socket(index)
        connection.sendall(head + b"a")
        connections.append(connection)
    return connections


def test_slow_bodies_neither_stall_the_index_nor_hold_a_thread_for_long(tmp_path):
    # One worker process of 4 threads; 8 connections trickling bodies to a page that takes
    # none, and 8 to the login form, once made every other request wait indefinitely.
    with running_index(tmp_path / "data", {"CHEESESHOP_REQUEST_BODY_GRACE": "2"}) as index:
        bodiless = _send_slowly(index, "/simple/", 10**9, 8)
        forms = _send_slowly(index, "/account/login/", 100_000, 8)
        started = time.monotonic()
        for _ in range(3):
            assert requests.get(f"{index.url}/simple/", timeout=15).status_code == 200
        assert time.monotonic() - started < 15
        # The first are refused unread; the others are cut off once behind the minimum rate.
        assert {_read_status_line(c) for c in bodiless} == {b"HTTP/1.1 405 Method Not Allowed"}
        assert {_read_status_line(c) for c in forms} == {b"HTTP/1.1 408 Request Timeout"}
        for connection in bodiless + forms:
            connection.close()


def test_an_oversized_form_body_is_refused_before_it_is_sent(live_index):
    # 300 MB announced to the login form: refused from the head, nothing read into memory.
    with _raw_socket(live_index) as sock:
        sock.sendall(
            b"POST /account/login/ HTTP/1.1\r\nHost: x\r\nContent-Length: 300000000\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n\r\nlogin=a"
        )
        assert _read_status_line(sock) == b"HTTP/1.1 413 Content Too Large"


@pytest.mark.parametrize("size", [33_000, 60_000])
def test_request_headers_over_32_kib_are_answered_431(live_index, size):
    connection = _connect(live_index)
    connection.request("GET", "/simple/", headers={"Cookie": "c=" + "x" * size})
    response = connection.getresponse()
    assert response.status == 431
    assert "32 KiB" in response.read().decode()


def test_a_chunked_upload_is_refused_with_the_reason(live_index):
    with _raw_socket(live_index) as sock:
        sock.sendall(
            (
                "POST /legacy/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                f"Content-Type: {MULTIPART_CONTENT}\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
            ).encode()
        )
        answer = b""
        while chunk := sock.recv(4096):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 411 Length Required")
    assert b"Chunked request bodies are not supported" in answer


def test_after_an_upload_every_worker_serves_the_new_pages_at_once(tmp_path):
    # Two worker processes (each holding the root's bytes once it served them) and
    # concurrent requests on separate connections, which the router spreads over both: none
    # may answer with a page from before the upload that just returned.
    with running_index(tmp_path / "data", {"CHEESESHOP_WEB_WORKERS": "2"}) as index:
        token = index.create_user_with_token("ivan")
        detail = f"{index.simple_url}fresh/"
        json_accept = {"Accept": "application/vnd.pypi.simple.v1+json"}

        def fetch(request: tuple[str, dict]) -> requests.Response:
            url, headers = request
            return requests.get(url, headers=headers, timeout=30)

        def fetch_everywhere() -> list[requests.Response]:
            requests_ = [(detail, {}), (index.simple_url, {}), (index.simple_url, json_accept)]
            with ThreadPoolExecutor(8) as pool:
                return list(pool.map(fetch, requests_ * 12))

        assert {response.status_code for response in fetch_everywhere()[::3]} == {404}
        for version in ("1.0", "1.1", "2.0"):
            wheel = make_wheel(tmp_path, "fresh", version)
            assert index.post_wheel(token, wheel, "fresh", version).status_code == 200

            answers = fetch_everywhere()

            assert {response.status_code for response in answers} == {200}
            assert all(wheel.name in response.text for response in answers[::3])
            assert all('href="fresh/"' in response.text for response in answers[1::3])
            assert all(
                {"name": "fresh", "_last-serial": int(response.headers["X-PyPI-Last-Serial"])}
                in response.json()["projects"]
                for response in answers[2::3]
            )
            serials = {response.headers["X-PyPI-Last-Serial"] for response in answers}
            assert len(serials) == 1, "every page names the serial of this upload"


def _renderers(root: int) -> list[int]:
    """The processes below ``root`` that serve a connection accepted on the renderers' socket
    (Linux lists an accepted Unix socket under its listening socket's path; a client's socket
    has none)."""
    accepted = set()
    for line in Path("/proc/net/unix").read_text().splitlines()[1:]:
        fields = line.split()
        connected = fields[5] == "03"
        if connected and len(fields) > 7 and fields[7].endswith("/renderers.sock"):
            accepted.add(f"socket:[{fields[6]}]")
    renderers = []
    for pid in process_tree(root):
        with contextlib.suppress(OSError):
            fds = Path(f"/proc/{pid}/fd")
            if any(os.readlink(fd) in accepted for fd in fds.iterdir()):
                renderers.append(pid)
    return renderers


def test_every_workers_descriptions_are_rendered_within_budget_by_one_host(tmp_path):
    # Two web workers: their renderers are forked by the one renderer host
    # (no fork server or resource tracker per worker); a README over the budget is shown as
    # plain text and the uploads after it render theirs.
    # (2,000 table rows: seconds of docutils, whatever the machine; a small README: ~20 ms.)
    env = {"CHEESESHOP_WEB_WORKERS": "2", "CHEESESHOP_DESCRIPTION_RENDER_TIMEOUT": "1"}
    with running_index(tmp_path / "data", env) as index:
        token = index.create_user_with_token("rita")
        table = rst_grid_table(rows=2000)
        slow = {"Description": table, "Description-Content-Type": "text/x-rst"}
        wheel = make_wheel(tmp_path, "slow-readme", "1.0", metadata=slow)
        assert index.post_wheel(token, wheel, "slow-readme", "1.0").status_code == 200
        page = requests.get(f"{index.url}/project/slow-readme/", timeout=30).text
        assert "+---+---+" in page  # as written, not a table

        quick = {"Description": "Some *emphasis*.", "Description-Content-Type": "text/x-rst"}
        for version in ("1.0", "1.1", "1.2", "1.3", "1.4", "1.5"):
            wheel = make_wheel(tmp_path, "quick-readme", version, metadata=quick)
            assert index.post_wheel(token, wheel, "quick-readme", version).status_code == 200
            page = requests.get(f"{index.url}/project/quick-readme/{version}/", timeout=30)
            assert "<em>emphasis</em>" in page.text

        supervisor = index.process.pid
        renderers = _renderers(supervisor)
        [host] = {parent_of(pid) for pid in renderers}  # one host forks them all
        [master] = [pid for pid in process_tree(supervisor) if parent_of(pid) == supervisor]
        assert parent_of(host) == master
        commands = [Path(f"/proc/{pid}/cmdline").read_bytes() for pid in process_tree(master)]
        assert not [command for command in commands if b"multiprocessing" in command]
