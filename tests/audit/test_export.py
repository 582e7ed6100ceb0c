"""Exports of the admin audit log: CSV and JSON Lines of exactly the filtered events, read back
to the same events, streamed without holding the whole export in memory."""

import csv
import hashlib
import io
import json
import tracemalloc
from datetime import datetime

import pytest
from django.http import StreamingHttpResponse
from django.utils import timezone

from cheeseshop.audit.chain import chain_head, content_of, link_hash, verify_chain
from cheeseshop.audit.export import export_columns
from cheeseshop.audit.models import Event, EventTag
from cheeseshop.audit.services import Credential, hash_ip
from cheeseshop.audit.useragents import parse_user_agent
from tests.audit.conftest import record

pytestmark = pytest.mark.django_db

CSV = "/admin/audit/event/log/export.csv"
JSONL = "/admin/audit/event/log/export.jsonl"
INT_COLUMNS = {"id", "sequence", "user_id", "project_id", "file_id", "actor_id"}
JSON_COLUMNS = {"credential", "additional", "user_agent_info"}


def stored(events) -> list[dict]:
    """The events as the database has them, in export form, oldest first."""
    names = {"user_username": "user", "actor_username": "actor", "project_name": "project"}
    rows = []
    for recorded in sorted(events, key=lambda event: event.pk):
        event = Event.objects.get(pk=recorded.pk)
        row = {column: getattr(event, column, None) for column in export_columns()}
        row["time"] = event.time
        for column, relation in names.items():
            subject = getattr(event, relation)
            row[column] = (
                str(subject.username if relation != "project" else subject.name)
                if subject
                else None
            )
        row["file_filename"] = None
        rows.append(row)
    return rows


def from_jsonl(text: str) -> list[dict]:
    rows = [json.loads(line) for line in text.splitlines()]
    for row in rows:
        row["time"] = datetime.fromisoformat(row["time"])
    return rows


def from_csv(text: str) -> list[dict]:
    """Reads cells back as the export's docstring says: drop one leading "'", JSON columns are
    JSON, empty id columns are None."""
    rows = []
    for raw in csv.DictReader(io.StringIO(text)):
        row = {}
        for column, cell in raw.items():
            if column in JSON_COLUMNS:
                row[column] = json.loads(cell)
            elif column in INT_COLUMNS:
                row[column] = int(cell) if cell else None
            elif column == "time":
                row[column] = datetime.fromisoformat(cell)
            else:
                value = cell[1:] if cell.startswith("'") else cell
                row[column] = value if value or column not in _NULLABLE_TEXT else None
        rows.append(row)
    return rows


_NULLABLE_TEXT = {"user_username", "actor_username", "project_name", "file_filename"}


def body_of(response) -> str:
    return b"".join(response.streaming_content).decode()


@pytest.fixture
def events(owner, maintainer, stranger, project, other_project):
    tricky_agent = '=HYPERLINK("http://evil.example","x"), "quoted" ünïcode ✓'
    return [
        record(
            EventTag.FILE_ADD,
            actor=maintainer,
            project=project,
            credential=Credential("token", {"token_id": "9", "description": "-CI, main"}),
            additional={"filename": "cheese_tools-2.0.tar.gz", "nested": {"list": [1, 2.5]}},
            user_agent=tricky_agent,
        ),
        record(EventTag.ACCOUNT_LOGIN_SUCCESS, actor=owner, user=owner, user_agent="'quoted"),
        record(EventTag.PROJECT_RELEASE_YANK, actor=owner, project=project, user_agent="@x"),
        record(EventTag.PROJECT_RELEASE_YANK, actor=stranger, project=other_project),
        record(EventTag.ACCOUNT_LOGOUT, actor=stranger, user=stranger),
    ]


@pytest.mark.parametrize(("url", "parse"), [(CSV, from_csv), (JSONL, from_jsonl)])
def test_an_export_reads_back_to_the_same_events(staff_client, events, url, parse):
    response = staff_client.get(url, {"project": "cheese-tools"})
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert "attachment" in response["Content-Disposition"]
    exported = parse(body_of(response))
    expected = stored([events[0], events[2]])
    assert exported == expected


@pytest.mark.parametrize(("url", "parse"), [(CSV, from_csv), (JSONL, from_jsonl)])
def test_an_unfiltered_export_has_every_event(staff_client, events, url, parse):
    exported = parse(body_of(staff_client.get(url)))
    assert [row["id"] for row in exported] == sorted(e.pk for e in Event.objects.all())


def test_csv_cells_a_spreadsheet_would_run_are_quoted(staff_client, events):
    text = body_of(staff_client.get(CSV, {"tag": "file:add"}))
    cells = next(csv.DictReader(io.StringIO(text)))
    assert cells["user_agent"].startswith("'=HYPERLINK(")


def test_export_columns_are_every_event_column_and_the_subjects_names(staff_client, events):
    header = body_of(staff_client.get(CSV, {"tag": "account:logout"})).splitlines()[0]
    columns = header.split(",")
    for column in ("id", "tag", "time", "sequence", "chain_hash", "user_agent_info"):
        assert column in columns
    assert columns[-4:] == ["user_username", "actor_username", "project_name", "file_filename"]


@pytest.mark.parametrize("url", [CSV, JSONL])
def test_invalid_filters_export_nothing_and_say_why(staff_client, events, url):
    response = staff_client.get(url, {"ip": "nonsense"})
    assert response.status_code == 400
    assert "Nothing was exported; the filters are not valid" in response.content.decode()


# --- Large exports ---------------------------------------------------------------------------

MANY = 10_000
# What pip sends (linehaul's format), as most uploads and installs carry it.
PIP_USER_AGENT = (
    'pip/24.3.1 {"ci":null,"cpu":"x86_64","distro":{"id":"bookworm","libc":{"lib":"glibc",'
    '"version":"2.36"},"name":"Debian GNU/Linux","version":"12"},"implementation":{"name":'
    '"CPython","version":"3.12.7"},"installer":{"name":"pip","version":"24.3.1"},'
    '"openssl_version":"OpenSSL 3.0.15 3 Sep 2024","python":"3.12.7","rustc_version":"1.83.0",'
    '"setuptools_version":"75.6.0","system":{"name":"Linux","release":"6.1.0-28-amd64"}}'
)


def bulk_record(count: int, **fields) -> None:
    """``count`` file uploads in a few INSERTs, with what the recorder stores for a real one,
    linked into the hash chain as the recorder links them."""
    sequence, previous_hash = chain_head()
    now = timezone.now()
    agent_info = parse_user_agent(PIP_USER_AGENT)
    batch = []
    for number in range(1, count + 1):
        event = Event(
            tag=EventTag.FILE_ADD.value,
            time=now,
            sequence=sequence + number,
            credential={"method": "token", "token_id": str(number), "description": "CI"},
            ip_hash=hash_ip(f"198.51.100.{number % 250}"),
            user_agent=PIP_USER_AGENT,
            user_agent_info=agent_info,
            additional={
                "filename": f"cheese_tools-{number}.0-py3-none-any.whl",
                "version": f"{number}.0",
                "canonical_version": f"{number}",
                "sha256": hashlib.sha256(str(number).encode()).hexdigest(),
                "blake2_256": hashlib.blake2b(str(number).encode(), digest_size=32).hexdigest(),
            },
            **fields,
        )
        event.chain_hash = previous_hash = link_hash(previous_hash, content_of(event))
        batch.append(event)
    Event.objects.bulk_create(batch, batch_size=1000)


def test_the_jsonl_export_of_10000_events_streams_in_bounded_memory(staff_client, project):
    bulk_record(MANY, project=project)
    assert verify_chain().broken is None  # built like the recorder's: still a valid chain
    response = staff_client.get(JSONL, {"project": "cheese-tools"})
    assert response.streaming
    assert isinstance(response, StreamingHttpResponse)

    lines = 0
    size = 0
    tracemalloc.start()
    try:
        for chunk in response.streaming_content:  # consumed as a client would: piece by piece
            size += len(chunk)
            lines += chunk.count(b"\n")
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert lines == MANY
    # A chunk of rows at a time: the peak stays far below the export (and far below the
    # five times the export's size that holding every row as Python objects takes).
    assert peak < size / 4, f"peak {peak} bytes for an export of {size} bytes"
