"""The metadata store: versioned documents never change, timestamp.json and pending documents
are replaced, an earlier release's metadata directory is imported (by the migration and by
``tuf import``), and ``tuf export`` writes the current set back out as files."""

import pytest

from cheeseshop.tuf import repository, store, upkeep
from cheeseshop.tuf.models import MetadataDocument, TufRole
from tests.databases import migrate, migrate_to_latest
from tests.tuf.conftest import make_updater, stored

pytestmark = pytest.mark.django_db


def test_a_versioned_document_is_never_rewritten_with_other_bytes():
    store.write("1.root.json", b"root one")
    store.write("1.root.json", b"root one")  # the same bytes again: nothing changes
    with pytest.raises(store.ImmutableDocument, match=r"“1\.root\.json”"):
        store.write("1.root.json", b"root evil")
    assert store.read("1.root.json") == b"root one"


def test_timestamp_and_pending_documents_are_replaced():
    store.write_many([("timestamp.json", b"one"), ("pending/root.json", b"waiting")])
    store.write_many([("timestamp.json", b"two"), ("pending/root.json", b"signed")])
    assert (store.read("timestamp.json"), store.read("pending/root.json")) == (b"two", b"signed")
    assert store.names(store.PENDING) == ["pending/root.json"]
    assert [name for name, _created in store.published()] == ["timestamp.json"]
    store.delete("pending/root.json")
    assert store.read("pending/root.json") is None


def test_thousands_of_documents_are_written_in_batches():
    documents = [(f"1.bin-{index:04x}.json", b"{}") for index in range(2500)]
    store.write_many(documents)
    store.write_many(documents)
    assert len(store.names("1.bin-")) == 2500


def _old_directory(directory, versions):
    """A metadata directory as an earlier release left it, crashed publisher's leftovers too."""
    directory.mkdir(parents=True)
    for name in versions:
        (directory / name).write_bytes(name.encode())
    (directory / ".3.snapshot.json.1234-0.tmp").write_bytes(b"half written")
    (directory / "pending").mkdir()
    (directory / "pending" / "root.json").write_bytes(b"waiting root")


def test_an_old_directory_is_imported_without_what_a_crashed_publisher_left(tmp_path):
    directory = tmp_path / "metadata"
    names = ["1.root.json", "2.root.json", "1.snapshot.json", "2.snapshot.json", "timestamp.json"]
    _old_directory(directory, [*names, "3.snapshot.json", "3.root.json"])
    versions = {"root": 2, "snapshot": 2, "timestamp": 2}
    assert store.import_files(directory, versions) == len(names) + 1
    assert store.names() == sorted([*names, "pending/root.json"])
    assert store.read("2.snapshot.json") == b"2.snapshot.json"
    assert store.import_files(directory, versions) == 0  # once only


def test_tuf_import_refuses_what_is_not_a_directory(tmp_path):
    with pytest.raises(repository.TufError, match="not a directory"):
        upkeep.import_directory(tmp_path / "nowhere")


def test_export_writes_the_current_set_every_root_and_what_waits(initialised, keys_dir, tmp_path):
    repository.write_pending("targets", repository.load_published("targets"))
    written = upkeep.export(tmp_path / "mirror")
    names = {path.relative_to(tmp_path / "mirror").as_posix() for path in written}
    current = dict(TufRole.objects.values_list("name", "version"))
    assert {"1.root.json", "timestamp.json", "pending/targets.json"} <= names
    assert f"{current['snapshot']}.snapshot.json" in names
    assert len([name for name in names if ".bin-" in name]) == 16
    for path in written:
        assert path.read_bytes() == store.read(path.relative_to(tmp_path / "mirror").as_posix())
    pending = upkeep.export(tmp_path / "usb", pending_only=True)
    assert pending == [tmp_path / "usb" / "pending" / "targets.json"]


BEFORE = [("tuf", "0002_verbose_names")]
AFTER = [("tuf", "0003_metadata_in_the_database")]


@pytest.mark.django_db(transaction=True)
def test_the_migration_imports_the_metadata_directory_of_an_upgraded_index(settings, tmp_path):
    directory = tmp_path / "old-metadata"
    settings.CHEESESHOP_TUF_METADATA_DIR = str(directory)
    names = ["1.root.json", "1.targets.json", "1.bins.json", "1.bin-0.json", "1.snapshot.json"]
    _old_directory(directory, [*names, "timestamp.json", "2.bin-0.json"])
    old_apps = migrate(BEFORE)
    try:
        old_apps.get_model("tuf", "TufRepository").objects.create(bit_length=1, online_key={})
        role = old_apps.get_model("tuf", "TufRole")
        for name in ("root", "targets", "bins", "bin-0", "snapshot", "timestamp"):
            role.objects.create(name=name, version=1, expires="2030-01-01T00:00:00Z")
        migrate(AFTER)
        assert store.names() == sorted([*names, "pending/root.json", "timestamp.json"])
        assert store.read("1.bin-0.json") == b"1.bin-0.json"
    finally:
        migrate_to_latest()


def test_a_stored_document_is_what_the_view_serves(initialised, client):
    response = client.get("/tuf/1.root.json")
    assert response.content == store.read("1.root.json")
    assert stored("1.root.json").signed.version == 1


def test_tuf_import_restores_what_the_migration_did_not_find(initialised, keys_dir, tmp_path):
    written = upkeep.export(tmp_path / "old-node")
    MetadataDocument.objects.all().delete()  # migrated on a node without the old directory
    assert upkeep.status().failed
    assert upkeep.import_directory(tmp_path / "old-node") == len(written)
    assert not upkeep.status().failed
    make_updater(tmp_path / "client", (keys_dir / "1.root.json").read_bytes()).refresh()
