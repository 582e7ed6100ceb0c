"""The web server's renderer host: one process forking a renderer for each process that
connects (the web workers, the task worker), each renderer ending itself at its budget."""

import contextlib
import multiprocessing
import multiprocessing.connection
import os
import signal
import socket
import time

import pytest

from cheeseshop.packaging import descriptions
from tests.packaging.hostile_descriptions import rst_grid_table
from tests.processes import parent_of, stat_fields

SLOW = rst_grid_table(rows=400)  # seconds of docutils
SHORT_IDLE_SECONDS = 0.5


def _host_at(path: str, idle_seconds: float | None) -> None:
    """What uWSGI's master and then the renderer-host mule do, in one process."""
    if idle_seconds is not None:
        descriptions._IDLE_SECONDS = idle_seconds
    descriptions.listen_for_renders(path)
    descriptions.host_renderers()


def _gone(pid: int, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            state = stat_fields(pid)[0]
        except FileNotFoundError:
            return True
        if state == "Z":  # ended, not yet reaped: gone all the same
            return True
        time.sleep(0.01)
    return False


def _listening(path: str) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        try:
            probe.connect(path)  # (the host forks a renderer, which ends at once: no request)
        except OSError:
            return False
    return True


def _hosting(tmp_path, monkeypatch, idle_seconds: float | None = None):
    """A renderer host on a socket; this process reaches its renderers through it."""
    path = str(tmp_path / "renderers.sock")
    process = multiprocessing.get_context("spawn").Process(
        target=_host_at, args=(path, idle_seconds)
    )
    process.start()
    deadline = time.monotonic() + 60
    while not _listening(path):
        assert time.monotonic() < deadline, "the host never listened"
        assert process.is_alive(), "the host died"
        time.sleep(0.01)
    monkeypatch.setattr(descriptions, "_host_path", path)
    monkeypatch.setattr(descriptions, "_renderer", None)
    yield process
    if descriptions._renderer is not None:
        descriptions._renderer.stop()
    process.terminate()
    process.join(10)


@pytest.fixture
def host(tmp_path, monkeypatch):
    yield from _hosting(tmp_path, monkeypatch)


@pytest.fixture
def host_of_short_lived_renderers(tmp_path, monkeypatch):
    """A host whose renderers end after SHORT_IDLE_SECONDS without a description."""
    yield from _hosting(tmp_path, monkeypatch, SHORT_IDLE_SECONDS)


def test_a_description_is_rendered_by_a_renderer_the_host_forked(host):
    rendered = descriptions.render_description("Some *emphasis*.", "")
    assert rendered.html == "<p>Some <em>emphasis</em>.</p>\n"
    renderer = descriptions._renderer
    assert isinstance(renderer, descriptions._HostedRenderer)
    assert parent_of(renderer.pid) == host.pid


def test_the_renderer_lives_on_between_descriptions(host):
    descriptions.render_description("One.", "")
    first = descriptions._renderer.pid
    descriptions.render_description("Two.", "")
    assert descriptions._renderer.pid == first


def test_each_process_that_connects_gets_a_renderer_of_its_own(host):
    ours, theirs = descriptions._HostedRenderer(), descriptions._HostedRenderer()
    try:
        assert ours.render("*a*", "", 30) == "<p><em>a</em></p>\n"
        assert theirs.render("*b*", "", 30) == "<p><em>b</em></p>\n"
        assert ours.pid != theirs.pid
    finally:
        ours.stop()
        theirs.stop()


def test_a_description_over_its_budget_is_plain_text_and_its_renderer_ends(settings, host):
    settings.CHEESESHOP_DESCRIPTION_RENDER_TIMEOUT = 0.05
    descriptions.start_renderer()
    renderer_pid = descriptions._renderer.pid

    started = time.monotonic()
    rendered = descriptions.render_description(SLOW, "text/x-rst")

    assert time.monotonic() - started < descriptions._END_SECONDS
    assert "<table" not in rendered.html
    assert rendered.html.startswith("+---+")
    assert _gone(renderer_pid)

    settings.CHEESESHOP_DESCRIPTION_RENDER_TIMEOUT = 30
    assert descriptions.render_description("*next*", "").html == "<p><em>next</em></p>\n"
    assert descriptions._renderer.pid != renderer_pid


def test_the_renderer_ends_itself_at_its_budget_whoever_asks(host):
    # A client that never gives up on its renderer does not keep it rendering: the kernel ends
    # it when the budget it was sent runs out.
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.connect(descriptions._host_path)
    connection = multiprocessing.connection.Connection(client.detach())
    try:
        assert connection.recv_bytes().startswith(descriptions._READY)
        connection.send((SLOW, "text/x-rst", 0.05))
        assert connection.poll(descriptions._END_SECONDS)
        with pytest.raises(EOFError):
            connection.recv()
    finally:
        connection.close()


def test_a_renderer_that_died_between_descriptions_is_replaced_before_the_next(host):
    descriptions.start_renderer()
    dead = descriptions._renderer.pid
    os.kill(dead, signal.SIGKILL)
    assert _gone(dead)

    rendered = descriptions.render_description("*after*", "")

    assert rendered.html == "<p><em>after</em></p>\n"
    assert descriptions._renderer.pid != dead


def test_a_renderer_busy_with_a_long_description_does_not_hold_up_another_process(host):
    slow, quick = descriptions._HostedRenderer(), descriptions._HostedRenderer()
    try:
        slow.ensure_started()
        slow.connection.send((SLOW, "text/x-rst", 30))
        started = time.monotonic()
        assert quick.render("*quick*", "", 30) == "<p><em>quick</em></p>\n"
        assert time.monotonic() - started < 5
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(slow.pid, signal.SIGKILL)  # rather than let it render on, unread
        slow.stop()
        quick.stop()


def test_the_host_refuses_to_run_without_the_masters_socket(monkeypatch):
    monkeypatch.setattr(descriptions, "_host_listener", None)
    with pytest.raises(RuntimeError, match="listen_for_renders"):
        descriptions.host_renderers()


def test_a_renderer_left_idle_ends_and_the_next_description_gets_a_new_one(
    host_of_short_lived_renderers,
):
    descriptions.start_renderer()
    idle = descriptions._renderer.pid

    assert _gone(idle, seconds=SHORT_IDLE_SECONDS + 10)
    rendered = descriptions.render_description("*later*", "")

    assert rendered.html == "<p><em>later</em></p>\n"
    assert descriptions._renderer.pid != idle


def test_a_description_sent_as_its_renderer_goes_idle_is_rendered_by_a_new_one(
    host_of_short_lived_renderers,
):
    renderer = descriptions._HostedRenderer()
    renderer.ensure_started()
    idle = renderer.pid
    assert _gone(idle, seconds=SHORT_IDLE_SECONDS + 10)
    checked = renderer.ensure_started
    checks = []

    def checked_just_before_it_went(*args):
        if checks:
            return checked()
        checks.append(True)  # the check that found it alive, a moment before
        return None

    renderer.ensure_started = checked_just_before_it_went
    try:
        assert renderer.render("*just then*", "", 30) == "<p><em>just then</em></p>\n"
        assert renderer.pid != idle
    finally:
        renderer.stop()


def test_without_a_host_a_description_is_plain_text_and_the_reason_logged(
    tmp_path, monkeypatch, caplog
):
    monkeypatch.setattr(descriptions, "_host_path", str(tmp_path / "nobody-listens.sock"))
    monkeypatch.setattr(descriptions, "_renderer", None)

    rendered = descriptions.render_description("Some *emphasis*.", "")

    assert rendered.renders
    assert rendered.html == "Some *emphasis*."
    assert "no renderer host at" in caplog.text
