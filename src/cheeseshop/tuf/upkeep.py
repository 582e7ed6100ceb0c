"""Looking after a running repository: ``tuf status``, ``tuf gc`` and ``tuf verify`` (an
ngclient pinned to the trust anchor downloads and checks targets, as a client would)."""

import re
import tempfile
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cheeseshop.audit.models import EventTag
from cheeseshop.tuf import conf, keys, repository, store
from cheeseshop.tuf.ceremony import audit, online_rotation_pending, require_initialised
from cheeseshop.tuf.models import TufRepository, TufRole, TufTarget
from cheeseshop.tuf.repository import utcnow

OFFLINE_WARNING = timedelta(days=30)


VERSIONED_FILE = re.compile(r"\A([0-9]+)\.(.+)\.json\Z")


@dataclass
class Status:
    lines: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # Something stops publishing (the online key cannot sign): the command exits non-zero.
    failed: bool = False


def _pending_lines() -> list[str]:
    lines = []
    for role in repository.pending_roles():
        md = repository.read_pending(role)
        if repository.threshold_met(role, md):
            message = _("%(role)s version %(version)d is signed and waits for the other roles")
        else:
            message = _("%(role)s version %(version)d waits for signatures: %(progress)s")
        lines.append(
            message
            % {
                "role": role,
                "version": md.signed.version,
                "progress": repository.signature_progress(role, md),
            }
        )
    return lines


def status() -> Status:
    result = Status()
    state = TufRepository.objects.first()
    if state is None:
        if repository.initialisation_pending():
            result.lines.extend(_pending_lines())
            result.warnings.append(
                _(
                    "TUF initialisation waits for signatures: key holders run “cheeseshop tuf "
                    "sign --role ROLE --keys-dir DIR”."
                )
            )
        else:
            result.warnings.append(_("TUF is not initialised: run “cheeseshop tuf init”."))
        return result
    now = utcnow()
    bins = TufRole.objects.filter(name__startswith=f"{conf.BIN_PREFIX}-")
    result.lines.append(f"metadata: {len(store.published())} documents in the database")
    result.lines.append(f"bins: {2**state.bit_length} (bit length {state.bit_length})")
    result.lines.append(f"targets: {TufTarget.objects.count()}")
    result.lines.append(f"pending (dirty) bins: {bins.filter(dirty=True).count()}")
    result.lines.append(f"online key: {state.online_key['keyid']} ({keys.online_key_scheme()}:)")
    try:
        keys.check_online_signer(state.online_key)
    except keys.OnlineKeyError as exc:
        result.lines.append(f"online key: cannot sign: {exc.reason}")
        result.warnings.append(str(exc))
        result.failed = True
    if store.read(store.TIMESTAMP) is None:
        result.warnings.append(
            _(
                "timestamp.json is not in the database: import the metadata directory of the "
                "earlier release with “cheeseshop tuf import DIR”."
            )
        )
        result.failed = True
    for role in TufRole.objects.filter(name__in=repository.TOP_LEVEL_ROLES).order_by("name"):
        result.lines.append(
            f"{role.name}: version {role.version}, expires {role.expires:%Y-%m-%d %H:%M:%SZ}"
        )
        if role.name in keys.OFFLINE_ROLES and role.expires - now < OFFLINE_WARNING:
            result.warnings.append(
                _("%(role)s expires on %(date)s: run “cheeseshop tuf renew”.")
                % {"role": role.name, "date": f"{role.expires:%Y-%m-%d}"}
            )
        elif role.expires <= now:
            result.warnings.append(
                _("%(role)s has expired: is the worker running the refresh?") % {"role": role.name}
            )
    expired_bins = bins.filter(expires__lte=now).count()
    if expired_bins:
        result.warnings.append(_("%(n)d bins have expired.") % {"n": expired_bins})
    result.lines.extend(_pending_lines())
    if online_rotation_pending():
        result.warnings.append(
            _(
                "An online key rotation waits for signatures on root and bins; the index signs "
                "with the current key until both are complete."
            )
        )
    for role in repository.pending_roles():
        result.warnings.append(
            _("%(role)s is pending signatures (cheeseshop tuf sign --role %(role)s).")
            % {"role": role}
        )
    return result


def gc(min_age_seconds: int = 3600) -> list[str]:
    """Delete metadata older than the current consistent set and older than ``min_age``.

    Old root versions are never deleted: clients walk them to reach the current root.
    """
    require_initialised()
    current = dict(TufRole.objects.values_list("name", "version"))
    cutoff = timezone.now() - timedelta(seconds=min_age_seconds)
    removed = []
    for name, created in store.published():
        match = VERSIONED_FILE.match(name)
        if match is None or match[2] == "root":
            continue
        version, role = int(match[1]), unquote(match[2])
        if version >= current.get(role, version + 1) and role in current:
            continue
        if created > cutoff:
            continue
        removed.append(name)
    if removed:
        with transaction.atomic():
            store.delete_many(removed)
            audit(EventTag.TUF_GC, {"removed": len(removed)})
    return removed


@dataclass
class VerifyReport:
    checked: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def verify(base_url: str, trusted_root: bytes, paths: list[str], fetcher=None) -> VerifyReport:
    """Refresh an ngclient Updater pinned to ``trusted_root`` against the index at
    ``base_url`` and download and verify each target path."""
    from tuf.ngclient import Updater

    report = VerifyReport()
    base = base_url.rstrip("/")
    with tempfile.TemporaryDirectory(prefix="cheeseshop-tuf-verify-") as work:
        metadata = Path(work) / "metadata"
        targets = Path(work) / "targets"
        metadata.mkdir()
        targets.mkdir()
        updater = Updater(
            str(metadata),
            f"{base}/tuf/",
            str(targets),
            f"{base}/",
            fetcher=fetcher,
            bootstrap=trusted_root,
        )
        try:
            updater.refresh()
        except Exception as exc:
            report.failures.append(f"refresh: {type(exc).__name__}: {exc}")
            return report
        for path in paths:
            try:
                info = updater.get_targetinfo(path)
                if info is None:
                    report.failures.append(f"{path}: not a signed target")
                    continue
                updater.download_target(info)
                report.checked.append(path)
            except Exception as exc:
                report.failures.append(f"{path}: {type(exc).__name__}: {exc}")
    return report


def sample_target_paths(count: int) -> list[str]:
    return list(TufTarget.objects.order_by("?").values_list("path", flat=True)[:count])


def export(directory: Path, *, pending_only: bool = False) -> list[Path]:
    """Write metadata out as files for inspection, mirroring or a key holder: every root
    version, each role's current version and ``timestamp.json`` (unless ``pending_only``), and
    what waits for signatures, below ``pending/``."""
    names = store.names(store.PENDING)
    if not pending_only:
        current = TufRole.objects.exclude(name="timestamp").values_list("name", "version")
        names += [store.TIMESTAMP]
        names += [repository.metadata_filename(role, version) for role, version in current]
        names += store.names(suffix=".root.json")
    return store.export(directory, sorted(set(names)))


def import_directory(directory: Path) -> int:
    """Add the metadata files of a release before the database store (``cheeseshop tuf
    import``, for a node the upgrade's migration could not read them on)."""
    if not directory.is_dir():
        raise repository.TufError(
            _("%(dir)s is not a directory of TUF metadata.") % {"dir": directory}
        )
    versions = dict(TufRole.objects.values_list("name", "version"))
    with transaction.atomic():
        return store.import_files(directory, versions)


# The online key's loadability, per process: /_/ready may be asked every second, a KMS is not.
KEY_CHECK_SECONDS = 60
_key_checked: dict[tuple[str, str], tuple[float, str | None]] = {}


def health_problem() -> str | None:
    """The "tuf" health probe: None when TUF is off or can publish; else what stops it.
    A database that does not answer, or is not migrated yet, is the database probe's (and
    ``cheeseshop check``'s pending-migrations warning's) to report, not this one's."""
    try:
        state = TufRepository.objects.first()
    except DatabaseError:
        return None
    if state is None:
        return None
    problem = _online_key_problem(state.online_key)
    if problem is not None:
        return problem
    if not store.exists(store.TIMESTAMP):
        return "timestamp.json is not in the database (cheeseshop tuf import DIR)"
    timestamp = TufRole.objects.get(name="timestamp").expires
    # The refresh re-signs it CHEESESHOP_TUF_REFRESH_MARGIN ahead of expiry, every interval.
    if timestamp <= utcnow() + timedelta(seconds=settings.CHEESESHOP_TUF_REFRESH_INTERVAL):
        return (
            f"timestamp.json expires at {timestamp:%Y-%m-%d %H:%M:%SZ} and no worker has "
            "re-signed it (is a worker running, and can it sign?)"
        )
    return None


def _online_key_problem(public_key: dict) -> str | None:
    cache_key = (settings.CHEESESHOP_TUF_ONLINE_KEY_URI, public_key["keyid"])
    now = time.monotonic()
    checked = _key_checked.get(cache_key)
    if checked is not None and now - checked[0] < KEY_CHECK_SECONDS:
        return checked[1]
    try:
        keys.online_signer(public_key)
        problem = None
    except keys.OnlineKeyError as exc:
        problem = str(exc)
    _key_checked[cache_key] = (now, problem)
    return problem
