"""Helpers every part of the suite may use."""

import importlib.util
from types import ModuleType

import pytest
from django.utils import translation

import cheeseshop.settings
from tests.s3 import S3Server, new_bucket, running_s3_server


@pytest.fixture(autouse=True)
def default_language():
    """Every test starts in the default language: a page rendered in French (LocaleMiddleware
    activates the request's language in the thread) must not leave French to the next test."""
    translation.deactivate()
    yield
    translation.deactivate()


def fresh_settings() -> ModuleType:
    """cheeseshop/settings.py read again from the environment as it is now: the values an index
    started now would have (the suite's own settings were read once, at start)."""
    spec = importlib.util.spec_from_file_location(
        "cheeseshop_settings_fresh", cheeseshop.settings.__file__
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def s3_endpoint_url():
    """One moto S3 server per test process (each pytest-xdist worker has its own)."""
    with running_s3_server() as endpoint_url:
        yield endpoint_url


@pytest.fixture
def s3_server(s3_endpoint_url) -> S3Server:
    """A fresh bucket on a real S3-compatible server, with ``env``: the ``CHEESESHOP_*``
    variables that store an index's files in it."""
    return new_bucket(s3_endpoint_url)


@pytest.fixture
def s3_packages_storage(s3_server, monkeypatch, settings) -> S3Server:
    """The suite's ``packages`` storage is ``s3_server``'s bucket, configured as an index
    started with its environment would be (settings.py read again with it)."""
    for name, value in s3_server.env.items():
        monkeypatch.setenv(name, value)
    configured = fresh_settings()
    settings.STORAGES = configured.STORAGES
    for name in [*s3_server.env, "CHEESESHOP_S3_URL_EXPIRY"]:
        setattr(settings, name, getattr(configured, name))
    return s3_server


@pytest.fixture
def keep_test_connection(monkeypatch):
    """What Django's test client does for WSGI calls made by hand: a test's transaction must
    survive the request, so the per-request connection clean-up (close_old_connections, which
    the simple-page fast path calls too) is switched off."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    import cheeseshop.index.fastpath

    monkeypatch.setattr(cheeseshop.index.fastpath, "close_old_connections", lambda: None)
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)
