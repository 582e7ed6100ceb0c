"""The container image and the compose file, checked without a container engine: every file the
image copies exists and reaches the build, every command is a real `cheeseshop` command, every
setting is one cheeseshop reads, and the services wait for what they need. With a Docker engine
(`docker info` succeeds), the image is built too."""

import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from cheeseshop.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "compose.yaml"
NGINX = ROOT / "deploy" / "nginx.conf"
HEALTHCHECK = ROOT / "deploy" / "healthcheck.py"
ENV_EXAMPLE = ROOT / "deploy" / "env.example"
# What a container listens on: every interface, for the proxy and the engine's port mapping.
ALL_INTERFACES = "0.0.0.0"  # noqa: S104


# -- Dockerfile


def instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions, (KEYWORD, arguments), continuation lines joined."""
    joined = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    result = []
    for raw_line in joined.splitlines():
        line = raw_line.strip()
        if line and not line.startswith("#"):
            keyword, _, arguments = line.partition(" ")
            result.append((keyword.upper(), arguments.strip()))
    return result


def arguments_of(keyword: str) -> list[str]:
    return [arguments for found, arguments in instructions() if found == keyword]


def exec_form(arguments: str) -> list[str]:
    return yaml.safe_load(arguments)  # a JSON array is YAML too


def final_stage() -> list[tuple[str, str]]:
    stages = [i for i, (keyword, _) in enumerate(instructions()) if keyword == "FROM"]
    return instructions()[stages[-1] :]


def copied_sources() -> list[str]:
    sources = []
    for arguments in arguments_of("COPY"):
        words = arguments.split()
        if any(word.startswith("--from") for word in words):
            continue
        sources += [word for word in words[:-1] if not word.startswith("--")]
    return sources


def is_command(argv: list[str]) -> bool:
    """Whether ``argv`` is a command line the `cheeseshop` command accepts."""
    assert argv[0] == "cheeseshop", argv
    try:
        build_parser().parse_args(argv[1:])
    except SystemExit:
        return False
    return True


def test_every_file_the_image_copies_exists_and_is_in_the_build_context():
    ignored = DOCKERFILE.with_name(".dockerignore").read_text().splitlines()

    assert copied_sources()
    for source in copied_sources():
        assert (ROOT / source).exists(), source
        # .dockerignore excludes everything but what it names again.
        assert f"!{source.rstrip('/')}" in ignored or f"!{source.rstrip('/')}/" in ignored, source
    assert ignored[ignored.index("*") - 1].startswith("#"), "the context starts from nothing"


def test_the_image_installs_the_lock_file_with_its_hashes_then_the_project_alone():
    runs = " ".join(arguments_of("RUN"))

    assert "pip install --require-hashes -r /src/requirements/app.txt" in runs
    assert "pip install --no-deps --no-build-isolation /src" in runs
    lock = (ROOT / "requirements" / "app.txt").read_text()
    pinned = re.findall(r"^([A-Za-z0-9_.-]+)==", lock, flags=re.MULTILINE)
    # Everything the scaled setup configures is installed: PostgreSQL, Redis, S3, RQ, and the
    # build backend that --no-build-isolation uses.
    for package in ("psycopg", "redis", "django-storages", "boto3", "rq", "django-tasks-rq"):
        assert package in pinned, package
    assert "setuptools" in pinned


def test_the_image_runs_serve_as_a_user_that_is_not_root_with_its_data_on_a_volume():
    final = dict(final_stage())
    environment = dict(
        re.findall(r"(\w+)=(\S+)", " ".join(arguments_of("ENV")).replace("\\", " "))
    )

    assert final["USER"].split(":")[0] not in {"root", "0"}
    assert exec_form(final["CMD"]) == ["cheeseshop", "serve", "--host", ALL_INTERFACES]
    assert is_command(exec_form(final["CMD"]))
    assert final["EXPOSE"] == "8000"
    assert exec_form(final["VOLUME"]) == [environment["CHEESESHOP_DATA_DIR"]]
    assert "/opt/cheeseshop/bin" in environment["PATH"]


def test_the_image_health_check_is_the_script_it_installs():
    healthcheck = exec_form(dict(final_stage())["HEALTHCHECK"].split("CMD", 1)[1])

    assert healthcheck == ["python", "/opt/cheeseshop/bin/cheeseshop-healthcheck"]
    assert "deploy/healthcheck.py /opt/cheeseshop/bin/cheeseshop-healthcheck" in arguments_of(
        "COPY"
    )


def test_the_health_check_fails_saying_why_when_nothing_answers():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening: connection refused
        result = subprocess.run(
            [sys.executable, str(HEALTHCHECK)],
            env={**os.environ, "HEALTHCHECK_PORT": str(port)},
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )

    assert result.returncode == 1
    assert f"cheeseshop is not answering on port {port}" in result.stderr


def run_health_check(port: int, base_url: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(HEALTHCHECK)],
        env={**os.environ, "HEALTHCHECK_PORT": str(port), "CHEESESHOP_BASE_URL": base_url},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@pytest.mark.e2e
def test_the_health_check_passes_against_a_real_serve_addressed_as_its_users_address_it(
    tmp_path,
):
    from tests.e2e.conftest import running_index

    base_url = "http://index.example:8080"
    hosts = {
        "CHEESESHOP_BASE_URL": base_url,
        "CHEESESHOP_ALLOWED_HOSTS": "index.example,127.0.0.1",
    }
    with running_index(tmp_path / "data", hosts) as index:
        port = int(index.url.rsplit(":", 1)[1])
        passed = run_health_check(port, base_url)
        refused = run_health_check(port, "http://elsewhere.example")

    assert passed.returncode == 0, passed.stderr
    # Another host is refused by ALLOWED_HOSTS: the check reports what answered.
    assert refused.returncode == 1
    assert refused.stderr == "/_/health answered 400\n"


def docker_engine_unavailable() -> str:
    """Why the image cannot be built here, or "" when it can."""
    if shutil.which("docker") is None:
        return "no docker command on this machine"
    info = subprocess.run(["docker", "info"], capture_output=True, text=True, check=False)
    if info.returncode != 0:
        return f"no Docker engine answers `docker info`: {info.stderr.strip()[:200]}"
    return ""


@pytest.mark.e2e
@pytest.mark.skipif(bool(docker_engine_unavailable()), reason=docker_engine_unavailable())
def test_the_image_builds_and_knows_its_commands():
    tag = f"cheeseshop-test:{os.getpid()}"
    subprocess.run(["docker", "build", "-t", tag, str(ROOT)], check=True, timeout=1800)
    try:
        result = subprocess.run(
            ["docker", "run", "--rm", tag, "cheeseshop", "--help"],
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        assert "serve" in result.stdout
    finally:
        subprocess.run(["docker", "rmi", "-f", tag], check=False, capture_output=True)


# -- compose.yaml


def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())  # merge keys (<<: *cheeseshop) resolved


def cheeseshop_services() -> dict[str, dict]:
    return {
        name: service
        for name, service in compose()["services"].items()
        if service.get("image", "").startswith("cheeseshop")
    }


def known_settings() -> set[str]:
    """Every CHEESESHOP_* variable settings.py reads or docs/configuration.md documents."""
    settings_py = (ROOT / "src" / "cheeseshop" / "settings.py").read_text()
    read = {f"CHEESESHOP_{name}" for name in re.findall(r'_env\w*\(\s*"(\w+)"', settings_py)}
    named = set(re.findall(r"CHEESESHOP_[A-Z0-9_]+", settings_py))
    documented = set(
        re.findall(r"CHEESESHOP_[A-Z0-9_]+", (ROOT / "docs" / "configuration.md").read_text())
    )
    return read | named | documented


def test_every_setting_the_compose_file_sets_is_one_cheeseshop_reads():
    services = cheeseshop_services()

    assert set(services) == {"migrate", "web", "worker"}
    for name, service in services.items():
        unknown = {key for key in service["environment"] if key not in known_settings()}
        assert not unknown, f"{name} sets settings cheeseshop does not have: {sorted(unknown)}"


def test_every_cheeseshop_service_shares_one_configuration():
    environments = [service["environment"] for service in cheeseshop_services().values()]

    assert all(environment == environments[0] for environment in environments)
    environment = environments[0]
    assert environment["CHEESESHOP_TASKS_BACKEND"] == "rq"
    assert environment["CHEESESHOP_RQ_URL"].startswith("redis://redis:")
    assert environment["CHEESESHOP_CACHE_URL"].startswith("redis://redis:")
    assert environment["CHEESESHOP_RATELIMIT_STORAGE"].startswith("redis://redis:")
    assert environment["CHEESESHOP_FILES_STORAGE"] == "s3"
    assert environment["CHEESESHOP_DATABASE_URL"].startswith("postgresql://")
    assert "@postgres:5432/" in environment["CHEESESHOP_DATABASE_URL"]


def test_every_service_command_is_a_real_cheeseshop_command():
    services = cheeseshop_services()

    for name, service in services.items():
        assert is_command(service["command"]), f"{name}: {shlex.join(service['command'])}"
    assert services["migrate"]["command"] == ["cheeseshop", "migrate"]
    assert services["worker"]["command"] == ["cheeseshop", "worker"]
    web = services["web"]["command"]
    assert web[:2] == ["cheeseshop", "serve"]
    assert {"--no-worker", "--no-migrate"} <= set(web)
    assert web[web.index("--host") + 1] == ALL_INTERFACES


def test_two_web_nodes_and_two_workers_run_behind_one_proxy():
    services = compose()["services"]

    assert services["web"]["deploy"]["replicas"] >= 2
    assert services["worker"]["deploy"]["replicas"] >= 2
    assert services["proxy"]["image"].startswith("nginx")
    assert "web" in services["proxy"]["depends_on"]
    # Only the proxy and the object store (presigned URLs) are published to the host.
    published = {name for name, service in services.items() if service.get("ports")}
    assert published == {"proxy", "minio"}


def test_services_wait_only_for_what_can_say_it_is_ready():
    services = compose()["services"]

    for name, service in services.items():
        for dependency, condition in service.get("depends_on", {}).items():
            assert dependency in services, f"{name} depends on a service that does not exist"
            target = services[dependency]
            if condition["condition"] == "service_healthy":
                assert not target.get("healthcheck", {}).get("disable"), (name, dependency)
                assert target["healthcheck"]["test"], (name, dependency)
            elif condition["condition"] == "service_completed_successfully":
                assert target.get("restart") == "no", f"{dependency} is a one-shot service"
    # Nodes and workers start after migrations ran once; the migration after the database.
    for name in ("web", "worker"):
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    # A worker serves no HTTP: the image's health check must not mark it unhealthy.
    assert services["worker"]["healthcheck"]["disable"] is True
    assert services["web"]["healthcheck"]["test"] == [
        "CMD",
        *exec_form(dict(final_stage())["HEALTHCHECK"].split("CMD", 1)[1]),
    ]


def test_secrets_come_from_the_environment_file_never_from_the_repository():
    environment = cheeseshop_services()["web"]["environment"]
    secrets = ["CHEESESHOP_SECRET_KEY", "CHEESESHOP_S3_SECRET_ACCESS_KEY"]
    example = dict(
        line.split("=", 1)
        for line in ENV_EXAMPLE.read_text().splitlines()
        if line and not line.startswith("#")
    )

    for name in secrets:
        assert re.fullmatch(r"\$\{\w+:\?[^}]+\}", environment[name]), name
        assert example[environment[name][2:].split(":")[0]] == "", name
    assert re.search(r":\$\{POSTGRES_PASSWORD:\?[^}]+\}@", environment["CHEESESHOP_DATABASE_URL"])
    assert example["POSTGRES_PASSWORD"] == ""
    assert "/.env" in (ROOT / ".gitignore").read_text().splitlines()


def test_the_online_tuf_key_is_on_a_volume_every_node_and_worker_mounts():
    for name, service in cheeseshop_services().items():
        uri = service["environment"]["CHEESESHOP_TUF_ONLINE_KEY_URI"]
        assert uri.startswith("file2:")
        key_dir = str(Path(uri.removeprefix("file2:")).parent)
        volumes = dict(volume.split(":", 1) for volume in service["volumes"])
        assert volumes.get("tuf-online-key") == key_dir, name
    assert "tuf-online-key" in compose()["volumes"]
    assert "/var/lib/cheeseshop-tuf" in " ".join(arguments_of("RUN")), "owned by cheeseshop"


# -- nginx, in compose and in docs/deployment.md


def nginx_samples() -> list[tuple[str, str]]:
    deployment = (ROOT / "docs" / "deployment.md").read_text()
    blocks = re.findall(r"```nginx\n(.*?)```", deployment, flags=re.DOTALL)
    return [("deploy/nginx.conf", NGINX.read_text())] + [
        (f"docs/deployment.md nginx block {n}", block) for n, block in enumerate(blocks, 1)
    ]


def size_in_bytes(value: str) -> int:
    units = {"k": 1024, "m": 1024**2, "g": 1024**3}
    return int(value[:-1]) * units[value[-1].lower()] if value[-1].isalpha() else int(value)


def test_every_nginx_sample_passes_the_client_address_and_buffers_uploads():
    from django.conf import settings

    samples = nginx_samples()
    assert len(samples) >= 2, "docs/deployment.md has an nginx sample"
    for name, conf in samples:
        body_size = re.search(r"client_max_body_size\s+(\w+);", conf)
        assert body_size, name
        assert size_in_bytes(body_size.group(1)) > settings.CHEESESHOP_MAX_FILE_SIZE, name
        assert re.search(r"proxy_request_buffering\s+on;", conf), name
        assert re.search(
            r"proxy_set_header\s+X-Forwarded-For\s+\$proxy_add_x_forwarded_for;", conf
        ), name
        assert re.search(r"proxy_set_header\s+X-Forwarded-Proto\s+\$scheme;", conf), name
        assert re.search(r"proxy_read_timeout\s+\d+s;", conf), name


def test_the_compose_proxy_reaches_the_web_nodes_where_they_listen():
    services = compose()["services"]
    upstream = re.search(r"server\s+(\w+):(\d+)", NGINX.read_text())
    web = services["web"]["command"]
    port = web[web.index("--port") + 1] if "--port" in web else "8000"

    assert upstream.groups() == ("web", port)
    assert "./deploy/nginx.conf:/etc/nginx/conf.d/default.conf:ro" in services["proxy"]["volumes"]
    listen = re.search(r"listen\s+(\d+);", NGINX.read_text()).group(1)
    assert f"{listen}:{listen}" in services["proxy"]["ports"]
    # One proxy in front of the nodes: one hop of X-Forwarded-For is trusted.
    assert cheeseshop_services()["web"]["environment"]["CHEESESHOP_TRUSTED_PROXIES"] == "1"


# -- docs/deployment.md's systemd units


def test_every_command_the_systemd_samples_run_is_a_real_cheeseshop_command():
    deployment = (ROOT / "docs" / "deployment.md").read_text()
    commands = re.findall(r"^ExecStart=/opt/cheeseshop/bin/(cheeseshop .*)$", deployment, re.M)

    assert len(commands) == 3, commands
    for command in commands:
        assert is_command(shlex.split(command)), command
    units = re.findall(
        r"```ini\n(# /etc/systemd/system/cheeseshop-web.service.*?)```", deployment, re.S
    )
    for option in (
        "User=cheeseshop",
        "ProtectSystem=strict",
        "NoNewPrivileges=yes",
        "PrivateTmp=yes",
        "ReadWritePaths=/var/lib/cheeseshop",
    ):
        assert option in units[0].splitlines(), option
