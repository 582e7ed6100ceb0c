"""``cheeseshop tuf ...`` as an operator runs it: a real process on a fresh data directory, its
output on stdout, refusals with the failed rule on stderr and exit status 1."""

import json
import os
import subprocess
import sys
from pathlib import Path

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from securesystemslib.signer import CryptoSigner


def _run(data_dir: Path | None, *arguments: str, cwd: Path | None = None):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHEESESHOP_", "DJANGO_"))}
    if data_dir is not None:
        env["CHEESESHOP_DATA_DIR"] = str(data_dir)
    return subprocess.run(
        [sys.executable, "-m", "cheeseshop.cli", "tuf", *arguments],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_two_holder_ceremony_from_the_command_line(tmp_path):
    data_dir, keys_dir, alice = tmp_path / "data", tmp_path / "keys", tmp_path / "alice"
    alice.mkdir()
    signer = CryptoSigner.generate_ed25519()
    (alice / "alice-root.pem").write_bytes(signer.private_bytes)
    public = alice / "alice-root.pub.pem"
    public.write_bytes(
        signer._private_key.public_key().public_bytes(
            Encoding.PEM, PublicFormat.SubjectPublicKeyInfo
        )
    )

    status = _run(data_dir, "status")
    assert status.returncode == 1
    assert "warning: TUF is not initialised" in status.stderr

    inside = _run(data_dir, "init", "--keys-dir", str(data_dir / "keys"))
    assert inside.returncode == 1
    assert "error: The keys directory" in inside.stderr
    assert "offline keys stay offline" in inside.stderr

    init = _run(
        data_dir,
        "init",
        "--keys-dir",
        str(keys_dir),
        "--bit-length",
        "2",
        "--root-keys",
        "1",
        "--root-public-key",
        str(public),
        "--root-threshold",
        "2",
    )
    assert init.returncode == 0, init.stderr
    assert init.stdout.count("offline key written: ") == 5  # 1 root, 2 targets, 2 bins
    assert "root waits for signatures (1 of 2 signatures)" in init.stdout
    assert "Nothing is published" in init.stdout

    waiting = _run(data_dir, "status")
    assert "root version 1 waits for signatures: 1 of 2 signatures" in waiting.stdout
    assert "initialisation waits for signatures" in waiting.stderr

    sign = _run(data_dir, "sign", "--keys-dir", str(alice), "--role", "root")
    assert sign.returncode == 0, sign.stderr
    assert "added 1 signature(s) to root" in sign.stdout
    assert f"trust anchor for clients: {alice / '1.root.json'}" in sign.stdout
    assert (alice / "1.root.json").exists()

    status = _run(data_dir, "status")
    assert status.returncode == 0, status.stderr
    assert "bins: 4 (bit length 2)" in status.stdout
    assert "root: version 1" in status.stdout
    assert "timestamp: version 1" in status.stdout

    again = _run(data_dir, "sign", "--keys-dir", str(alice), "--role", "root")
    assert again.returncode == 1
    assert "error: There is no pending root metadata to sign." in again.stderr

    twice = _run(data_dir, "init", "--keys-dir", str(tmp_path / "other"))
    assert twice.returncode == 1
    assert "error: TUF is already initialised on this index." in twice.stderr

    gc = _run(data_dir, "gc")
    assert gc.returncode == 0, gc.stderr
    assert "removed 0 superseded metadata files" in gc.stdout


def test_sign_offline_needs_no_index_and_its_file_completes_the_ceremony(tmp_path):
    data_dir, keys_dir, laptop = tmp_path / "data", tmp_path / "keys", tmp_path / "laptop"
    laptop.mkdir()
    signer = CryptoSigner.generate_ed25519()
    (laptop / "bob.pem").write_bytes(signer.private_bytes)
    public = tmp_path / "bob.json"
    public.write_text(json.dumps(signer.public_key.to_dict()))
    init = _run(
        data_dir,
        "init",
        "--keys-dir",
        str(keys_dir),
        "--bit-length",
        "2",
        "--bins-public-key",
        str(public),
        "--bins-keys",
        "1",
    )
    assert init.returncode == 0, init.stderr
    assert "bins waits for signatures (1 of 2 signatures)" in init.stdout

    # The holder's machine: no data directory, no database, no settings.
    handover = tmp_path / "usb"
    export = _run(data_dir, "export", "--pending", str(handover))
    assert export.returncode == 0, export.stderr
    assert f"waiting for signatures: {handover / 'pending' / 'bins.json'}" in export.stdout
    assert not (handover / "timestamp.json").exists()
    copy = laptop / "bins.json"
    copy.write_bytes((handover / "pending" / "bins.json").read_bytes())
    offline = _run(None, "sign-offline", str(copy), "--keys-dir", str(laptop), cwd=laptop)
    assert offline.returncode == 0, offline.stderr
    assert "signed targets version 1 (expires " in offline.stdout
    assert signer.public_key.keyid in offline.stdout
    assert "bin-*: 4 bins, threshold 1" in offline.stdout
    assert not (laptop / "cheeseshop-data").exists()

    imported = _run(data_dir, "sign", "--role", "bins", "--signed-file", str(copy))
    assert imported.returncode == 0, imported.stderr
    assert "added 1 signature(s) to bins" in imported.stdout
    assert "trust anchor for clients" in imported.stdout

    again = _run(data_dir, "sign", "--role", "bins", "--signed-file", str(copy))
    assert again.returncode == 1
    assert "error: There is no pending bins metadata to sign." in again.stderr


def test_refresh_from_cron_restarts_a_chain_of_refreshes_the_queue_lost(tmp_path):
    import sqlite3

    data_dir = tmp_path / "data"
    init = _run(data_dir, "init", "--keys-dir", str(tmp_path / "keys"), "--bit-length", "2")
    assert init.returncode == 0, init.stderr
    database = sqlite3.connect(data_dir / "cheeseshop.sqlite3")
    refreshes = (
        "SELECT count(*) FROM django_tasks_database_dbtaskresult "
        "WHERE task_path LIKE '%refresh_tuf' AND status = 'READY'"
    )
    # The queue lost the pending refresh (a Redis gone), and the time it was due has passed.
    with database:
        database.execute(
            "DELETE FROM django_tasks_database_dbtaskresult WHERE task_path LIKE '%refresh_tuf'"
        )
        database.execute("UPDATE tuf_tufrepository SET refresh_scheduled_for = NULL")
    assert database.execute(refreshes).fetchone() == (0,)

    refreshed = _run(data_dir, "refresh")

    assert refreshed.returncode == 0, refreshed.stderr
    assert database.execute(refreshes).fetchone() == (1,)
