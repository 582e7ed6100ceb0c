"""``POST /_/secrets/disclose-token``: GitHub secret scanning reports, signed by the keys the
operator configured; a genuine leaked token is revoked, its owner emailed, the leak recorded."""

import base64
import json

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from cheeseshop.accounts.services import create_user
from cheeseshop.audit.models import Event
from cheeseshop.audit.services import SESSION
from cheeseshop.tokens.caveats import Expiration
from cheeseshop.tokens.integrations import load_public_keys
from cheeseshop.tokens.models import APIToken
from cheeseshop.tokens.services import (
    InvalidToken,
    authenticate_token,
    create_token,
    issue_token,
    revoke_token,
)

pytestmark = pytest.mark.django_db

DISCLOSE = "/_/secrets/disclose-token"
KEY_ID = "90a421169f0a406205f1563a953312f0be898d3c7b6c06b681aa86a874555f4a"
LEAK_URL = "https://github.com/alice/ci/blob/main/.pypirc"


def pem(public_key) -> str:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


@pytest.fixture
def signing_key():
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def keys_file(tmp_path, settings, signing_key):
    """The operator's keys file, in GitHub's format, with a retired key beside the current."""
    retired = ec.generate_private_key(ec.SECP256R1())
    path = tmp_path / "github-keys.json"
    path.write_text(
        json.dumps(
            {
                "public_keys": [
                    {
                        "key_identifier": "retired",
                        "key": pem(retired.public_key()),
                        "is_current": False,
                    },
                    {
                        "key_identifier": KEY_ID,
                        "key": pem(signing_key.public_key()),
                        "is_current": True,
                    },
                ]
            }
        )
    )
    settings.CHEESESHOP_SECRET_SCANNING_KEYS = str(path)
    return path


@pytest.fixture
def user():
    return create_user("alice", "alice@example.org")


@pytest.fixture
def leaked(user):
    token, raw = issue_token(user, description="GitHub Actions", credential=SESSION)
    return token, raw


def report(*tokens: str, url: str = LEAK_URL) -> bytes:
    items = [
        {"token": raw, "type": "pypi_api_token", "url": url, "source": "content"} for raw in tokens
    ]
    return json.dumps(items).encode()


def sign(key, body: bytes) -> str:
    return base64.b64encode(key.sign(body, ec.ECDSA(hashes.SHA256()))).decode()


def disclose(
    client,
    body: bytes,
    *,
    key_id: str | None = KEY_ID,
    signature: str | None = None,
    headers: dict | None = None,
):
    headers = dict(headers or {})
    if key_id is not None:
        headers["Github-Public-Key-Identifier"] = key_id
    if signature is not None:
        headers["Github-Public-Key-Signature"] = signature
    return client.post(DISCLOSE, body, content_type="application/json", headers=headers)


def test_signed_report_revokes_the_token_emails_the_owner_and_records_the_leak(
    client, keys_file, signing_key, leaked, user
):
    token, raw = leaked
    body = report(raw)
    response = disclose(client, body, signature=sign(signing_key, body))
    assert response.status_code == 204

    token.refresh_from_db()
    assert token.revoked is not None
    event = Event.objects.get(tag="account:api_token:removed_leak")
    assert (event.user, event.actor) == (user, None)
    assert event.credential == {"method": "secret-scanning", "origin": "github", "url": LEAK_URL}
    assert event.additional == {"token_id": str(token.id), "description": "GitHub Actions"}

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@example.org"]
    assert message.subject == (
        "[cheeseshop] Your API token was found in public and has been revoked"
    )
    for fact in (
        "GitHub Actions",
        str(token.id),
        LEAK_URL,
        "revoked",
        "http://testserver/manage/account/tokens/",
    ):
        assert fact in message.body
    assert raw not in message.body


def test_a_leak_report_revokes_the_tokens_minted_with_the_leaked_one(
    client, keys_file, signing_key, leaked
):
    _token, raw = leaked
    minted = Client().post(
        "/api/tokens/",
        json.dumps({"description": "minted by whoever found it"}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {raw}"},
    )
    assert minted.status_code == 201
    body = report(raw)
    assert disclose(client, body, signature=sign(signing_key, body)).status_code == 204
    with pytest.raises(InvalidToken, match="revoked"):
        authenticate_token(minted.json()["token"])


def test_report_signed_by_another_key_of_the_file_is_accepted(client, keys_file, leaked):
    # Any listed key may sign: GitHub rotates keys, and reports in flight use the old one.
    retired = json.loads(keys_file.read_text())["public_keys"][0]
    assert retired["key_identifier"] == "retired"
    other = ec.generate_private_key(ec.SECP256R1())
    retired["key"] = pem(other.public_key())
    keys_file.write_text(json.dumps({"public_keys": [retired]}))
    body = report(leaked[1])
    assert disclose(client, body, key_id="retired", signature=sign(other, body)).status_code == 204


def test_wrong_signature_is_refused_and_nothing_revoked(client, keys_file, leaked):
    body = report(leaked[1])
    forger = ec.generate_private_key(ec.SECP256R1())
    response = disclose(client, body, signature=sign(forger, body))
    assert response.status_code == 400
    assert response.json() == {"error": "The signature does not match the body."}
    assert APIToken.objects.get().revoked is None
    assert not Event.objects.filter(tag="account:api_token:removed_leak").exists()
    assert mail.outbox == []


def test_signature_over_another_body_is_refused(client, keys_file, signing_key, leaked):
    signature = sign(signing_key, report("pypi-something-else"))
    assert disclose(client, report(leaked[1]), signature=signature).status_code == 400
    assert APIToken.objects.get().revoked is None


@pytest.mark.parametrize("signature", ["", "!!not base64!!", base64.b64encode(b"junk").decode()])
def test_malformed_or_missing_signature_is_refused(client, keys_file, leaked, signature):
    response = disclose(client, report(leaked[1]), signature=signature or None)
    assert response.status_code == 400
    assert APIToken.objects.get().revoked is None


def test_unknown_key_identifier_is_refused(client, keys_file, signing_key, leaked):
    body = report(leaked[1])
    response = disclose(client, body, key_id="nonesuch", signature=sign(signing_key, body))
    assert response.status_code == 400
    assert response.json() == {"error": "The public key 'nonesuch' is not one this index trusts."}
    assert APIToken.objects.get().revoked is None


def test_request_without_the_origin_headers_is_not_found(client, keys_file, signing_key, leaked):
    body = report(leaked[1])
    assert (
        disclose(client, body, key_id=None, signature=sign(signing_key, body)).status_code == 404
    )
    assert APIToken.objects.get().revoked is None


def test_without_configured_keys_the_endpoint_is_not_found(client, settings, signing_key, leaked):
    settings.CHEESESHOP_SECRET_SCANNING_KEYS = ""
    body = report(leaked[1])
    assert disclose(client, body, signature=sign(signing_key, body)).status_code == 404
    assert APIToken.objects.get().revoked is None


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "The report is not valid JSON."),
        (b'{"token": "pypi-x"}', "The report must be a JSON list."),
        (b'["pypi-x"]', "Each item of the report must be an object with a 'token' string."),
        (b'[{"token": 5}]', "Each item of the report must be an object with a 'token' string."),
        (
            b'[{"token": "pypi-x", "url": "https://example.org/\\u0000"}]',
            "The report contains a NUL character (U+0000), which this index does not accept.",
        ),
        (
            b'[{"token": "pypi-x\\ud800"}]',
            "The report contains a lone surrogate (U+D800), which this index does not accept.",
        ),
    ],
)
def test_malformed_report_is_refused(client, keys_file, signing_key, body, message):
    response = disclose(client, body, signature=sign(signing_key, body))
    assert response.status_code == 400
    assert response.json() == {"error": message}


def test_strings_that_are_not_our_tokens_are_ignored(client, keys_file, signing_key, leaked):
    token, raw = leaked
    forged = raw[:-8] + "AAAAAAAA"
    body = report("pypi-not-a-token", "ghp_something", forged, raw)
    assert disclose(client, body, signature=sign(signing_key, body)).status_code == 204
    token.refresh_from_db()
    assert token.revoked is not None  # the genuine one, after the others
    assert Event.objects.filter(tag="account:api_token:removed_leak").count() == 1


def test_report_of_only_unknown_strings_is_accepted(client, keys_file, signing_key):
    body = report("pypi-AgEIcHlwaS5vcmc")
    assert disclose(client, body, signature=sign(signing_key, body)).status_code == 204
    assert mail.outbox == []


def test_expired_token_of_a_frozen_user_is_revoked_too(client, keys_file, signing_key, user):
    token, raw = create_token(user, description="old", caveats=[Expiration(1, 0)])
    user.is_frozen = True
    user.save()
    body = report(raw)
    assert disclose(client, body, signature=sign(signing_key, body)).status_code == 204
    token.refresh_from_db()
    assert token.revoked is not None
    assert len(mail.outbox) == 1


def test_already_revoked_token_is_not_reported_again(client, keys_file, signing_key, leaked, user):
    token, raw = leaked
    revoke_token(token, actor=user, credential=SESSION)
    body = report(raw)
    assert disclose(client, body, signature=sign(signing_key, body)).status_code == 204
    assert not Event.objects.filter(tag="account:api_token:removed_leak").exists()
    assert mail.outbox == []


def test_unusable_keys_file_answers_503(client, settings, tmp_path, signing_key, leaked):
    broken = tmp_path / "keys.json"
    broken.write_text("{")
    settings.CHEESESHOP_SECRET_SCANNING_KEYS = str(broken)
    body = report(leaked[1])
    assert disclose(client, body, signature=sign(signing_key, body)).status_code == 503
    assert APIToken.objects.get().revoked is None


def test_only_post_is_answered(client, keys_file):
    response = client.get(DISCLOSE)
    assert response.status_code == 405
    assert response["Allow"] == "POST"


def test_legacy_address_answers_too(client, keys_file, signing_key, leaked):
    body = report(leaked[1])
    response = client.post(
        "/_/github/disclose-token",
        body,
        content_type="application/json",
        headers={
            "Github-Public-Key-Identifier": KEY_ID,
            "Github-Public-Key-Signature": sign(signing_key, body),
        },
    )
    assert response.status_code == 204


# -- the keys file


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("{", "cannot read secret scanning keys"),
        ("[]", "has no 'public_keys' list"),
        ('{"public_keys": [{"key": "x"}]}', "each public key needs key_identifier and key"),
        ('{"public_keys": [{"key_identifier": "k", "key": "x"}]}', "is not a PEM public key"),
    ],
)
def test_unusable_keys_file_is_named(tmp_path, content, problem):
    path = tmp_path / "keys.json"
    path.write_text(content)
    with pytest.raises(ImproperlyConfigured, match=problem):
        load_public_keys(path)


def test_keys_file_with_a_non_ec_key_is_refused(tmp_path):
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = tmp_path / "keys.json"
    path.write_text(
        json.dumps({"public_keys": [{"key_identifier": "k", "key": pem(rsa_key.public_key())}]})
    )
    with pytest.raises(ImproperlyConfigured, match="is not an elliptic-curve key"):
        load_public_keys(path)


def test_missing_keys_file_is_named(tmp_path):
    with pytest.raises(ImproperlyConfigured, match="cannot read secret scanning keys"):
        load_public_keys(tmp_path / "absent.json")


def in_language(language: str, msgid: str, **values) -> str:
    """``msgid`` in ``language``; fails while that catalogue does not translate it yet."""
    with translation.override(language):
        text = gettext(msgid)
    assert text != msgid, f"the {language} catalogue does not translate {msgid!r} yet"
    return text % values if values else text


@pytest.mark.parametrize("language", ["de", "fr"])
def test_the_leak_email_is_written_in_the_owners_language(
    client, keys_file, signing_key, leaked, user, language
):
    user.language = language
    user.save(update_fields=["language"])
    _token, raw = leaked
    body = report(raw)
    # A scanning service sends no language of its own; the reader's is what counts.
    disclose(client, body, signature=sign(signing_key, body))
    [message] = mail.outbox
    assert message.subject.endswith(
        in_language(language, "Your API token was found in public and has been revoked")
    )
    assert in_language(language, "Hello %(name)s,", name="alice") in message.body


def test_the_leak_email_to_someone_who_never_chose_is_in_the_sites_language(
    client, keys_file, signing_key, leaked
):
    _token, raw = leaked
    body = report(raw)
    disclose(client, body, signature=sign(signing_key, body), headers={"Accept-Language": "fr"})
    [message] = mail.outbox
    assert message.subject.endswith("Your API token was found in public and has been revoked")
