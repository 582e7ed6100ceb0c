"""The online key by URI: a node that cannot sign says so loudly and never publishes half a
set. The ERROR log names the URI's scheme and the reason (never the key), the task fails,
``tuf status`` exits 1 and the "tuf" health probe reports it; ``envvar:`` keys sign too."""

import logging

import pytest
from django.db import OperationalError
from django_tasks import TaskResultStatus

from cheeseshop import health
from cheeseshop.tuf import cli, keys, repository, store, upkeep
from cheeseshop.tuf.models import TufRepository, TufRole
from cheeseshop.tuf.tasks import publish_tuf
from tests.tuf.test_repository import _upload


@pytest.fixture(autouse=True)
def fresh_key_checks(monkeypatch):
    monkeypatch.setattr(upkeep, "_key_checked", {})


def test_a_worker_without_the_key_logs_an_error_fails_the_task_and_publishes_nothing(
    initialised, settings, tmp_path, caplog
):
    private = keys.online_key_file().read_text()
    settings.CHEESESHOP_TUF_ONLINE_KEY_URI = f"file2:{tmp_path / 'nowhere' / 'online_key'}"
    _upload()
    timestamp = store.read("timestamp.json")
    with caplog.at_level(logging.ERROR, logger="cheeseshop.tuf.repository"):
        result = publish_tuf.enqueue()
    assert result.status == TaskResultStatus.FAILED
    (record,) = [r for r in caplog.records if r.name == "cheeseshop.tuf.repository"]
    assert record.levelno == logging.ERROR
    message = record.getMessage()
    assert "scheme “file2”" in message
    assert "cannot sign: FileNotFoundError: Private key not found" in message
    assert private.splitlines()[1] not in caplog.text
    assert store.read("timestamp.json") == timestamp
    assert TufRole.objects.filter(dirty=True).exists()  # published once the key is back


def test_tuf_status_says_the_online_key_cannot_sign_and_exits_1(initialised, settings, capsys):
    assert cli._status(None) == 0
    settings.CHEESESHOP_TUF_ONLINE_KEY_URI = "envvar:CHEESESHOP_TEST_NO_SUCH_KEY"
    assert cli._status(None) == 1
    out, err = capsys.readouterr()
    assert (
        "online key: cannot sign: the environment variable CHEESESHOP_TEST_NO_SUCH_KEY is not set"
        in out
    )
    assert "scheme “envvar”" in err


def test_a_key_that_is_not_the_one_the_metadata_trusts_cannot_sign(
    initialised, settings, tmp_path
):
    other = tmp_path / "other_key"
    other.write_bytes(keys.generate_online_key().private_bytes)
    settings.CHEESESHOP_TUF_ONLINE_KEY_URI = f"file2:{other}"
    with pytest.raises(keys.OnlineKeyError, match="KeyMismatchError"):
        repository.publish(refresh=True)
    assert any("cannot sign: KeyMismatchError" in line for line in upkeep.status().lines)


def test_an_online_key_in_an_environment_variable_signs(
    initialised, settings, monkeypatch, keys_dir, tmp_path
):
    monkeypatch.setenv("CHEESESHOP_TEST_ONLINE_KEY", keys.online_key_file().read_text())
    settings.CHEESESHOP_TUF_ONLINE_KEY_URI = "envvar:CHEESESHOP_TEST_ONLINE_KEY"
    _upload()
    assert repository.publish().timestamp_version == 2
    assert upkeep.health_problem() is None


def test_the_health_probe_reports_a_key_it_cannot_load_and_a_stale_timestamp(
    initialised, settings
):
    probes = {result.name: result.problem for result in health.run_probes()}
    assert probes["tuf"] is None
    working = settings.CHEESESHOP_TUF_ONLINE_KEY_URI
    settings.CHEESESHOP_TUF_ONLINE_KEY_URI = "file2:/nonexistent/online_key"
    assert "cannot sign: FileNotFoundError" in upkeep.health_problem()
    settings.CHEESESHOP_TUF_ONLINE_KEY_URI = working
    TufRole.objects.filter(name="timestamp").update(expires=repository.utcnow())
    assert "no worker has re-signed it" in upkeep.health_problem()


def test_the_health_probe_has_nothing_to_say_before_init(db):
    assert upkeep.health_problem() is None


def test_the_health_probe_leaves_an_unmigrated_database_to_the_database_probe(db, monkeypatch):
    class Unmigrated:
        def first(self):
            raise OperationalError("no such table: tuf_tufrepository")

    monkeypatch.setattr(TufRepository, "objects", Unmigrated())
    assert upkeep.health_problem() is None
