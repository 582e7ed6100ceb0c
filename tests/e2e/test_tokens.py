"""API tokens as publishers use them: minted by the CLI, narrowed offline with pypitoken, and
presented by twine and uv to a real `cheeseshop serve`."""

import time

import pypitoken
import pytest

from tests.e2e.projects import build, make_project
from tests.e2e.test_publish_and_install import _uv_publish

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def dists(tmp_path_factory):
    """Wheels of three projects, several versions each, so every upload has a new filename."""
    root = tmp_path_factory.mktemp("token-dists")
    return {
        (name, version): build(make_project(root, name, version), root / "dist")[1]
        for name in ("tok-alpha", "tok-beta", "tok-gamma")
        for version in ("1.0", "1.1", "1.2", "1.3")
    }


def _refused(result, message: str) -> None:
    # twine's console wraps long lines: compare with whitespace normalised.
    output = " ".join((result.stdout + result.stderr).split())
    assert result.returncode != 0, output
    assert "403" in output
    assert message in output


def test_account_single_and_multi_project_tokens_with_twine_and_uv(live_index, dists):
    account = live_index.create_user_with_token("owner")
    for name in ("tok-alpha", "tok-beta", "tok-gamma"):
        live_index.twine_upload(account, dists[(name, "1.0")])

    single = live_index.cli("token", "create", "owner", "--project", "tok-alpha").strip()
    _uv_publish(live_index, single, dists[("tok-alpha", "1.1")])
    _refused(
        live_index.twine_upload(single, dists[("tok-beta", "1.1")], check=False),
        "project-scoped token is not valid for project: 'tok-beta'",
    )

    multi = live_index.cli(
        "token", "create", "owner", "--project", "tok-alpha", "--project", "tok-beta"
    ).strip()
    live_index.twine_upload(multi, dists[("tok-alpha", "1.2")])
    _uv_publish(live_index, multi, dists[("tok-beta", "1.2")])
    _refused(
        _uv_publish(live_index, multi, dists[("tok-gamma", "1.2")], check=False),
        "project-scoped token is not valid for project: 'tok-gamma'",
    )


def test_a_token_narrowed_offline_with_pypitoken_is_honoured(live_index, dists):
    account = live_index.create_user_with_token("narrower")
    for name in ("tok-alpha", "tok-beta"):
        live_index.twine_upload(account, dists[(name, "1.0")])

    narrowed = pypitoken.Token.load(account)
    narrowed.restrict(project_names=["tok-alpha"])
    only_alpha = narrowed.dump()
    live_index.twine_upload(only_alpha, dists[("tok-alpha", "1.1")])
    _refused(
        live_index.twine_upload(only_alpha, dists[("tok-beta", "1.1")], check=False),
        "project-scoped token is not valid for project: 'tok-beta'",
    )

    expired = pypitoken.Token.load(account)
    now = int(time.time())
    expired.restrict(not_before=now - 7200, not_after=now - 3600)
    _refused(
        live_index.twine_upload(expired.dump(), dists[("tok-alpha", "1.2")], check=False),
        "token is expired",
    )


def test_a_revoked_token_stops_working_at_once(live_index, dists):
    token = live_index.create_user_with_token("revoker")
    live_index.twine_upload(token, dists[("tok-alpha", "1.0")])
    listing = live_index.cli("token", "list", "revoker")
    token_id = next(word for word in listing.split() if word.count("-") == 4)
    live_index.cli("token", "revoke", token_id)
    _refused(
        live_index.twine_upload(token, dists[("tok-alpha", "1.1")], check=False),
        "revoked",
    )
