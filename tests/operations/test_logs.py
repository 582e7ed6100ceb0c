"""CHEESESHOP_LOG_FORMAT=json: one JSON object per record; a request failed for want of a
database: one line."""

import json
import logging
import sys

from django.db import OperationalError

from cheeseshop.operations.logs import DatabaseDownFilter, JsonFormatter
from tests.operations.test_checks import cheeseshop


def _record(name="cheeseshop.test", msg="hello %s", args=("world",), exc_info=None, **extra):
    record = logging.LogRecord(name, logging.ERROR, __file__, 1, msg, args, exc_info)
    record.__dict__.update(extra)
    return record


def test_a_record_is_one_json_object_on_one_line():
    try:
        raise ValueError("bad\nthing")
    except ValueError:
        line = JsonFormatter().format(_record(exc_info=sys.exc_info()))
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["level"] == "ERROR"
    assert entry["logger"] == "cheeseshop.test"
    assert entry["message"] == "hello world"
    assert entry["time"].endswith("+00:00")
    assert "ValueError: bad" in entry["exception"]


def test_a_request_that_failed_for_want_of_a_database_is_one_line():
    class Request:
        method = "GET"
        path = "/simple/"

    try:
        raise OperationalError("connection refused\nIs the server running?")
    except OperationalError:
        record = _record(name="django.request", exc_info=sys.exc_info(), request=Request())
    assert DatabaseDownFilter().filter(record)
    assert record.exc_info is None
    assert record.getMessage() == "database unavailable (GET /simple/): connection refused"


def test_any_other_error_keeps_its_traceback():
    try:
        raise KeyError("bug")
    except KeyError:
        record = _record(name="django.request", exc_info=sys.exc_info())
    assert DatabaseDownFilter().filter(record)
    assert record.exc_info is not None


def test_a_commands_log_lines_are_json_when_asked(tmp_path):
    result = cheeseshop(
        tmp_path,
        "manage",
        "shell",
        "-c",
        "import logging; logging.getLogger('cheeseshop.test').warning('said %s', 'this')",
        LOG_FORMAT="json",
    )
    assert result.returncode == 0, result.stderr
    [line] = [line for line in result.stderr.splitlines() if line.strip()]
    assert json.loads(line)["message"] == "said this"
