"""Logging pieces named by settings.LOGGING: the JSON formatter (CHEESESHOP_LOG_FORMAT=json) and
the filter that turns a request's failure for want of a database into one line.

Imported while logging is configured, before the apps are loaded: nothing here needs them.
"""

import json
import logging
from datetime import UTC, datetime


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line: time (UTC, ISO 8601), level, logger, message,
    and the traceback as one string when there is one — the access log's keys
    (cheeseshop.webserver) are the same."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class DatabaseDownFilter(logging.Filter):
    """Django logs a request that raised with its whole traceback; when what it raised says
    the database is down, one line naming the request and the reason is enough (every request
    fails the same way until it is back)."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is None or record.name != "django.request":
            return True
        from cheeseshop.operations.probes import database_is_down

        if database_is_down(exc):
            request = getattr(record, "request", None)
            first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            record.msg = "database unavailable (%s %s): %s"
            record.args = (
                getattr(request, "method", "-"),
                getattr(request, "path", "-"),
                first_line or type(exc).__name__,
            )
            record.exc_info = None
            record.exc_text = None
        return True
