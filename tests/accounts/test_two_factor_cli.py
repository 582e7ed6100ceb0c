"""Enrolling an authenticator app without the web: `cheeseshop user create ... --totp` and the
service behind it."""

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
from django.test import Client

from cheeseshop.accounts import totp
from cheeseshop.accounts.services import AccountError, create_user, enrol_totp
from tests.accounts.conftest import STRONG_PASSWORD, is_logged_in
from tests.accounts.two_factor_helpers import (  # noqa: F401 (a fixture)
    Clock,
    cheeseshop_mfa_settings,
    log_in_with_password,
)

CHEESESHOP = str(Path(sys.executable).parent / "cheeseshop")


def test_cli_user_create_with_totp_prints_the_uri_then_the_secret(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHEESESHOP_", "DJANGO_"))}
    env["CHEESESHOP_DATA_DIR"] = str(tmp_path / "data")
    result = subprocess.run(
        [CHEESESHOP, "user", "create", "carol", "--email", "c@example.com", "--totp"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    uri, secret = result.stdout.split()
    parsed = urlsplit(uri)
    assert (parsed.scheme, parsed.netloc) == ("otpauth", "totp")
    assert parse_qs(parsed.query)["secret"] == [secret]
    assert parse_qs(parsed.query)["issuer"] == ["cheeseshop"]
    # The code is computed in the checking process itself: a process start can take seconds
    # under load, long enough to cross a 30-second TOTP step.
    check = subprocess.run(
        [CHEESESHOP, "manage", "shell", "--verbosity", "0", "-c",
         "import pyotp; from allauth.mfa.models import Authenticator; "
         "from cheeseshop.accounts import totp; "
         "a = Authenticator.objects.get(user__username='carol', type='totp'); "
         f"code = pyotp.TOTP('{secret}').now(); "
         "print(totp.code_step(a, code) is not None, "
         "Authenticator.objects.filter(user__username='carol').count())"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert check.stdout.split() == ["True", "2"], check.stderr


@pytest.mark.django_db
def test_an_app_enrolled_by_the_service_logs_in(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(totp, "now", clock)
    user = create_user("carol", "c@example.com", password=STRONG_PASSWORD)
    _uri, secret = enrol_totp(user)
    client = Client()
    assert log_in_with_password(client, "carol")["Location"] == "/account/2fa/authenticate/"
    client.post("/account/2fa/authenticate/", {"code": pyotp.TOTP(secret).at(clock.time)})
    assert is_logged_in(client)


@pytest.mark.django_db
def test_the_service_refuses_a_second_app():
    user = create_user("carol", "c@example.com")
    enrol_totp(user)
    with pytest.raises(AccountError, match="already has an authenticator app"):
        enrol_totp(user)
