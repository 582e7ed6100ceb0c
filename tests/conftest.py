"""Helpers every part of the suite may use."""

import importlib.util
from types import ModuleType

import pytest
from django.utils import translation

import cheeseshop.settings


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
