"""The fast canonical JSON signs exactly the bytes securesystemslib and ngclient compute."""

import enum
import json
import random
from datetime import UTC, datetime, timedelta

import pytest
from securesystemslib.exceptions import FormatError
from securesystemslib.formats import encode_canonical
from securesystemslib.signer import CryptoSigner
from tuf.api.metadata import (
    Metadata,
    MetaFile,
    Snapshot,
    TargetFile,
    Targets,
    Timestamp,
)
from tuf.api.serialization import SerializationError
from tuf.api.serialization.json import CanonicalJSONSerializer, JSONSerializer

from cheeseshop.tuf import repository, serialization

EXPIRES = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)

# Paths as the index produces them, and the characters canonical JSON treats specially.
AWKWARD_PATHS = [
    "packages/ab/cd/ef0123/sample_project-1.0-py3-none-any.whl",
    "simple/café/vnd.pypi.simple.v1.json",
    "simple/日本語-パッケージ/vnd.pypi.simple.v1.html",
    "simple/emoji-🧀/vnd.pypi.simple.v1.json",
    'packages/with"quote"/x-1.0.tar.gz',
    "packages/back\\slash/x\\\\y-1.0.tar.gz",
    'packages/mixed\\"both"\\/x.whl',
    "packages/trailing-backslash\\",
    "packages/\u2028line-separator\u2029/x.whl",
    "packages/\x7f-delete/x.whl",
]
# Control characters: json.dumps escapes them, canonical JSON does not.
CONTROL_PATHS = [
    "packages/new\nline/x.whl",
    "packages/tab\there/x.whl",
    "packages/nul\x00/x.whl",
    "packages/escape\x1b[0m/x.whl",
    "packages/back\\\\\nslash-then-newline/x.whl",
]


def reference(value) -> bytes:
    return encode_canonical(value).encode("utf-8")


@pytest.fixture(scope="module")
def signer():
    return CryptoSigner.generate_ed25519()


def targets_dict(paths) -> dict:
    files = {
        path: TargetFile(length=n, hashes={"blake2b-256": "a" * 64, "sha256": "b" * 64}, path=path)
        for n, path in enumerate(paths)
    }
    return Targets(version=7, expires=EXPIRES, targets=files).to_dict()


@pytest.mark.parametrize("paths", [AWKWARD_PATHS, CONTROL_PATHS, AWKWARD_PATHS + CONTROL_PATHS])
def test_targets_with_awkward_paths_match_the_reference(paths):
    value = targets_dict(paths)
    assert serialization.canonical_bytes(value) == reference(value)


@pytest.mark.parametrize("path", AWKWARD_PATHS + CONTROL_PATHS)
def test_each_awkward_string_as_key_and_value_matches_the_reference(path):
    value = {path: path, "list": [path, 1, True, False, None], "nested": {path: {path: path}}}
    assert serialization.canonical_bytes(value) == reference(value)


def test_a_16384_bin_snapshot_matches_the_reference():
    meta = {f"bin-{i:04x}.json": MetaFile(version=i % 5 + 1) for i in range(2**14)}
    meta["targets.json"] = MetaFile(version=1)
    meta["bins.json"] = MetaFile(version=2)
    value = Snapshot(version=12345, expires=EXPIRES, meta=meta).to_dict()
    assert serialization.canonical_bytes(value) == reference(value)


def test_control_characters_fall_back_to_the_reference_encoder(monkeypatch):
    calls = []
    original = serialization.encode_canonical

    def spy(value):
        calls.append(value)
        return original(value)

    monkeypatch.setattr(serialization, "encode_canonical", spy)
    serialization.canonical_bytes({"a": "plain", "b": 'quote" and back\\slash'})
    assert calls == []
    value = {"a": "new\nline"}
    assert serialization.canonical_bytes(value) == b'{"a":"new\nline"}'
    assert calls == [value]


@pytest.mark.parametrize(
    "value",
    [
        {"version": 1.0},  # canonical JSON has no floats: the reference refuses it
        {"version": float("nan")},
        {1: "int key"},
    ],
)
def test_values_canonical_json_cannot_hold_are_refused_like_the_reference(value):
    with pytest.raises((TypeError, ValueError, AttributeError, FormatError)) as reference_error:
        reference(value)
    with pytest.raises(type(reference_error.value)):
        serialization.canonical_bytes(value)


def test_subclasses_take_the_reference_path():
    class Level(enum.IntEnum):
        ONE = 1

    class Text(str):
        pass

    for value in ({"level": Level.ONE}, {"text": Text("x")}, {"tuple": (1, "a")}):
        assert serialization.canonical_bytes(value) == reference(value)


def test_lone_surrogates_fail_like_the_reference():
    value = {"path": "bad\udc80"}
    with pytest.raises(UnicodeEncodeError):
        reference(value)
    with pytest.raises(UnicodeEncodeError):
        serialization.canonical_bytes(value)


def test_random_strings_match_the_reference():
    alphabet = 'ab\\"/\n\t\x00\x1f\x7fé€🧀\u2028 '
    rng = random.Random(458)
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 12)))
        value = {text: [text, {"k": text}], "n": rng.randrange(-(2**70), 2**70)}
        assert serialization.canonical_bytes(value) == reference(value), repr(text)


def test_has_control_escape_is_exact():
    for text in AWKWARD_PATHS + CONTROL_PATHS + ["\\", "\\\\", '\\"', "\\\n", '"\n"']:
        dumped = json.dumps(text, ensure_ascii=False)
        has_control = any(ord(c) < 0x20 for c in text)
        assert serialization._has_control_escape(dumped) is has_control, text


def test_signed_serializer_is_python_tufs(signer):
    md = Metadata(Targets(version=3, expires=EXPIRES))
    md.signed.targets = {
        p: TargetFile(length=1, hashes={"sha256": "c" * 64}, path=p) for p in AWKWARD_PATHS
    }
    fast = serialization.SIGNED_SERIALIZER.serialize(md.signed)
    assert fast == CanonicalJSONSerializer().serialize(md.signed) == md.signed_bytes
    md.sign(signer, signed_serializer=serialization.SIGNED_SERIALIZER)
    signer.public_key.verify_signature(md.signatures[signer.public_key.keyid], md.signed_bytes)


def test_signed_serializer_wraps_errors():
    md = Metadata(Targets(version=3, expires=EXPIRES))
    md.signed.unrecognized_fields["bad"] = 1.5
    with pytest.raises(SerializationError):
        serialization.SIGNED_SERIALIZER.serialize(md.signed)


def test_file_bytes_parse_back_to_the_same_metadata(signer):
    md = Metadata(Targets(version=3, expires=EXPIRES))
    md.signed.targets = {
        p: TargetFile(length=1, hashes={"sha256": "c" * 64}, path=p)
        for p in AWKWARD_PATHS + CONTROL_PATHS
    }
    data = serialization.sign_to_bytes(md, signer)
    parsed = Metadata.from_bytes(data)
    assert parsed == md
    assert parsed.to_dict() == json.loads(md.to_bytes(JSONSerializer(compact=True)))
    assert data == md.to_bytes(serialization.FILE_SERIALIZER)
    # Canonical JSON leaves control characters raw, which is not JSON: escaped in the file.
    assert b"\n" not in data
    signer.public_key.verify_signature(parsed.signatures[signer.public_key.keyid], md.signed_bytes)


def test_file_bytes_embed_the_signed_bytes_verbatim(signer):
    md = Metadata(Targets(version=3, expires=EXPIRES))
    md.signed.targets = {
        p: TargetFile(length=1, hashes={"sha256": "c" * 64}, path=p) for p in AWKWARD_PATHS
    }
    data = serialization.sign_to_bytes(md, signer)
    assert data.endswith(b',"signed":' + md.signed_bytes + b"}")
    assert Metadata.from_bytes(data) == md


def test_file_serializer_keeps_every_signature_in_order():
    signers = [CryptoSigner.generate_ed25519() for _ in range(3)]
    md = Metadata(Targets(version=1, expires=EXPIRES))
    for s in signers:
        md.sign(s, append=True)
    data = md.to_bytes(serialization.FILE_SERIALIZER)
    assert [s["keyid"] for s in json.loads(data)["signatures"]] == list(md.signatures)
    assert json.loads(data) == json.loads(md.to_bytes(JSONSerializer(compact=True)))


def test_file_serializer_falls_back_for_unknown_envelope_fields():
    md = Metadata(Targets(version=1, expires=EXPIRES), unrecognized_fields={"extra": "x"})
    data = md.to_bytes(serialization.FILE_SERIALIZER)
    assert data == md.to_bytes(JSONSerializer(compact=True))


def test_snapshot_dict_built_directly_is_what_snapshot_to_dict_gives(signer):
    """repository._publish_snapshot skips python-tuf's classes: same signed bytes."""
    versions = [("targets", 1), ("bins", 2)] + [(f"bin-{i:x}", i + 1) for i in range(16)]
    expires = EXPIRES + timedelta(days=1)
    direct = {
        "_type": Snapshot.type,
        "spec_version": repository.SPEC_VERSION,
        "version": 9,
        "expires": expires.strftime(repository.EXPIRES_FORMAT),
        "meta": {repository._meta_name(name): {"version": v} for name, v in versions},
    }
    meta = {f"{name}.json": MetaFile(version=v) for name, v in versions}
    by_classes = Metadata(Snapshot(version=9, expires=expires, meta=meta))
    assert serialization.canonical_bytes(direct) == by_classes.signed_bytes
    data = serialization.sign_dict_to_bytes(direct, signer)
    assert Metadata.from_bytes(data).signed == by_classes.signed


def test_meta_name_quotes_only_unusual_role_names():
    assert repository._meta_name("bin-3fff") == "bin-3fff.json"
    assert repository._meta_name("targets") == "targets.json"
    assert repository._meta_name("a/b é") == "a%2Fb%20%C3%A9.json"


def test_timestamp_signed_by_sign_to_bytes_verifies(signer):
    md = Metadata(
        Timestamp(version=2, expires=EXPIRES, snapshot_meta=MetaFile(1, 10, {"sha256": "d" * 64}))
    )
    data = serialization.sign_to_bytes(md, signer)
    parsed = Metadata.from_bytes(data)
    signer.public_key.verify_signature(
        parsed.signatures[signer.public_key.keyid], parsed.signed_bytes
    )
