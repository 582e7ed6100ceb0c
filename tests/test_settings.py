"""Settings are defined once: every one the code reads is defined in cheeseshop/settings.py
(or is Django's own), read as ``settings.X`` with no second default, and every environment
variable behind them is documented in docs/configuration.md and in ``cheeseshop --help``."""

import ast
import contextlib
import datetime
import ipaddress
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import global_settings

import cheeseshop.settings
from cheeseshop.cli import build_parser
from cheeseshop.settings import parse_trusted_proxies
from tests.processes import free_port

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


def test_the_rq_backend_needs_nothing_but_its_url(monkeypatch):
    from tests.conftest import fresh_settings

    monkeypatch.setenv("CHEESESHOP_TASKS_BACKEND", "rq")
    monkeypatch.setenv("CHEESESHOP_RQ_URL", "rediss://:pw@redis.internal:6380/3")
    fresh = fresh_settings()
    assert fresh.TASKS["default"]["BACKEND"] == "django_tasks_rq.RQBackend"
    queue = {"URL": "rediss://:pw@redis.internal:6380/3", "DEFAULT_TIMEOUT": 3600}
    queues = fresh.RQ_QUEUES
    assert queues == dict.fromkeys(fresh.TASK_QUEUES, queue)
    assert "cheeseshop.taskqueue.rq_app.RQConfig" in fresh.INSTALLED_APPS
    # Its class path names the same backend.
    monkeypatch.setenv("CHEESESHOP_TASKS_BACKEND", "django_tasks_rq.RQBackend")
    assert fresh_settings().RQ_QUEUES == fresh.RQ_QUEUES


def test_every_task_runs_on_a_queue_the_settings_declare():
    from django_tasks.base import Task

    modules = [
        __import__(f"cheeseshop.{path.parent.name}.tasks", fromlist=["*"])
        for path in SOURCE.glob("*/tasks.py")
    ]
    tasks = [
        value for module in modules for value in vars(module).values() if isinstance(value, Task)
    ]
    assert len(tasks) >= 4
    assert {task.queue_name for task in tasks} <= set(cheeseshop.settings.TASK_QUEUES)


def settings_in_a_fresh_process(tmp_path, *names: str, **env: str) -> subprocess.CompletedProcess:
    """``repr`` of the named settings as a process started with ``env`` reads them."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CHEESESHOP_", "DJANGO_"))}
    clean["CHEESESHOP_DATA_DIR"] = str(tmp_path / "data")
    code = f"import cheeseshop.settings as s; print(*(repr(getattr(s, n)) for n in {names!r}))"
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("value", "trusted"),
    [
        ("", 0),
        ("0", 0),
        ("2", 2),
        ("10.0.0.0/8", (ipaddress.ip_network("10.0.0.0/8"),)),
        (
            " 10.1.2.3 , 2001:db8::/32",
            (ipaddress.ip_network("10.1.2.3/32"), ipaddress.ip_network("2001:db8::/32")),
        ),
    ],
)
def test_trusted_proxies_are_a_count_or_networks(value, trusted):
    assert parse_trusted_proxies(value) == trusted


@pytest.mark.parametrize("value", ["-1", "10.0.0.0/33", "proxy.example", "10.0.0.0/8,"])
def test_trusted_proxies_that_are_neither_refuse_naming_the_setting(value):
    with pytest.raises(ValueError, match="CHEESESHOP_TRUSTED_PROXIES must be a number of"):
        parse_trusted_proxies(value)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "0 False"),
        ({"CHEESESHOP_TRUSTED_PROXIES": "10.0.0.0/8"}, "(IPv4Network('10.0.0.0/8'),) True"),
        ({"CHEESESHOP_TRUSTED_PROXIES": "2", "CHEESESHOP_BEHIND_PROXY": "false"}, "2 False"),
        ({"CHEESESHOP_BEHIND_PROXY": "true"}, "1 True"),
        ({"CHEESESHOP_PROXY_HOPS": "3"}, "3 True"),  # the name before, still read
        ({"CHEESESHOP_PROXY_HOPS": "3", "CHEESESHOP_TRUSTED_PROXIES": "1"}, "1 True"),
    ],
)
def test_naming_trusted_proxies_trusts_the_forwarded_protocol_unless_told_not_to(
    tmp_path, env, expected
):
    result = settings_in_a_fresh_process(
        tmp_path, "CHEESESHOP_TRUSTED_PROXIES", "CHEESESHOP_BEHIND_PROXY", **env
    )
    assert result.stdout.strip() == expected, result.stderr


@pytest.mark.parametrize(
    ("variable", "url"),
    [
        ("CHEESESHOP_CACHE_URL", "memcached://:secret@cache.example"),
        ("CHEESESHOP_CACHE_URL", "cache.example:6379"),
        ("CHEESESHOP_RATELIMIT_STORAGE", "mongodb://:secret@db.example"),
    ],
)
def test_an_unknown_cache_scheme_is_refused_at_start_naming_the_variable(tmp_path, variable, url):
    result = settings_in_a_fresh_process(tmp_path, "CACHES", **{variable: url})
    assert result.returncode != 0
    error = result.stderr.strip().splitlines()[-1]
    assert error.startswith(f"ValueError: {variable} must start with one of")
    assert "secret" not in error  # the scheme is named, not the password after it


def test_a_redis_cache_without_the_redis_library_says_which_extra_installs_it(tmp_path):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CHEESESHOP_", "DJANGO_"))}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; sys.modules['redis'] = None; import cheeseshop.settings",
        ],
        env={**clean, "CHEESESHOP_DATA_DIR": str(tmp_path), "CHEESESHOP_CACHE_URL": "redis://r"},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert "CHEESESHOP_CACHE_URL names Redis" in result.stderr
    assert "pip install 'cheeseshop[redis]'" in result.stderr


def wait_for_port(port: int) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port}")


@pytest.fixture
def redis_over_tls(tmp_path):
    """A real Redis server answering only over TLS, and the CA file that verifies it."""
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is not installed")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    (tmp_path / "cert.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    port = free_port()
    cert, key_file = str(tmp_path / "cert.pem"), str(tmp_path / "key.pem")
    tls = ["--tls-port", str(port), "--tls-cert-file", cert, "--tls-key-file", key_file]
    tls += ["--tls-ca-cert-file", cert, "--tls-auth-clients", "no"]
    process = subprocess.Popen(
        [server, "--port", "0", *tls, "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        yield f"rediss://127.0.0.1:{port}/0?ssl_ca_certs={tmp_path / 'cert.pem'}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_rediss_url_is_a_redis_cache_and_rate_limit_store_over_tls(tmp_path, redis_over_tls):
    code = (
        "import django; django.setup()\n"
        "from django.conf import settings; from django.core.cache import cache\n"
        "from cheeseshop.accounts import ratelimits\n"
        "cache.set('greeting', 'over TLS'); print(cache.get('greeting'))\n"
        "print(settings.CHEESESHOP_RATELIMIT_STORAGE == settings.CACHE_URL)\n"
        "print([ratelimits.hit('login', 'alice') for _ in range(3)])\n"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CHEESESHOP_", "DJANGO_"))}
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={
            **clean,
            "CHEESESHOP_DATA_DIR": str(tmp_path / "data"),
            "CHEESESHOP_CACHE_URL": redis_over_tls,
            "CHEESESHOP_LOGIN_LIMIT": "2 per minute",
            "DJANGO_SETTINGS_MODULE": "cheeseshop.settings",
        },
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.stdout.splitlines() == ["over TLS", "True", "[True, True, False]"], result.stderr


def test_transaction_pooling_turns_server_side_cursors_off(monkeypatch):
    from tests.conftest import fresh_settings

    assert fresh_settings().DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] is False
    monkeypatch.setenv("CHEESESHOP_DATABASE_TRANSACTION_POOLING", "true")
    assert fresh_settings().DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] is True
