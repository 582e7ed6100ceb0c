"""Keys: offline keys as PEM files in an operator's keys directory, the online key by URI.

Offline keys (root, targets, bins) live in ``--keys-dir``, never in the data directory, as
``<role>-<keyid>.pem`` (unencrypted PKCS#8, mode 0600: keep the directory on encrypted,
removable media). The online key (bin-n, snapshot, timestamp) is whatever
``Signer.from_priv_key_uri`` reads from CHEESESHOP_TUF_ONLINE_KEY_URI; by default a file in the
data directory. Every node that publishes needs it: a file on a volume they share, a PEM in an
environment variable (``envvar:NAME``, registered here), or a KMS/HSM/Vault key.
"""

import hashlib
import json
import os
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.serialization import load_pem_private_key, load_pem_public_key
from django.conf import settings
from django.utils.translation import gettext as _
from securesystemslib.formats import encode_canonical
from securesystemslib.signer import SIGNER_FOR_URI_SCHEME, CryptoSigner, Signer, SSlibKey

from cheeseshop.errors import Invalid
from cheeseshop.tuf.errors import TufError

OFFLINE_ROLES = ("root", "targets", "bins")


class KeysError(Invalid):
    """A keys directory or key file the command cannot use."""


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def check_keys_dir(keys_dir: Path) -> Path:
    """Refuse a keys directory inside the data directory: offline keys must stay offline."""
    resolved = keys_dir.expanduser().resolve()
    data_dir = Path(settings.DATA_DIR).resolve()
    if resolved == data_dir or resolved.is_relative_to(data_dir):
        raise KeysError(
            _(
                "The keys directory %(dir)s is inside the data directory %(data)s; offline "
                "keys must be kept apart from the server (rule: offline keys stay offline)."
            )
            % {"dir": resolved, "data": data_dir}
        )
    return resolved


def generate_offline_key(keys_dir: Path, role: str) -> CryptoSigner:
    """A new Ed25519 key for ``role``, written as ``<role>-<keyid>.pem`` plus its ``.pub``."""
    signer = CryptoSigner.generate_ed25519()
    keyid = signer.public_key.keyid
    _write_private(keys_dir / f"{role}-{keyid}.pem", signer.private_bytes)
    public = {"keyid": keyid, **signer.public_key.to_dict()}
    (keys_dir / f"{role}-{keyid}.pub").write_text(json.dumps(public, indent=2) + "\n")
    return signer


def load_offline_signers(keys_dir: Path) -> list[CryptoSigner]:
    """Every private key in the keys directory (possibly none), whatever its file name.

    Which of them may sign a role is decided by the metadata (``authorised_keyids``), not by
    the file names, so a key holder can bring a key file named as they like.
    """
    signers = []
    for pem in sorted(keys_dir.glob("*.pem")):
        if pem.read_bytes().lstrip().startswith(b"-----BEGIN PUBLIC KEY-----"):
            continue  # a holder's exported public key, kept beside the private one
        try:
            private_key = load_pem_private_key(pem.read_bytes(), password=None)
        except (ValueError, TypeError) as exc:
            raise KeysError(
                _("%(file)s is not an unencrypted PEM private key: %(reason)s")
                % {"file": pem, "reason": exc}
            ) from exc
        signers.append(CryptoSigner(private_key))  # type: ignore[arg-type]
    return signers


def load_public_key_file(path: Path) -> SSlibKey:
    """A public key given to ``tuf init`` by a key holder: a PEM ``PUBLIC KEY`` (what HSMs,
    KMSs and ``openssl pkey -pubout`` export) or the JSON ``.pub`` file this module writes."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise KeysError(
            _("Cannot read the public key %(file)s: %(reason)s")
            % {"file": path, "reason": exc.strerror}
        ) from exc
    try:
        if data.lstrip().startswith(b"-----BEGIN PUBLIC KEY-----"):
            return SSlibKey.from_crypto(load_pem_public_key(data))
        return public_key_from_dict(json.loads(data))
    except (ValueError, KeyError, TypeError, UnsupportedAlgorithm) as exc:
        raise KeysError(
            _(
                "%(file)s is not a public key: give a PEM “PUBLIC KEY” file or a key JSON "
                "file with keyid, keytype, scheme and keyval."
            )
            % {"file": path}
        ) from exc


def retire_offline_key(keys_dir: Path, keyid: str, role: str) -> None:
    """Move a replaced key out of the way (kept: it may be needed to audit old metadata)."""
    retired = keys_dir / "retired"
    retired.mkdir(exist_ok=True)
    for suffix in (".pem", ".pub"):
        path = keys_dir / f"{role}-{keyid}{suffix}"
        if path.exists():
            path.rename(retired / path.name)


def public_key_from_dict(data: dict) -> SSlibKey:
    """A key from its JSON form; the keyid is TUF's (sha256 of the canonical key) if absent."""
    data = dict(data)
    keyid = data.pop("keyid", None) or _default_keyid(data)
    return SSlibKey.from_dict(keyid, data)


def _default_keyid(data: dict) -> str:
    return hashlib.sha256(encode_canonical(data).encode()).hexdigest()


def public_key_to_dict(key: SSlibKey) -> dict:
    return {"keyid": key.keyid, **key.to_dict()}


def generate_online_key() -> CryptoSigner:
    return CryptoSigner.generate_ed25519()


def online_key_file() -> Path | None:
    """The online key's file when CHEESESHOP_TUF_ONLINE_KEY_URI is a ``file2:`` URI."""
    uri = settings.CHEESESHOP_TUF_ONLINE_KEY_URI
    if not uri.startswith(f"{CryptoSigner.SCHEME}:"):
        return None
    return Path(uri.split(":", 1)[1])


def store_online_key_file(signer: CryptoSigner) -> None:
    """Write the online key to its file (mode 0600), moving any previous one aside."""
    path = online_key_file()
    _move_aside(path, signer.public_key.keyid)
    _write_private(path, signer.private_bytes)


def staged_online_key_file() -> Path:
    """Where a new online key waits while its rotation waits for offline signatures."""
    path = online_key_file()
    return path.with_name(f"{path.name}.next")


def stage_online_key(signer: CryptoSigner) -> None:
    staged = staged_online_key_file()
    staged.unlink(missing_ok=True)
    _write_private(staged, signer.private_bytes)


def install_staged_online_key(keyid: str) -> None:
    """Make the staged key the online key (the rotation's metadata is being published)."""
    path = online_key_file()
    _move_aside(path, keyid)
    staged_online_key_file().rename(path)


def restore_replaced_online_key(keyid: str) -> None:
    """Undo ``install_staged_online_key`` (its transaction did not commit): the new key goes
    back to waiting, the one it replaced back in place."""
    path = online_key_file()
    path.rename(staged_online_key_file())
    replaced = _replaced_name(path, keyid)
    if replaced.exists():
        replaced.rename(path)


def _replaced_name(path: Path, new_keyid: str) -> Path:
    return path.with_name(f"{path.name}.replaced-{new_keyid[:12]}")


def _move_aside(path: Path, new_keyid: str) -> None:
    if path.exists():
        path.rename(_replaced_name(path, new_keyid))


def read_file_online_key() -> SSlibKey | None:
    """The public key of the configured online key when it is a file2: key that exists."""
    path = online_key_file()
    if path is None or not path.exists():
        return None
    return CryptoSigner(load_pem_private_key(path.read_bytes(), password=None)).public_key  # type: ignore[arg-type]


class OnlineKeyError(TufError):
    """The online key cannot be loaded or cannot sign: nothing online can be published."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(
            _(
                "The TUF online key (CHEESESHOP_TUF_ONLINE_KEY_URI, scheme “%(scheme)s”) cannot "
                "sign: %(reason)s"
            )
            % {"scheme": online_key_scheme(), "reason": reason}
        )


def online_key_scheme() -> str:
    """The online key URI's scheme: what may be said of it (its path or id may be private)."""
    return settings.CHEESESHOP_TUF_ONLINE_KEY_URI.partition(":")[0]


def failure_reason(exc: BaseException) -> str:
    """One line on why a signer failed: its exception's type and first line."""
    if isinstance(exc, KeyError):  # a missing environment variable: its name alone
        return _("the environment variable %(name)s is not set") % {"name": exc.args[0]}
    text = " ".join(str(part) for part in exc.args) if exc.args else str(exc)
    first = text.strip().splitlines()[0] if text.strip() else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def online_signer(public_key: dict) -> Signer:
    """The signer for bin-n, snapshot and timestamp, from CHEESESHOP_TUF_ONLINE_KEY_URI; raises
    OnlineKeyError when the key cannot be loaded or is not the key the metadata trusts."""
    try:
        return Signer.from_priv_key_uri(
            settings.CHEESESHOP_TUF_ONLINE_KEY_URI, public_key_from_dict(public_key)
        )
    except Exception as exc:  # each signer library raises its own types
        raise OnlineKeyError(failure_reason(exc)) from exc


PROBE_PAYLOAD = b"cheeseshop: can the online key sign?"


def check_online_signer(public_key: dict) -> None:
    """Load the online key and sign a test payload that must verify against the public key
    the metadata names; raises OnlineKeyError saying why not."""
    signer = online_signer(public_key)
    try:
        signature = signer.sign(PROBE_PAYLOAD)
        public_key_from_dict(public_key).verify_signature(signature, PROBE_PAYLOAD)
    except Exception as exc:  # each signer library raises its own types
        raise OnlineKeyError(failure_reason(exc)) from exc


class EnvironmentKeySigner(CryptoSigner):
    """``envvar:NAME``: the online key as a PEM private key in the environment variable NAME
    (a container secret given to every worker)."""

    SCHEME = "envvar"

    @classmethod
    def from_priv_key_uri(cls, priv_key_uri: str, public_key, secrets_handler=None):
        name = priv_key_uri.partition(":")[2]
        private_key = load_pem_private_key(os.environ[name].encode(), password=None)
        return CryptoSigner(private_key, public_key)  # type: ignore[arg-type]


SIGNER_FOR_URI_SCHEME.setdefault(EnvironmentKeySigner.SCHEME, EnvironmentKeySigner)
