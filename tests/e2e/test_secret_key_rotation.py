"""Rotating the secret key, as an operator does it with the real `cheeseshop serve`: a new key
without the old one refuses to start and says the way out; with the old key among the fallbacks
everything works; `cheeseshop reseal` then lets the old key go."""

import json
import subprocess

import pytest
import requests

from tests.e2e.conftest import BIN, _database_env, start_index

pytestmark = pytest.mark.e2e

OLD_KEY = "the-old-secret-key-" + "o" * 40
NEW_KEY = "the-new-secret-key-" + "n" * 40


@pytest.fixture
def database_env():
    """One database for every start of the test (a fresh PostgreSQL one, or SQLite)."""
    cleanups: list = []
    yield _database_env(cleanups)
    for cleanup in reversed(cleanups):
        cleanup()


def _keys(secret_key: str, *fallbacks: str) -> dict:
    return {
        "CHEESESHOP_SECRET_KEY": secret_key,
        "CHEESESHOP_SECRET_KEY_FALLBACKS": ",".join(fallbacks),
    }


def _mints_with(index, token: str, description: str) -> int:
    """The status of asking the token API for a new token with ``token``."""
    return requests.post(
        f"{index.url}/api/tokens/",
        data=json.dumps({"description": description}),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        timeout=30,
    ).status_code


def _serve_until_it_exits(index_env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "cheeseshop"), "serve", "--port", "1"],
        env=index_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _cli(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "cheeseshop"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_rotation_refuses_without_the_old_key_works_with_it_and_reseal_lets_it_go(
    tmp_path, database_env
):
    data_dir = tmp_path / "data"
    index = start_index(data_dir, {**database_env, **_keys(OLD_KEY)})
    try:
        index.cli("user", "create", "alice", "--email", "alice@example.com", "--totp")
        token = index.cli("token", "create", "alice", "--description", "CI").strip()
        assert _mints_with(index, token, "before the rotation") == 201
    finally:
        index.stop()
    env = index.env

    refused = _serve_until_it_exits({**env, **_keys(NEW_KEY)})
    assert refused.returncode != 0
    output = refused.stdout + refused.stderr
    assert "accounts.E001" in output
    assert "tokens.E001" in output
    assert "CHEESESHOP_SECRET_KEY_FALLBACKS" in output
    assert "Traceback" not in output

    nothing = _cli({**env, **_keys(NEW_KEY)}, "reseal")
    assert nothing.returncode == 1
    assert "nothing was resealed" in nothing.stderr
    assert "Traceback" not in nothing.stderr

    index = start_index(data_dir, {**env, **_keys(NEW_KEY, OLD_KEY)})
    try:
        assert _mints_with(index, token, "with the old key as fallback") == 201
        resealed = _cli(index.env, "reseal")
        assert resealed.returncode == 0, resealed.stderr
        # alice's app and recovery codes; her token and the two it minted.
        assert "2 two-factor method(s), 3 API token root key(s)" in resealed.stdout
    finally:
        index.stop()

    index = start_index(data_dir, {**env, **_keys(NEW_KEY)})
    try:
        assert _mints_with(index, token, "after the old key went") == 201
    finally:
        index.stop()
