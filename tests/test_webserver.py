import pytest

from cheeseshop.webserver import STARTUP_NOISE, uwsgi_arguments


@pytest.mark.parametrize(
    "line",
    [
        "*** Starting uWSGI 2.0.30 (64bit) on [Sun Nov 22 15:46:40 2026] ***",
        "*** WARNING: you are running uWSGI as root !!! (use the --uid flag) *** ",
        "your processes number limit is 96365",
        "spawned uWSGI worker 1 (pid: 6023, cores: 4)",
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
    ],
)
def test_errors_and_the_applications_own_lines_pass(line):
    assert not STARTUP_NOISE.match(line)


def test_debug_log_level_keeps_everything_uwsgi_says(tmp_path):
    quiet = uwsgi_arguments("127.0.0.1:8000", processes=2, socket_path=tmp_path / "s")
    verbose = uwsgi_arguments(
        "127.0.0.1:8000", processes=2, socket_path=tmp_path / "s", verbose=True
    )
    assert "--log-drain" in quiet
    assert "--log-drain" not in verbose
