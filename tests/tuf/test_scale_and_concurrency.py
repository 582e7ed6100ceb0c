"""TUF at PEP 458's real bin count, and concurrent changes against one publisher lock."""

import threading

import pytest
from django.db import connection, connections, transaction

from cheeseshop.tuf import initialisation, repository, store
from cheeseshop.tuf.models import TufRole, TufTarget
from tests.index.builders import make_file, make_project, make_release
from tests.tuf.conftest import make_updater, publish_change, root_keys, stored


def test_init_at_16384_bins_publishes_every_bin_and_verifies(db, keys_dir, tmp_path):
    report = initialisation.init(keys_dir, bit_length=14, key_specs=root_keys(1, 1))
    assert report.bins == 16384
    assert len(store.names("1.bin-")) == 16384
    assert store.exists("1.bin-3fff.json")
    project = make_project("big-index")
    file = make_file(make_release(project))
    publish_change(project)
    published = repository.publish()
    assert published.bins == 3  # one wheel and two pages: at most three bins touched
    updater = make_updater(tmp_path / "client", (keys_dir / "1.root.json").read_bytes())
    updater.refresh()
    updater.download_target(updater.get_targetinfo(f"packages/{file.path}"))


@pytest.mark.skipif(
    "postgresql" not in __import__("os").environ.get("CHEESESHOP_TEST_DATABASE_URL", ""),
    reason="threads need a server database (run with CHEESESHOP_TEST_DATABASE_URL)",
)
@pytest.mark.django_db(transaction=True)
def test_50_concurrent_changes_and_publishes_leave_a_consistent_repository(keys_dir, tmp_path):
    initialisation.init(keys_dir, bit_length=4, key_specs=root_keys(1, 1))
    snapshot_versions: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def upload_and_publish(number: int) -> None:
        try:
            with transaction.atomic():
                project = make_project(f"concurrent-{number}")
                make_file(make_release(project), content=f"wheel {number}".encode())
                publish_change(project)
            report = repository.publish()
            if report.snapshot_version is not None:
                with lock:
                    snapshot_versions.append(report.snapshot_version)
        except BaseException as exc:  # reported below, with the thread's traceback lost
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=upload_and_publish, args=(n,)) for n in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(snapshot_versions) == len(set(snapshot_versions))  # never two with one number
    assert not TufRole.objects.filter(dirty=True).exists()
    assert TufTarget.objects.count() == 150
    # Every snapshot ever written: versions 1..N with none missing, and no role's version
    # ever goes back from one snapshot to the next.
    current = TufRole.objects.get(name="snapshot").version
    written = sorted(int(name.split(".")[0]) for name in store.names(suffix=".snapshot.json"))
    assert written == list(range(1, current + 1))
    assert current > 1
    previous: dict = {}
    for version in written:
        meta = stored(f"{version}.snapshot.json").signed
        assert meta.version == version
        for role, info in meta.meta.items():
            assert info.version >= previous.get(role, 0)
            previous[role] = info.version
    updater = make_updater(tmp_path / "client", (keys_dir / "1.root.json").read_bytes())
    updater.refresh()
    for path in TufTarget.objects.values_list("path", flat=True):
        updater.download_target(updater.get_targetinfo(path))
    assert connection.vendor == "postgresql"
