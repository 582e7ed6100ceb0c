"""Settings are defined once: every one the code reads is defined in cheeseshop/settings.py
(or is Django's own), read as ``settings.X`` with no second default, and every environment
variable behind them is documented in docs/configuration.md and in ``cheeseshop --help``."""

import ast
import re
from pathlib import Path

import pytest
from django.conf import global_settings

import cheeseshop.settings
from cheeseshop.cli import build_parser

SOURCE = Path(cheeseshop.settings.__file__).resolve().parent
SETTINGS_FILE = SOURCE / "settings.py"
CONFIGURATION_DOCS = SOURCE.parent.parent / "docs" / "configuration.md"
SETTING_NAME = re.compile(r"\A[A-Z][A-Z0-9_]*\Z")
ENV_NAME = re.compile(r"\ACHEESESHOP_[A-Z0-9_]+\Z")


def _sources() -> list[tuple[Path, ast.AST]]:
    return [
        (path, ast.parse(path.read_text(), str(path)))
        for path in SOURCE.rglob("*.py")
        if "migrations" not in path.parts
    ]


SOURCES = _sources()


def _imports_django_settings(tree: ast.AST) -> bool:
    return any(
        isinstance(node, ast.ImportFrom)
        and node.module == "django.conf"
        and any(alias.name == "settings" for alias in node.names)
        for node in ast.walk(tree)
    )


def _is_settings(node: ast.AST) -> bool:
    return isinstance(node, ast.Name) and node.id == "settings"


def settings_reads() -> list[tuple[Path, str, bool]]:
    """(file, setting name, whether read with a default) of every django.conf settings read."""
    reads = []
    for path, tree in SOURCES:
        if not _imports_django_settings(tree):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and _is_settings(node.value):
                if SETTING_NAME.match(node.attr):
                    reads.append((path, node.attr, False))
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "getattr"
                and node.args
                and _is_settings(node.args[0])
                and len(node.args) > 1
                and isinstance(node.args[1], ast.Constant)
            ):
                reads.append((path, node.args[1].value, len(node.args) > 2))
    return reads


def named_settings() -> list[tuple[Path, str]]:
    """Settings named by a string of their own (``getattr(settings, LIMIT_SETTINGS[name])``)."""
    return [
        (path, node.value)
        for path, tree in SOURCES
        if path != SETTINGS_FILE
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and ENV_NAME.match(node.value)
    ]


def environment_variables() -> set[str]:
    """Every CHEESESHOP_* variable settings.py reads: through _env*, or by its full name."""
    text = SETTINGS_FILE.read_text()
    short = re.findall(r'_env(?:_int|_bool)?\(\s*"([A-Z0-9_]+)"', text)
    full = re.findall(r'"(CHEESESHOP_[A-Z0-9_]+)"', text)
    return {f"CHEESESHOP_{name}" for name in short} | set(full)


def _defined(name: str) -> bool:
    return hasattr(cheeseshop.settings, name) or hasattr(global_settings, name)


def test_the_reads_are_found():
    names = {name for _path, name, _default in settings_reads()}
    assert {"CHEESESHOP_SIMPLE_MAX_AGE", "CHEESESHOP_TUF_METADATA_DIR", "SITE_NAME"} <= names


def test_every_setting_read_is_defined_in_settings_py_or_by_django():
    undefined = sorted(
        f"{path.relative_to(SOURCE)}: {name}"
        for path, name, _default in settings_reads()
        if not _defined(name)
    )
    assert undefined == []


def test_our_settings_are_defined_in_settings_py_not_by_a_default_elsewhere():
    ours = [(path, name) for path, name, _default in settings_reads() if name.startswith("CHEESE")]
    ours += named_settings()
    undefined = sorted(
        f"{path.relative_to(SOURCE)}: {name}"
        for path, name in ours
        if not hasattr(cheeseshop.settings, name)
    )
    assert undefined == []


def test_no_setting_is_read_with_a_second_default():
    defaults = sorted(
        f"{path.relative_to(SOURCE)}: {name}"
        for path, name, default in settings_reads()
        if default
    )
    assert defaults == []


def test_only_settings_py_reads_our_environment_variables():
    readers = sorted(
        str(path.relative_to(SOURCE))
        for path, tree in SOURCES
        if path != SETTINGS_FILE
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in {"get", "getenv", "__getitem__"}
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and str(node.args[0].value).startswith("CHEESESHOP_")
    )
    assert readers == []


@pytest.mark.parametrize("variable", sorted(environment_variables()))
def test_every_variable_is_documented_in_the_docs_and_the_help(variable):
    assert variable in CONFIGURATION_DOCS.read_text()
    assert variable in build_parser().epilog


def test_the_variables_are_found():
    assert {"CHEESESHOP_DATA_DIR", "CHEESESHOP_SECRET_KEY", "CHEESESHOP_FILES_URL"} <= (
        environment_variables()
    )


def test_a_form_body_over_the_limit_is_refused_not_read_into_memory(client, db, settings):
    # Anonymous, to the login form: 300 MB once cost a worker 1.2 GB of memory.
    body = "login=alice&password=" + "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = client.post(
        "/account/login/", body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400


def test_transaction_pooling_turns_server_side_cursors_off(monkeypatch):
    from tests.conftest import fresh_settings

    assert fresh_settings().DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] is False
    monkeypatch.setenv("CHEESESHOP_DATABASE_TRANSACTION_POOLING", "true")
    assert fresh_settings().DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] is True
