"""TUF fixtures: an initialised repository on a small bin count, and ngclient wired to Django's
test client (or, for end-to-end tests, to a real ``cheeseshop serve``)."""

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.test import Client
from tuf.api.exceptions import DownloadHTTPError
from tuf.api.metadata import Metadata
from tuf.ngclient import Updater
from tuf.ngclient.fetcher import FetcherInterface

from cheeseshop.audit.models import EventTag
from cheeseshop.audit.services import CLI, record_event
from cheeseshop.packaging import publishing
from cheeseshop.tuf import initialisation, store

BASE = "http://testserver"
SMALL_BIT_LENGTH = 4


def publish_change(project) -> None:
    """What every change to a project does last: an audit event, then packaging's publisher
    (the index renders the pages, TUF follows them)."""
    event = record_event(EventTag.PROJECT_SETTINGS_CHANGE, project=project, credential=CLI)
    publishing.publish(project, event)


def publish_removal(project_id: int) -> None:
    event = record_event(EventTag.PROJECT_REMOVE, credential=CLI)
    publishing.publish_removal(project_id, event)


class DjangoClientFetcher(FetcherInterface):
    """ngclient's downloads, answered by Django's test client; logs every request."""

    def __init__(self) -> None:
        self.client = Client()
        self.requests: list[tuple[int, str]] = []

    def _fetch(self, url: str) -> Iterator[bytes]:
        path = urlsplit(url).path
        response = self.client.get(path)
        self.requests.append((response.status_code, path))
        if response.status_code != 200:
            raise DownloadHTTPError(f"{path}: {response.status_code}", response.status_code)
        if response.streaming:
            return iter([b"".join(response.streaming_content)])
        return iter([response.content])


@pytest.fixture(autouse=True)
def tuf_dirs(settings, tmp_path):
    """Each test gets its own online key file (and legacy metadata directory)."""
    settings.CHEESESHOP_TUF_METADATA_DIR = str(tmp_path / "metadata")
    settings.CHEESESHOP_TUF_ONLINE_KEY_URI = f"file2:{tmp_path / 'online_key'}"
    settings.CHEESESHOP_TUF_BIT_LENGTH = SMALL_BIT_LENGTH
    settings.CHEESESHOP_TUF_PURGE_HOOK = ""


@pytest.fixture
def keys_dir(tmp_path) -> Path:
    return tmp_path / "offline-keys"


@pytest.fixture
def initialised(db, keys_dir):
    return initialisation.init(keys_dir, bit_length=SMALL_BIT_LENGTH, key_specs=root_keys(2, 2))


def stored(name: str) -> Metadata:
    """A metadata document as the store serves it."""
    body = store.read(name)
    assert body is not None, f"{name} is not stored"
    return Metadata.from_bytes(body)


def root_keys(count: int, threshold: int) -> dict:
    """``init``'s key specs for ``count`` generated root keys (targets and bins: defaults)."""
    return {"root": initialisation.OfflineKeySpec(generate=count, threshold=threshold)}


def make_updater(workdir: Path, trusted_root: bytes, fetcher=None) -> Updater:
    """An ngclient bootstrapped with ``trusted_root`` (read from disk, never from the server)."""
    (workdir / "metadata").mkdir(parents=True, exist_ok=True)
    (workdir / "targets").mkdir(parents=True, exist_ok=True)
    return Updater(
        str(workdir / "metadata"),
        f"{BASE}/tuf/",
        str(workdir / "targets"),
        f"{BASE}/",
        fetcher=fetcher or DjangoClientFetcher(),
        bootstrap=trusted_root,
    )
