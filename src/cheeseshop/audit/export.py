"""Exports of the audit trail, as CSV and as JSON Lines, streamed.

The rows are read in chunks from a database cursor and written out as they come: an export of
millions of events holds one chunk in memory, never the whole set. Each record has every column
of the event table (so columns added later are exported too) and, for reading convenience, the
names of its subjects: ``user_username``, ``actor_username``, ``project_name``,
``file_filename`` (empty when the subject is deleted).

CSV cells that a spreadsheet would run as a formula (starting with ``= + - @``, a tab or a
carriage return) are written with a leading ``'``, and so is a cell that starts with ``'``:
to read a cell back, drop one leading ``'``. JSON columns are JSON text in CSV; times are
ISO 8601 in UTC.
"""

import csv
import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import JSONField, QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone

from cheeseshop.audit.models import Event

# Rows fetched from the database cursor at a time. Django's iterator keeps the previous chunk
# alive while fetching the next, so about two chunks are in memory at once: 500 rows keep an
# export's peak near one tenth of a 10,000-event export, 2,000 would keep it near half.
EXPORT_CHUNK_SIZE = 500
# Lines are sent in batches: one network write per line would be slow for large exports.
LINES_PER_WRITE = 200

SUBJECT_NAMES = {
    "user_username": "user__username",
    "actor_username": "actor__username",
    "project_name": "project__name",
    "file_filename": "file__filename",
}

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")


def event_columns() -> list[str]:
    return [field.attname for field in Event._meta.concrete_fields]


def export_columns() -> list[str]:
    return event_columns() + list(SUBJECT_NAMES)


def _json_columns() -> set[str]:
    return {field.attname for field in Event._meta.concrete_fields if isinstance(field, JSONField)}


def event_records(events: QuerySet) -> Iterator[dict[str, Any]]:
    """Each event as a dict of ``export_columns()``, oldest first, read chunk by chunk."""
    columns = export_columns()
    lookups = event_columns() + list(SUBJECT_NAMES.values())
    rows = events.order_by("id").values_list(*lookups).iterator(chunk_size=EXPORT_CHUNK_SIZE)
    for values in rows:
        record = dict(zip(columns, values, strict=True))
        record["time"] = _iso_time(record["time"])
        yield record


def _iso_time(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


def _batched(lines: Iterable[str]) -> Iterator[str]:
    batch: list[str] = []
    for line in lines:
        batch.append(line)
        if len(batch) >= LINES_PER_WRITE:
            yield "".join(batch)
            batch = []
    if batch:
        yield "".join(batch)


def jsonl_lines(events: QuerySet) -> Iterator[str]:
    for record in event_records(events):
        yield json.dumps(record, cls=DjangoJSONEncoder, ensure_ascii=False, sort_keys=True) + "\n"


def _csv_cell(value: Any, *, is_json: bool) -> str:
    if is_json:
        return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False, sort_keys=True)
    if value is None:
        return ""
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


class _LineWriter:
    """What csv.writer writes to: hands each formatted line back instead of storing it."""

    def write(self, line: str) -> str:
        return line


def csv_lines(events: QuerySet) -> Iterator[str]:
    writer = csv.writer(_LineWriter())
    columns = export_columns()
    json_columns = _json_columns()
    yield writer.writerow(columns)
    for record in event_records(events):
        yield writer.writerow(
            [_csv_cell(record[column], is_json=column in json_columns) for column in columns]
        )


def _attachment(lines: Iterator[str], *, content_type: str, extension: str):
    response = StreamingHttpResponse(_batched(lines), content_type=content_type)
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    response["Content-Disposition"] = f'attachment; filename="audit-events-{stamp}.{extension}"'
    return response


def csv_response(events: QuerySet) -> StreamingHttpResponse:
    return _attachment(csv_lines(events), content_type="text/csv; charset=utf-8", extension="csv")


def jsonl_response(events: QuerySet) -> StreamingHttpResponse:
    return _attachment(
        jsonl_lines(events), content_type="application/jsonl; charset=utf-8", extension="jsonl"
    )
