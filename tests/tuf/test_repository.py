"""TUF signing through Django's test client: init, publish, serve, and ngclient as the judge."""

import hashlib
import json
from datetime import timedelta

import pytest
from django.core.files.storage import storages
from django.test import Client
from tuf.api.exceptions import (
    BadVersionNumberError,
    ExpiredMetadataError,
    LengthOrHashMismatchError,
    UnsignedMetadataError,
)
from tuf.api.metadata import Metadata, SuccinctRoles

from cheeseshop.audit.services import ADMIN
from cheeseshop.index.models import SimpleDetailPage
from cheeseshop.packaging import changes
from cheeseshop.tuf import (
    conf,
    initialisation,
    repository,
    rotation,
    services,
    signing,
    store,
    upkeep,
)
from cheeseshop.tuf.keys import KeysError
from cheeseshop.tuf.models import MetadataDocument, TufRepository, TufRole, TufTarget
from cheeseshop.tuf.repository import TufError
from tests.index.builders import make_file, make_project, make_release
from tests.tuf.conftest import (
    SMALL_BIT_LENGTH,
    DjangoClientFetcher,
    make_updater,
    publish_change,
    publish_removal,
    root_keys,
    stored,
)


def _upload(name="Sample_Project", version="1.0", content=None):
    """A project with one stored wheel, its pages rendered and the TUF hook called."""
    project = make_project(name)
    file = make_file(make_release(project, version), content=content)
    publish_change(project)
    return project, file


def _client_root_version(client_dir) -> int:
    """The root version an ngclient cache directory now trusts."""
    return Metadata.from_file(str(client_dir / "metadata" / "root.json")).signed.version


def _trusted_root(keys_dir) -> bytes:
    return (keys_dir / "1.root.json").read_bytes()


@pytest.mark.parametrize("bit_length", [1, 4, 14, 20])
def test_bin_for_a_path_is_the_one_python_tuf_computes(bit_length):
    succinct = SuccinctRoles(["k"], 1, bit_length, "bin")
    for path in ("packages/ab/cd/ef/x-1.0.tar.gz", "simple/x/vnd.pypi.simple.v1.json", "é"):
        name = repository.bin_name(repository.bin_index_for(path, bit_length), bit_length)
        assert name == succinct.get_role_for_target(path)


def test_init_publishes_every_role_and_the_trust_anchor(initialised, keys_dir):
    names = set(store.names())
    assert {"1.root.json", "1.targets.json", "1.bins.json", "1.snapshot.json"} <= names
    assert "timestamp.json" in names
    assert len([n for n in names if ".bin-" in n]) == 2**SMALL_BIT_LENGTH
    assert not store.names(store.PENDING)
    assert (keys_dir / "1.root.json").read_bytes() == store.read("1.root.json")
    root = Metadata.from_file(str(keys_dir / "1.root.json")).signed
    assert root.consistent_snapshot is True
    assert root.roles["root"].threshold == 2
    assert len(root.roles["root"].keyids) == 2
    # PEP 458: targets and bins are (2, 2), each signed by both of its keys.
    assert (root.roles["targets"].threshold, len(root.roles["targets"].keyids)) == (2, 2)
    targets = stored("1.targets.json")
    bins_role = targets.signed.delegations.roles["bins"]
    assert (bins_role.threshold, len(bins_role.keyids)) == (2, 2)
    assert set(targets.signatures) == set(root.roles["targets"].keyids)
    bins = stored("1.bins.json")
    assert set(bins.signatures) == set(bins_role.keyids)
    # Offline keys are in the keys directory, never beside the server's data.
    assert len(list(keys_dir.glob("root-*.pem"))) == 2
    assert not list(conf.tuf_dir().glob("**/*.pem"))
    snapshot = stored("1.snapshot.json").signed
    assert len(snapshot.meta) == 2 + 2**SMALL_BIT_LENGTH


def test_init_refuses_a_keys_directory_inside_the_data_directory(db, settings):
    with pytest.raises(KeysError, match="inside the data directory"):
        initialisation.init(conf.tuf_dir() / "keys", bit_length=SMALL_BIT_LENGTH)
    assert not TufRepository.objects.exists()


def test_init_refuses_to_run_twice(initialised, tmp_path):
    with pytest.raises(TufError, match="already initialised"):
        initialisation.init(tmp_path / "other-keys", bit_length=SMALL_BIT_LENGTH)


def test_init_refuses_a_threshold_above_the_number_of_root_keys(db, keys_dir):
    with pytest.raises(TufError, match="threshold"):
        initialisation.init(keys_dir, bit_length=SMALL_BIT_LENGTH, key_specs=root_keys(2, 3))


def test_hook_does_nothing_before_init(db):
    _upload()
    assert not TufTarget.objects.exists()


def test_init_signs_projects_that_existed_before(db, keys_dir, tmp_path):
    _project, file = _upload()
    initialisation.init(keys_dir, bit_length=SMALL_BIT_LENGTH, key_specs=root_keys(1, 1))
    updater = make_updater(tmp_path / "client", _trusted_root(keys_dir))
    updater.refresh()
    assert updater.get_targetinfo(f"packages/{file.path}") is not None


def test_uploaded_wheel_and_simple_page_verify_through_ngclient(
    initialised, keys_dir, tmp_path, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        project, file = _upload(content=b"wheel bytes " * 100)
    assert not TufRole.objects.filter(dirty=True).exists()
    fetcher = DjangoClientFetcher()
    updater = make_updater(tmp_path / "client", _trusted_root(keys_dir), fetcher)
    updater.refresh()

    info = updater.get_targetinfo(f"packages/{file.path}")
    assert info is not None
    assert list(info.hashes) == ["blake2b-256", "sha256"]
    downloaded = updater.download_target(info)
    with open(downloaded, "rb") as f:
        assert f.read() == b"wheel bytes " * 100

    page_info = updater.get_targetinfo("simple/sample-project/vnd.pypi.simple.v1.json")
    page_path = updater.download_target(page_info)
    stored = SimpleDetailPage.objects.get(project=project)
    with open(page_path, "rb") as f:
        body = f.read()
    assert body == bytes(stored.json)
    assert json.loads(body)["files"][0]["hashes"]["sha256"] == file.sha256_digest
    assert updater.get_targetinfo("simple/sample-project/vnd.pypi.simple.v1.html") is not None
    # The request log: next root probed (404), then the consistent-snapshot chain.
    statuses = {path: status for status, path in fetcher.requests}
    assert statuses["/tuf/2.root.json"] == 404
    assert statuses["/tuf/timestamp.json"] == 200
    blake2 = file.blake2_256_digest
    assert any(path.endswith(f"/{blake2}.{file.filename}") for path in statuses)


def test_a_yank_re_signs_the_changed_simple_pages(initialised, keys_dir, tmp_path):
    project, file = _upload()
    repository.publish()
    before = TufTarget.objects.get(path="simple/sample-project/vnd.pypi.simple.v1.json").hashes
    release = file.release
    release.yanked = True
    release.save()
    publish_change(project)
    assert TufRole.objects.filter(dirty=True).exists()
    repository.publish()
    after = TufTarget.objects.get(path="simple/sample-project/vnd.pypi.simple.v1.json").hashes
    assert after != before
    updater = make_updater(tmp_path / "client", _trusted_root(keys_dir))
    updater.refresh()
    info = updater.get_targetinfo("simple/sample-project/vnd.pypi.simple.v1.json")
    with open(updater.download_target(info), "rb") as f:
        assert json.loads(f.read())["files"][0]["yanked"] is True


def test_tampered_stored_file_is_rejected(initialised, keys_dir, tmp_path):
    _project, file = _upload(content=b"genuine wheel")
    repository.publish()
    storage = storages["packages"]
    with open(storage.path(file.path), "wb") as f:
        f.write(b"evil! wheel!!")  # same length: only the hash can tell
    updater = make_updater(tmp_path / "client", _trusted_root(keys_dir))
    updater.refresh()
    info = updater.get_targetinfo(f"packages/{file.path}")
    with pytest.raises(LengthOrHashMismatchError):
        updater.download_target(info)


def test_deleted_file_is_no_longer_a_target(initialised, keys_dir, tmp_path):
    project, file = _upload()
    repository.publish()
    path = f"packages/{file.path}"
    file.delete()
    publish_change(project)
    repository.publish()
    assert not TufTarget.objects.filter(path=path).exists()
    updater = make_updater(tmp_path / "client", _trusted_root(keys_dir))
    updater.refresh()
    assert updater.get_targetinfo(path) is None


def test_deleted_project_loses_all_its_targets(initialised, keys_dir, tmp_path):
    project, _file = _upload()
    repository.publish()
    project_id = project.pk
    project.delete()
    publish_removal(project_id)
    repository.publish()
    assert not TufTarget.objects.exists()
    updater = make_updater(tmp_path / "client", _trusted_root(keys_dir))
    updater.refresh()
    assert updater.get_targetinfo("simple/sample-project/vnd.pypi.simple.v1.json") is None


def test_expired_timestamp_is_refused(initialised, keys_dir, tmp_path, monkeypatch):
    _upload()
    two_days_ago = repository.utcnow() - timedelta(days=2)
    monkeypatch.setattr(repository, "utcnow", lambda: two_days_ago)
    repository.publish()  # the refresher then stops: nothing re-signs it
    updater = make_updater(tmp_path / "client", _trusted_root(keys_dir))
    with pytest.raises(ExpiredMetadataError):
        updater.refresh()


def test_rollback_to_an_older_timestamp_is_refused(initialised, keys_dir, tmp_path):
    old_timestamp = store.read("timestamp.json")
    _upload()
    repository.publish()
    client_dir = tmp_path / "client"
    make_updater(client_dir, _trusted_root(keys_dir)).refresh()
    store.write("timestamp.json", old_timestamp)  # a replayed, older timestamp
    with pytest.raises(BadVersionNumberError):
        make_updater(client_dir, _trusted_root(keys_dir)).refresh()


def test_a_modified_bin_is_refused(initialised, keys_dir, tmp_path):
    _project, file = _upload()
    repository.publish()
    role = repository.bin_name(
        repository.bin_index_for(f"packages/{file.path}", SMALL_BIT_LENGTH), SMALL_BIT_LENGTH
    )
    state = TufRole.objects.get(name=role)
    name = repository.metadata_filename(role, state.version)
    data = json.loads(store.read(name))
    next(iter(data["signed"]["targets"].values()))["length"] += 1
    store.delete(name)  # what a tampered database or mirror serves
    store.write(name, json.dumps(data).encode())
    updater = make_updater(tmp_path / "client", _trusted_root(keys_dir))
    updater.refresh()
    with pytest.raises(UnsignedMetadataError):
        updater.get_targetinfo(f"packages/{file.path}")


def test_an_old_client_follows_root_and_online_key_rotation(initialised, keys_dir, tmp_path):
    _project, file = _upload()
    repository.publish()
    client_dir = tmp_path / "client"
    make_updater(client_dir, _trusted_root(keys_dir)).refresh()
    old_online = TufRepository.objects.get().online_key["keyid"]

    rotated = rotation.rotate_root(keys_dir)
    assert (rotated.version, rotated.published) == (2, True)
    report = rotation.rotate_online_key(keys_dir)
    assert (report.published, report.root_version) == (True, 3)
    assert TufRepository.objects.get().online_key["keyid"] != old_online
    assert len(list((keys_dir / "retired").glob("root-*.pem"))) == 2

    updater = make_updater(client_dir, _trusted_root(keys_dir))
    updater.refresh()
    assert _client_root_version(client_dir) == 3
    updater.download_target(updater.get_targetinfo(f"packages/{file.path}"))


def test_root_rotation_waits_for_a_threshold_from_other_key_holders(
    initialised, keys_dir, tmp_path
):
    # One holder has one of the two old root keys; the other holder signs later.
    holder_a, holder_b = tmp_path / "holder-a", tmp_path / "holder-b"
    holder_a.mkdir()
    holder_b.mkdir()
    first, second = sorted(keys_dir.glob("root-*.pem"))
    first.rename(holder_a / first.name)
    second.rename(holder_b / second.name)
    rotated = rotation.rotate_root(holder_a, root_keys=2, threshold=2)
    assert (rotated.version, rotated.published) == (2, False)
    assert store.exists("pending/root.json")
    assert TufRole.objects.get(name="root").version == 1
    assert not store.exists("2.root.json")
    assert signing.sign(holder_b, "root").published is True
    assert TufRole.objects.get(name="root").version == 2
    assert not store.exists("pending/root.json")
    updater = make_updater(tmp_path / "client", _trusted_root(keys_dir))
    updater.refresh()
    assert _client_root_version(tmp_path / "client") == 2


def test_sign_without_pending_metadata_is_refused(initialised, keys_dir):
    with pytest.raises(TufError, match="no pending root"):
        signing.sign(keys_dir, "root")


def test_renew_re_signs_offline_roles_with_a_year_to_run(initialised, keys_dir, tmp_path):
    assert signing.renew(keys_dir) == {"root": True, "targets": True, "bins": True}
    versions = dict(TufRole.objects.values_list("name", "version"))
    assert (versions["root"], versions["targets"], versions["bins"]) == (2, 2, 2)
    updater = make_updater(tmp_path / "client", _trusted_root(keys_dir))
    updater.refresh()
    assert updater.get_targetinfo("packages/none") is None


def test_refresh_re_signs_online_roles_near_expiry_only(initialised, settings):
    before = dict(TufRole.objects.values_list("name", "version"))
    report = repository.publish(refresh=True)
    assert report.timestamp_version is None  # a fresh repository: nothing is due
    settings.CHEESESHOP_TUF_REFRESH_MARGIN = 2 * 24 * 3600
    report = repository.publish(refresh=True)
    after = dict(TufRole.objects.values_list("name", "version"))
    assert report.bins == 2**SMALL_BIT_LENGTH
    assert after["timestamp"] == before["timestamp"] + 1
    assert after["snapshot"] == before["snapshot"] + 1
    assert after["root"] == before["root"]


def test_refresh_re_signs_bins_in_chunks_then_one_snapshot(
    initialised, keys_dir, settings, monkeypatch, tmp_path
):
    _project, file = _upload()
    repository.publish()
    before = dict(TufRole.objects.values_list("name", "version"))
    monkeypatch.setattr(repository, "REFRESH_CHUNK", 5)
    transactions = []
    publish_bins = repository._publish_bins
    monkeypatch.setattr(
        repository,
        "_publish_bins",
        lambda repo, to_sign, *a, **k: (
            transactions.append(len(to_sign)) or publish_bins(repo, to_sign, *a, **k)
        ),
    )
    settings.CHEESESHOP_TUF_REFRESH_MARGIN = 2 * 24 * 3600
    report = repository.publish(refresh=True)
    assert transactions == [5, 5, 5, 1]  # 16 bins, each chunk committed on its own
    assert report.bins == 2**SMALL_BIT_LENGTH
    after = dict(TufRole.objects.values_list("name", "version"))
    assert after["snapshot"] == before["snapshot"] + 1
    assert all(after[name] == before[name] + 1 for name in after if name.startswith("bin-"))
    updater = make_updater(tmp_path / "client", _trusted_root(keys_dir))
    updater.refresh()
    updater.download_target(updater.get_targetinfo(f"packages/{file.path}"))


def test_metadata_is_served_with_cache_headers_and_404_for_unknown_names(initialised):
    client = Client()
    timestamp = client.get("/tuf/timestamp.json")
    assert timestamp.status_code == 200
    assert timestamp["Cache-Control"] == "public, max-age=60"
    again = client.get("/tuf/timestamp.json", HTTP_IF_NONE_MATCH=timestamp["ETag"])
    assert again.status_code == 304
    root = client.get("/tuf/1.root.json")
    assert root.status_code == 200
    assert "immutable" in root["Cache-Control"]
    assert root["ETag"] == '"1.root"'
    for missing in (
        "/tuf/2.root.json",
        "/tuf/0.root.json",
        "/tuf/..%2Fsecret.json",
        "/tuf/1.root.json.bak",
        "/tuf/999.bin-zz.json",
    ):
        assert client.get(missing).status_code == 404, missing
    assert client.post("/tuf/timestamp.json").status_code == 405
    assert client.head("/tuf/1.root.json").status_code == 200


def test_metadata_is_404_before_init(db):
    assert Client().get("/tuf/timestamp.json").status_code == 404
    assert Client().get("/tuf/1.root.json").status_code == 404


def test_hash_prefixed_urls_serve_only_matching_content(initialised):
    project, file = _upload(content=b"some wheel")
    client = Client()
    directory, filename = file.path.rsplit("/", 1)
    good = client.get(f"/packages/{directory}/{file.blake2_256_digest}.{filename}")
    assert good.status_code == 200
    assert b"".join(good.streaming_content) == b"some wheel"
    wrong = "0" * 64
    assert client.get(f"/packages/{directory}/{wrong}.{filename}").status_code == 404
    assert client.get(f"/packages/{file.path}").status_code == 200  # the plain route still works

    page = SimpleDetailPage.objects.get(project=project)
    digest = hashlib.blake2b(bytes(page.json), digest_size=32).hexdigest()
    response = client.get(f"/simple/sample-project/{digest}.vnd.pypi.simple.v1.json")
    assert response.status_code == 200
    assert response.content == bytes(page.json)
    assert response["Content-Type"] == "application/vnd.pypi.simple.v1+json"
    assert "immutable" in response["Cache-Control"]
    assert client.get(f"/simple/sample-project/{wrong}.vnd.pypi.simple.v1.json").status_code == 404
    assert client.get(f"/simple/nothing/{digest}.vnd.pypi.simple.v1.html").status_code == 404


def test_gc_removes_superseded_metadata_but_never_roots(initialised, keys_dir):
    signing.renew(keys_dir, ("root",))
    _upload()
    repository.publish()
    MetadataDocument.objects.update(created=repository.utcnow() - timedelta(hours=2))
    removed = upkeep.gc(3600)
    assert "1.snapshot.json" in removed
    assert not store.exists("1.snapshot.json")
    assert store.exists("1.root.json")
    assert store.exists("2.root.json")
    current = TufRole.objects.get(name="snapshot").version
    assert store.exists(f"{current}.snapshot.json")
    assert not any(name.endswith("root.json") for name in removed)


def test_gc_keeps_recent_files(initialised):
    _upload()
    repository.publish()
    assert upkeep.gc(3600) == []


def test_status_reports_versions_and_pending_work(initialised):
    _upload()
    result = upkeep.status()
    text = "\n".join(result.lines)
    assert f"bins: {2**SMALL_BIT_LENGTH}" in text
    assert "pending (dirty) bins: " in text
    assert "pending (dirty) bins: 0" not in text
    assert result.warnings == []


def test_status_warns_30_days_before_offline_expiry(initialised):
    TufRole.objects.filter(name="targets").update(expires=repository.utcnow() + timedelta(days=10))
    assert any("targets expires" in w for w in upkeep.status().warnings)


def test_publish_order_leaves_the_previous_set_when_signing_fails(initialised, monkeypatch):
    _upload()
    timestamp_before = store.read("timestamp.json")
    names_before = store.names()

    def crash(*args, **kwargs):
        raise RuntimeError("crash while writing the snapshot")

    monkeypatch.setattr(repository, "_publish_snapshot", crash)
    with pytest.raises(RuntimeError):
        repository.publish()
    assert store.read("timestamp.json") == timestamp_before
    assert store.names() == names_before  # the bins it signed rolled back with it
    assert TufRole.objects.filter(dirty=True).exists()  # the claim rolled back: retried later


def test_purge_hook_gets_the_changed_urls(initialised, settings):
    calls.clear()
    settings.CHEESESHOP_TUF_PURGE_HOOK = "tests.tuf.test_repository.record_purge"
    _upload()
    repository.publish()
    assert calls == [["/tuf/timestamp.json"]]


calls: list = []


def record_purge(urls):
    calls.append(urls)


def test_verify_reports_every_checked_target(initialised, keys_dir):
    _project, file = _upload()
    repository.publish()
    report = upkeep.verify(
        "http://testserver",
        _trusted_root(keys_dir),
        [f"packages/{file.path}", "packages/not/there.whl"],
        fetcher=DjangoClientFetcher(),
    )
    assert report.checked == [f"packages/{file.path}"]
    assert report.failures == ["packages/not/there.whl: not a signed target"]


def _bins_delegator() -> Metadata:
    return stored("1.bins.json")


def test_every_published_bin_verifies_and_empty_bins_share_their_bytes(initialised):
    _upload()
    repository.publish()
    delegator = _bins_delegator().signed
    empty = set()
    for state in TufRole.objects.filter(name__startswith="bin-"):
        data = store.read(repository.metadata_filename(state.name, state.version))
        md = Metadata.from_bytes(data)
        delegator.verify_delegate(state.name, md.signed_bytes, md.signatures)
        assert md.signed.version == state.version
        if not md.signed.targets:
            empty.add(data)
    # Empty bins of one version have identical signed bytes: one signature serves them all.
    assert len(empty) == 1


AWKWARD_TARGETS = [
    "simple/café/vnd.pypi.simple.v1.json",
    "simple/日本語/vnd.pypi.simple.v1.html",
    'packages/ab/cd/with"quote"-1.0.tar.gz',
    "packages/ab/cd/back\\slash-1.0.tar.gz",
    "packages/ab/cd/new\nline-1.0.tar.gz",
]


def test_targets_with_awkward_paths_verify_through_ngclient(initialised, keys_dir, tmp_path):
    for n, path in enumerate(AWKWARD_TARGETS):
        TufTarget.objects.create(
            path=path,
            bin_index=repository.bin_index_for(path, SMALL_BIT_LENGTH),
            project_pk=1000 + n,
            length=10 + n,
            hashes={"blake2b-256": f"{n:064x}", "sha256": f"{n + 1:064x}"},
        )
    indices = {repository.bin_index_for(path, SMALL_BIT_LENGTH) for path in AWKWARD_TARGETS}
    services.mark_bins_dirty(indices, SMALL_BIT_LENGTH)
    assert repository.publish().bins == len(indices)
    updater = make_updater(tmp_path / "client", _trusted_root(keys_dir))
    updater.refresh()
    for n, path in enumerate(AWKWARD_TARGETS):
        info = updater.get_targetinfo(path)
        assert info is not None, path
        assert (info.length, info.hashes["sha256"]) == (10 + n, f"{n + 1:064x}")


def test_timestamp_describes_the_snapshot_file_as_written(initialised):
    _upload()
    report = repository.publish()
    timestamp = stored("timestamp.json").signed
    meta = timestamp.snapshot_meta
    assert meta.version == report.snapshot_version
    data = store.read(repository.metadata_filename("snapshot", meta.version))
    assert meta.length == len(data)
    assert meta.hashes == {"sha256": hashlib.sha256(data).hexdigest()}
    # A refresh that re-signs only the timestamp reads the published snapshot back.
    TufRole.objects.filter(name="timestamp").update(expires=repository.utcnow())
    again = repository.publish(refresh=True)
    assert (again.snapshot_version, again.timestamp_version) == (
        None,
        report.timestamp_version + 1,
    )
    refreshed = stored("timestamp.json").signed
    assert refreshed.snapshot_meta == meta


def test_snapshot_lists_every_role_version(initialised):
    _upload()
    report = repository.publish()
    snapshot = stored(repository.metadata_filename("snapshot", report.snapshot_version)).signed
    expected = {
        f"{name}.json": version
        for name, version in TufRole.objects.exclude(
            name__in=("root", "snapshot", "timestamp")
        ).values_list("name", "version")
    }
    assert {name: meta.version for name, meta in snapshot.meta.items()} == expected
    assert all(meta.length is None and meta.hashes is None for meta in snapshot.meta.values())


def test_a_quarantined_project_is_unsigned_until_the_quarantine_is_lifted(
    initialised, keys_dir, tmp_path
):
    project, file = _upload()
    repository.publish()
    changes.set_status(project, "quarantined", actor=None, credential=ADMIN, admin=True)
    repository.publish()
    assert not TufTarget.objects.filter(project_pk=project.pk).exists()
    updater = make_updater(tmp_path / "during", _trusted_root(keys_dir))
    updater.refresh()
    assert updater.get_targetinfo(f"packages/{file.path}") is None

    changes.set_status(project, "active", actor=None, credential=ADMIN, admin=True)
    repository.publish()
    updater = make_updater(tmp_path / "after", _trusted_root(keys_dir))
    updater.refresh()
    updater.download_target(updater.get_targetinfo(f"packages/{file.path}"))
    assert updater.get_targetinfo("simple/sample-project/vnd.pypi.simple.v1.json") is not None
