"""CHEESESHOP_UPLOAD_REQUIRES_2FA: the token's owner needs a second factor to upload, and the
refusal says exactly where to set one up."""

import pytest

from cheeseshop.accounts.services import enrol_totp
from cheeseshop.packaging.models import File
from tests.packaging.dists import make_wheel

pytestmark = pytest.mark.django_db

REFUSAL = (
    "User 'alice', associated with the API token used, does not have two-factor "
    "authentication enabled. Enable two-factor authentication at "
    "http://testserver/account/2fa/ and try again."
)


@pytest.fixture
def policy_on(settings):
    settings.CHEESESHOP_UPLOAD_REQUIRES_2FA = True


def test_upload_without_two_factor_is_refused_with_what_to_do(post_upload, tmp_path, policy_on):
    response = post_upload(make_wheel(tmp_path), "example", "1.0")
    assert response.status_code == 403
    assert REFUSAL in response.reason_phrase
    assert REFUSAL in response.content.decode()
    assert not File.objects.exists()


def test_upload_with_two_factor_is_accepted(post_upload, tmp_path, policy_on, user):
    enrol_totp(user)
    response = post_upload(make_wheel(tmp_path), "example", "1.0")
    assert response.status_code == 200, response.content
    assert File.objects.count() == 1


def test_recovery_codes_alone_do_not_count(post_upload, tmp_path, policy_on, user):
    from allauth.mfa.models import Authenticator

    enrol_totp(user)
    Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).delete()
    assert post_upload(make_wheel(tmp_path), "example", "1.0").status_code == 403


def test_upload_without_two_factor_is_accepted_when_the_policy_is_off(
    post_upload, tmp_path, settings
):
    settings.CHEESESHOP_UPLOAD_REQUIRES_2FA = False
    assert post_upload(make_wheel(tmp_path), "example", "1.0").status_code == 200
