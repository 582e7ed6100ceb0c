"""Signing on a key holder's own machine, which has no index, data directory or database.

The operator hands the holder a copy of ``METADATA_DIR/pending/ROLE.json``; ``sign_offline``
adds the holder's signatures to it, and the operator imports the file
(``cheeseshop tuf sign --role ROLE --signed-file FILE``), where only valid signatures by keys
the role accepts count. Nothing here touches Django's models.
"""

from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext as _

from cheeseshop.tuf import keys
from cheeseshop.tuf.errors import TufError
from tuf.api.metadata import Metadata
from tuf.api.serialization.json import JSONSerializer

# Metadata waiting for signatures is indented: key holders read what they sign.
PENDING_SERIALIZER = JSONSerializer(compact=False)


@dataclass
class OfflineSignature:
    role_type: str
    version: int
    expires: str
    signed_by: list[str]
    summary: list[str]


def read_metadata_file(path: Path) -> Metadata:
    try:
        return Metadata.from_bytes(path.read_bytes())
    except OSError as exc:
        raise TufError(
            _("Cannot read %(file)s: %(reason)s") % {"file": path, "reason": exc.strerror}
        ) from exc
    except Exception as exc:  # python-tuf raises several types for malformed metadata
        raise TufError(
            _("%(file)s is not TUF metadata: %(reason)s") % {"file": path, "reason": exc}
        ) from exc


def sign_offline(signed_file: Path, keys_dir: Path) -> OfflineSignature:
    """On a key holder's own machine, without the index's database: add a signature from
    every key in ``keys_dir`` to a copy of pending metadata, in place.

    Which signatures count is decided when the operator imports the file
    (``tuf sign --role ROLE --signed-file FILE``); the summary says what is being signed so
    the holder can check it first.
    """
    md = read_metadata_file(signed_file)
    signers = keys.load_offline_signers(keys_dir.expanduser().resolve())
    if not signers:
        raise TufError(_("There is no private key (*.pem) in %(dir)s.") % {"dir": keys_dir})
    for signer in signers:
        md.sign(signer, append=True)
    signed_file.write_bytes(md.to_bytes(PENDING_SERIALIZER))
    return OfflineSignature(
        role_type=md.signed.type,
        version=md.signed.version,
        expires=f"{md.signed.expires:%Y-%m-%d %H:%M:%SZ}",
        signed_by=[signer.public_key.keyid for signer in signers],
        summary=describe(md),
    )


def describe(md: Metadata) -> list[str]:
    """What an offline role delegates to whom: what a key holder should check before signing."""
    signed = md.signed
    if signed.type == "root":
        return [
            f"{role}: threshold {info.threshold}, keys {', '.join(sorted(info.keyids))}"
            for role, info in sorted(signed.roles.items())
        ]
    delegations = signed.delegations
    if delegations is None:
        return []
    lines = []
    for name, info in (delegations.roles or {}).items():
        lines.append(f"{name}: threshold {info.threshold}, keys {', '.join(sorted(info.keyids))}")
    if delegations.succinct_roles is not None:
        succinct = delegations.succinct_roles
        lines.append(
            f"{succinct.name_prefix}-*: {2**succinct.bit_length} bins, threshold "
            f"{succinct.threshold}, keys {', '.join(sorted(succinct.keyids))}"
        )
    return lines
