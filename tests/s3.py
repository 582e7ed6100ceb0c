"""A real S3-compatible server for the tests: moto's ``moto_server`` in a subprocess, on a free
port, and a fresh bucket per test with the ``CHEESESHOP_*`` environment an index needs to store
its files there.

``running_s3_server()`` is the process (the cluster tests start one for several nodes);
``new_bucket()`` makes a bucket on it; the ``s3_server`` fixture (tests/conftest.py) is both.
"""

import contextlib
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tests.processes import free_port, terminate

BIN = Path(sys.executable).parent
# moto accepts any credentials; these are what an operator's would be.
ACCESS_KEY_ID = "cheeseshop-test-key"
SECRET_ACCESS_KEY = "cheeseshop-test-secret"
REGION = "us-east-1"
PREFIX = "files"


@dataclass(frozen=True)
class S3Server:
    """A bucket on a running S3 server, and the environment that stores an index's files in
    it (under ``prefix``)."""

    endpoint_url: str
    bucket: str
    prefix: str = PREFIX
    env: dict = field(default_factory=dict)

    def client(self):
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY_ID,
            aws_secret_access_key=SECRET_ACCESS_KEY,
        )

    def object_keys(self) -> list[str]:
        """Every object key in the bucket."""
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=self.bucket)
        return [obj["Key"] for page in pages for obj in page.get("Contents", [])]


def s3_env(endpoint_url: str, bucket: str, prefix: str = PREFIX) -> dict:
    return {
        "CHEESESHOP_FILES_STORAGE": "s3",
        "CHEESESHOP_S3_BUCKET": bucket,
        "CHEESESHOP_S3_ENDPOINT_URL": endpoint_url,
        "CHEESESHOP_S3_REGION": REGION,
        "CHEESESHOP_S3_ACCESS_KEY_ID": ACCESS_KEY_ID,
        "CHEESESHOP_S3_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
        "CHEESESHOP_S3_PREFIX": prefix,
    }


def new_bucket(endpoint_url: str, prefix: str = PREFIX) -> S3Server:
    """A new, empty bucket of its own on the server at ``endpoint_url``."""
    bucket = f"cheeseshop-{uuid.uuid4().hex[:12]}"
    server = S3Server(endpoint_url, bucket, prefix, s3_env(endpoint_url, bucket, prefix))
    server.client().create_bucket(Bucket=bucket)
    return server


@contextlib.contextmanager
def running_s3_server(env: dict | None = None) -> Iterator[str]:
    """``moto_server`` on a free port of 127.0.0.1, with ``env`` added to its environment
    (moto's own settings); yields its endpoint URL."""
    port = free_port()
    # The server logs every request: to a file, as a pipe nobody reads would fill and block it.
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, **(env or {})},
        )
        endpoint_url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                if process.poll() is not None:
                    log.seek(0)
                    raise RuntimeError(f"moto_server exited early:\n{log.read().decode()}")
                try:
                    with urllib.request.urlopen(f"{endpoint_url}/moto-api/", timeout=2):
                        break
                except (urllib.error.URLError, ConnectionError, TimeoutError):
                    if time.monotonic() > deadline:
                        raise RuntimeError("moto_server did not answer in 30 s") from None
                    time.sleep(0.1)
            yield endpoint_url
        finally:
            terminate(process)
