"""Offline-key ceremonies with several key holders: keys given as public keys to ``init``,
signatures added later with ``sign``, online-key rotation waiting for root and bins holders,
``abandon``, and the audit events every ceremony records."""

import json

import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.test import Client
from securesystemslib.signer import CryptoSigner
from tuf.api.metadata import Metadata

from cheeseshop.audit.models import Event
from cheeseshop.tuf import (
    ceremony,
    initialisation,
    keys,
    offline,
    repository,
    rotation,
    signing,
    store,
    upkeep,
)
from cheeseshop.tuf.keys import KeysError
from cheeseshop.tuf.models import TufRepository, TufRole
from cheeseshop.tuf.repository import TufError
from tests.tuf.conftest import SMALL_BIT_LENGTH, make_updater
from tests.tuf.test_repository import _client_root_version, _upload


def _holder(directory, role: str, *, pem_public_key: bool = True):
    """A key holder's own directory: a private key (any file name) and its exported public
    key; returns (directory, public key file)."""
    directory.mkdir(parents=True)
    signer = CryptoSigner.generate_ed25519()
    (directory / "my-yubikey-backup.pem").write_bytes(signer.private_bytes)
    if pem_public_key:
        public = signer._private_key.public_key().public_bytes(
            Encoding.PEM, PublicFormat.SubjectPublicKeyInfo
        )
        path = directory / f"{role}.pub.pem"
        path.write_bytes(public)
    else:
        path = directory / f"{role}.pub.json"
        path.write_text(json.dumps(signer.public_key.to_dict()))  # no keyid: TUF computes it
    return directory, path, signer.public_key.keyid


def _tags() -> list[str]:
    """The ceremonies' events, in order (the uploads of a test record their own)."""
    ceremonies = Event.objects.filter(tag__startswith="tuf:")
    return list(ceremonies.order_by("sequence").values_list("tag", flat=True))


def test_init_with_pep_458_defaults_records_the_ceremony(db, keys_dir):
    report = initialisation.init(keys_dir, bit_length=SMALL_BIT_LENGTH)
    assert report.pending == {}
    root = Metadata.from_file(str(report.trust_anchor)).signed
    assert (root.roles["root"].threshold, len(root.roles["root"].keyids)) == (2, 3)
    assert (root.roles["targets"].threshold, len(root.roles["targets"].keyids)) == (2, 2)
    assert len(report.generated) == 7
    (event,) = Event.objects.filter(tag="tuf:init")
    assert event.additional["published"] is True
    assert event.additional["targets_threshold"] == 2
    assert event.additional["bins_threshold"] == 2
    assert event.credential["method"] == "cli"


def test_init_waits_for_a_holder_of_a_given_root_key_then_publishes(db, keys_dir, tmp_path):
    holder, public, keyid = _holder(tmp_path / "alice", "root")
    report = initialisation.init(
        keys_dir,
        bit_length=SMALL_BIT_LENGTH,
        key_specs={
            "root": initialisation.OfflineKeySpec(generate=1, threshold=2, public_keys=(public,))
        },
    )
    assert report.trust_anchor is None
    assert report.pending == {"root": "1 of 2 signatures"}
    # Nothing is published and nothing is signed until the ceremony is complete.
    assert not TufRepository.objects.exists()
    assert Client().get("/tuf/timestamp.json").status_code == 404
    assert not (keys_dir / "1.root.json").exists()
    status = upkeep.status()
    assert any("root version 1 waits for signatures: 1 of 2" in line for line in status.lines)
    assert any("initialisation waits for signatures" in w for w in status.warnings)
    with pytest.raises(TufError, match="waiting for signatures"):
        initialisation.init(tmp_path / "again", bit_length=SMALL_BIT_LENGTH)

    signed = signing.sign(holder, "root")
    assert (signed.added, signed.published, signed.pending) == (1, True, {})
    assert signed.trust_anchor == holder / "1.root.json"
    root = Metadata.from_file(str(signed.trust_anchor))
    assert keyid in root.signed.roles["root"].keyids
    assert keyid in root.signatures
    assert repository.pending_roles() == []
    _project, file = _upload()
    repository.publish()
    updater = make_updater(tmp_path / "client", signed.trust_anchor.read_bytes())
    updater.refresh()
    updater.download_target(updater.get_targetinfo(f"packages/{file.path}"))
    # The pending set-up, then the signature that completed it (publishing version 1).
    assert _tags() == ["tuf:init", "tuf:init", "tuf:sign"]


def test_targets_and_bins_held_elsewhere_wait_for_their_holders(db, keys_dir, tmp_path):
    targets_holder, targets_public, _ = _holder(tmp_path / "t", "targets", pem_public_key=False)
    bins_holder, bins_public, _ = _holder(tmp_path / "b", "bins")
    report = initialisation.init(
        keys_dir,
        bit_length=SMALL_BIT_LENGTH,
        key_specs={
            "targets": initialisation.OfflineKeySpec(generate=1, public_keys=(targets_public,)),
            "bins": initialisation.OfflineKeySpec(generate=1, public_keys=(bins_public,)),
        },
    )
    assert report.pending == {"targets": "1 of 2 signatures", "bins": "1 of 2 signatures"}
    first = signing.sign(bins_holder, "bins")
    assert (first.published, first.pending) == (False, {"targets": "1 of 2 signatures"})
    assert not TufRepository.objects.exists()
    last = signing.sign(targets_holder, "targets")
    assert last.published is True
    assert TufRole.objects.get(name="bins").version == 1
    make_updater(tmp_path / "client", last.trust_anchor.read_bytes()).refresh()


def test_a_key_that_is_not_authorised_adds_no_signature(db, keys_dir, tmp_path):
    _pending_with_alice(keys_dir, tmp_path)
    mallory, _other, _ = _holder(tmp_path / "mallory", "root")
    with pytest.raises(TufError, match=r"No key in .* adds a signature to the pending root"):
        signing.sign(mallory, "root")
    # Signing twice with a key that already signed adds nothing either.
    with pytest.raises(TufError, match="1 of 2 signatures"):
        signing.sign(keys_dir, "root")
    assert not TufRepository.objects.exists()
    assert ceremony.pending_progress() == {"root": "1 of 2 signatures"}


def test_init_refuses_one_key_for_two_roles(db, keys_dir, tmp_path):
    _holder_dir, public, _ = _holder(tmp_path / "alice", "root")
    with pytest.raises(TufError, match="given for both root and targets"):
        initialisation.init(
            keys_dir,
            bit_length=SMALL_BIT_LENGTH,
            key_specs={
                "root": initialisation.OfflineKeySpec(public_keys=(public,)),
                "targets": initialisation.OfflineKeySpec(public_keys=(public,)),
            },
        )
    assert not keys_dir.exists() or not list(keys_dir.glob("*.pem"))
    assert not repository.initialisation_pending()


@pytest.mark.parametrize(
    "content", [b"", b"not a key", b'{"keytype": "ed25519"}', b"-----BEGIN PUBLIC KEY-----\nxx"]
)
def test_init_refuses_a_file_that_is_not_a_public_key(db, keys_dir, tmp_path, content):
    path = tmp_path / "bad.pub"
    path.write_bytes(content)
    with pytest.raises(KeysError, match="is not a public key"):
        initialisation.init(
            keys_dir,
            bit_length=SMALL_BIT_LENGTH,
            key_specs={"root": initialisation.OfflineKeySpec(public_keys=(path,))},
        )


def test_init_refuses_thresholds_it_cannot_meet_or_that_mean_nothing(db, keys_dir):
    for spec, message in (
        (initialisation.OfflineKeySpec(generate=2, threshold=3), "targets threshold"),
        (initialisation.OfflineKeySpec(generate=0), "needs at least one key"),
        (initialisation.OfflineKeySpec(generate=-1), "cannot be negative"),
    ):
        with pytest.raises(TufError, match=message):
            initialisation.init(keys_dir, bit_length=SMALL_BIT_LENGTH, key_specs={"targets": spec})
    assert not TufRepository.objects.exists()


def test_a_public_key_json_without_keyid_gets_tufs_keyid(tmp_path):
    signer = CryptoSigner.generate_ed25519()
    path = tmp_path / "key.json"
    path.write_text(json.dumps(signer.public_key.to_dict()))
    assert keys.load_public_key_file(path).keyid == signer.public_key.keyid


def _split_keys(keys_dir, tmp_path):
    """Move one root key and one bins key to a second holder's directory."""
    other = tmp_path / "holder-b"
    other.mkdir()
    for pattern in ("root-*.pem", "bins-*.pem"):
        moved = sorted(keys_dir.glob(pattern))[0]
        moved.rename(other / moved.name)
    return other


def test_online_key_rotation_waits_for_root_and_bins_holders(initialised, keys_dir, tmp_path):
    _project, file = _upload()
    repository.publish()
    client_dir = tmp_path / "client"
    make_updater(client_dir, (keys_dir / "1.root.json").read_bytes()).refresh()
    old_keyid = TufRepository.objects.get().online_key["keyid"]
    other = _split_keys(keys_dir, tmp_path)

    report = rotation.rotate_online_key(keys_dir)
    assert report.published is False
    assert report.pending == {"root": "1 of 2 signatures", "bins": "1 of 2 signatures"}
    assert keys.staged_online_key_file().exists()
    # Until both are signed the index keeps signing with the old key, and clients follow.
    assert TufRepository.objects.get().online_key["keyid"] == old_keyid
    _upload("second-project")
    repository.publish()
    make_updater(client_dir, (keys_dir / "1.root.json").read_bytes()).refresh()
    assert any("online key rotation waits" in w for w in upkeep.status().warnings)
    with pytest.raises(TufError, match="already waiting for signatures"):
        signing.renew(keys_dir)

    after_root = signing.sign(other, "root")
    assert (after_root.published, after_root.pending) == (False, {"bins": "1 of 2 signatures"})
    assert TufRole.objects.get(name="root").version == 1
    after_bins = signing.sign(other, "bins")
    assert after_bins.published is True
    assert TufRepository.objects.get().online_key["keyid"] == report.new_keyid
    assert not keys.staged_online_key_file().exists()
    assert repository.pending_roles() == []

    updater = make_updater(client_dir, (keys_dir / "1.root.json").read_bytes())
    updater.refresh()
    assert _client_root_version(client_dir) == 2
    updater.download_target(updater.get_targetinfo(f"packages/{file.path}"))
    assert _tags()[-4:] == [
        "tuf:online_key:rotate",
        "tuf:sign",
        "tuf:online_key:rotate",
        "tuf:sign",
    ]


def test_a_rotation_that_fails_to_publish_keeps_the_old_key_in_use(
    initialised, keys_dir, tmp_path, monkeypatch
):
    other = _split_keys(keys_dir, tmp_path)
    old_keyid = TufRepository.objects.get().online_key["keyid"]
    old_key_bytes = keys.online_key_file().read_bytes()
    rotation.rotate_online_key(keys_dir)
    signing.sign(other, "root")

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(repository, "publish_locked", fail)
    with pytest.raises(OSError, match="disk full"):
        signing.sign(other, "bins")
    # Database, files and key file agree on the old state; the new one waits, and can finish.
    assert TufRepository.objects.get().online_key["keyid"] == old_keyid
    assert not store.exists("2.root.json")
    assert not store.exists("2.bins.json")
    assert repository.pending_roles() == ["root", "bins"]
    assert keys.online_key_file().read_bytes() == old_key_bytes
    assert keys.staged_online_key_file().exists()
    monkeypatch.undo()
    _upload()
    assert repository.publish().timestamp_version is not None  # still signs with the old key
    retry = signing.sign(other, "bins")  # nothing to add: publishes what is signed
    assert (retry.added, retry.published) == (0, True)
    assert TufRepository.objects.get().online_key["keyid"] != old_keyid


def test_abandon_drops_a_pending_rotation_and_the_staged_key(initialised, keys_dir, tmp_path):
    _split_keys(keys_dir, tmp_path)
    old_keyid = TufRepository.objects.get().online_key["keyid"]
    rotation.rotate_online_key(keys_dir)
    assert signing.abandon() == ["root", "bins"]
    assert repository.pending_roles() == []
    assert not keys.staged_online_key_file().exists()
    assert TufRepository.objects.get().online_key["keyid"] == old_keyid
    assert not store.exists(ceremony.PENDING_ONLINE_KEY)
    with pytest.raises(TufError, match="Nothing is waiting"):
        signing.abandon()
    assert _tags()[-1] == "tuf:abandon"


def test_rotating_to_the_current_online_key_is_refused(initialised, keys_dir, tmp_path):
    current = tmp_path / "current.json"
    current.write_text(json.dumps(TufRepository.objects.get().online_key))
    with pytest.raises(TufError, match="is the current one"):
        rotation.rotate_online_key(keys_dir, current)
    assert repository.pending_roles() == []


def test_renew_and_gc_are_audited(initialised, keys_dir):
    signing.renew(keys_dir, ("targets",))
    (event,) = Event.objects.filter(tag="tuf:renew")
    assert event.additional == {"roles": {"targets": True}}
    removed = upkeep.gc(0)
    assert "1.targets.json" in removed
    (event,) = Event.objects.filter(tag="tuf:gc")
    assert event.additional == {"removed": len(removed)}


def test_ceremonies_from_a_keys_directory_without_their_keys_are_refused(initialised, tmp_path):
    empty = tmp_path / "wrong-dir"
    empty.mkdir()
    with pytest.raises(TufError, match="may sign targets"):
        signing.renew(empty, ("targets",))
    with pytest.raises(TufError, match="may sign root"):
        rotation.rotate_root(empty)
    with pytest.raises(TufError, match="may sign root or bins"):
        rotation.rotate_online_key(empty)
    # Nothing was started: no pending metadata, no new root keys written anywhere.
    assert repository.pending_roles() == []
    assert not list(empty.glob("*.pem"))
    assert TufRole.objects.get(name="root").version == 1


def _pending_with_alice(keys_dir, tmp_path):
    alice, public, keyid = _holder(tmp_path / "alice", "root")
    initialisation.init(
        keys_dir,
        bit_length=SMALL_BIT_LENGTH,
        key_specs={
            "root": initialisation.OfflineKeySpec(generate=1, threshold=2, public_keys=(public,))
        },
    )
    copy = alice / "root-to-sign.json"
    upkeep.export(tmp_path / "handover", pending_only=True)
    copy.write_bytes((tmp_path / "handover" / "pending" / "root.json").read_bytes())
    return alice, copy, keyid


def test_a_holder_signs_offline_and_the_operator_imports_it(db, keys_dir, tmp_path):
    alice, copy, keyid = _pending_with_alice(keys_dir, tmp_path)
    signed = offline.sign_offline(copy, alice)
    assert (signed.role_type, signed.version, signed.signed_by) == ("root", 1, [keyid])
    assert any(line.startswith("root: threshold 2") for line in signed.summary)

    report = signing.import_signatures("root", copy)
    assert (report.added, report.published) == (1, True)
    assert report.trust_anchor == alice / "1.root.json"
    make_updater(tmp_path / "client", report.trust_anchor.read_bytes()).refresh()


def test_an_imported_file_that_was_changed_is_refused(db, keys_dir, tmp_path):
    alice, copy, _keyid = _pending_with_alice(keys_dir, tmp_path)
    md = Metadata.from_file(str(copy))
    md.signed.roles["root"].threshold = 1  # what an attacker on the way would like
    copy.write_bytes(md.to_bytes(offline.PENDING_SERIALIZER))
    offline.sign_offline(copy, alice)
    with pytest.raises(TufError, match="is not a copy of the pending root"):
        signing.import_signatures("root", copy)
    assert ceremony.pending_progress() == {"root": "1 of 2 signatures"}


def test_imported_signatures_of_unknown_keys_or_forged_ones_do_not_count(db, keys_dir, tmp_path):
    _alice, copy, keyid = _pending_with_alice(keys_dir, tmp_path)
    mallory, _public, _ = _holder(tmp_path / "mallory", "root")
    pristine = copy.read_bytes()
    offline.sign_offline(copy, mallory)
    with pytest.raises(TufError, match="adds no signature to the pending root"):
        signing.import_signatures("root", copy)

    # Alice's key id with a signature that is not hers.
    forged = Metadata.from_bytes(pristine)
    forged.sign(CryptoSigner.generate_ed25519())
    (signature,) = forged.signatures.values()
    signature.keyid = keyid
    forged.signatures = {keyid: signature}
    copy.write_bytes(forged.to_bytes(offline.PENDING_SERIALIZER))
    with pytest.raises(TufError, match=f"signature of key {keyid} .* does not verify"):
        signing.import_signatures("root", copy)
    assert ceremony.pending_progress() == {"root": "1 of 2 signatures"}
    assert not TufRepository.objects.exists()


def test_sign_offline_refuses_what_is_not_metadata_or_a_directory_without_keys(tmp_path):
    not_metadata = tmp_path / "root.json"
    not_metadata.write_text('{"signed": {}}')
    with pytest.raises(TufError, match="is not TUF metadata"):
        offline.sign_offline(not_metadata, tmp_path)
    with pytest.raises(TufError, match="Cannot read"):
        offline.sign_offline(tmp_path / "missing.json", tmp_path)
    valid = tmp_path / "valid.json"
    valid.write_bytes(
        repository.build_bins(CryptoSigner.generate_ed25519().public_key, 2).to_bytes(
            offline.PENDING_SERIALIZER
        )
    )
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(TufError, match="no private key"):
        offline.sign_offline(valid, empty)
