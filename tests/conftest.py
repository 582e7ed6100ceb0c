"""Helpers every part of the suite may use."""

import importlib.util
from types import ModuleType

import cheeseshop.settings


def fresh_settings() -> ModuleType:
    """cheeseshop/settings.py read again from the environment as it is now: the values an index
    started now would have (the suite's own settings were read once, at start)."""
    spec = importlib.util.spec_from_file_location(
        "cheeseshop_settings_fresh", cheeseshop.settings.__file__
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
