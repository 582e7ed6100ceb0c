"""``cheeseshop tuf ...``: the operator's TUF commands (docs/tuf-admin.md).

Results go to standard output, refusals (with the rule that failed) and warnings to standard
error; a refused command exits with status 1.
"""

import argparse
from pathlib import Path

from cheeseshop.console import complain, help_gettext, say, setup_django_offline, start_django

OFFLINE_ROLE_CHOICES = ["root", "targets", "bins"]


def _run(function, args: argparse.Namespace, *, offline: bool = False) -> int:
    """Set up Django, run a command, and turn the repository's refusals into a message on
    standard error and exit code 1."""
    if offline:
        setup_django_offline()
    else:
        start_django()
    from cheeseshop.tuf.errors import TufError
    from cheeseshop.tuf.keys import KeysError

    try:
        return function(args)
    except (TufError, KeysError) as exc:
        from django.utils.translation import gettext as _

        complain(_("error: %(reason)s") % {"reason": exc})
        return 1


def _say_pending(pending: dict[str, str]) -> None:
    from django.utils.translation import gettext as _

    for role, progress in pending.items():
        say(
            _("%(role)s waits for signatures (%(progress)s): cheeseshop tuf sign --role %(role)s")
            % {"role": role, "progress": progress}
        )


def _init(args: argparse.Namespace) -> int:
    from django.utils.translation import gettext as _

    from cheeseshop.tuf import initialisation

    specs = {
        role: initialisation.OfflineKeySpec(
            generate=getattr(args, f"{role}_keys"),
            threshold=getattr(args, f"{role}_threshold"),
            public_keys=tuple(Path(path) for path in getattr(args, f"{role}_public_key")),
        )
        for role in OFFLINE_ROLE_CHOICES
    }
    report = initialisation.init(
        Path(args.keys_dir),
        bit_length=args.bit_length,
        key_specs=specs,
        online_public_key=Path(args.online_public_key) if args.online_public_key else None,
    )
    for path in report.generated:
        say(_("offline key written: %(path)s") % {"path": path})
    if report.pending:
        _say_pending(report.pending)
        say(_("Nothing is published until every role above has a threshold of signatures."))
        return 0
    say(
        _("published version 1: %(bins)d bins, %(targets)d targets in %(seconds).2f s")
        % {"bins": report.bins, "targets": report.targets, "seconds": report.seconds}
    )
    say(
        _("trust anchor for clients: %(path)s (hand it to them out of band)")
        % {"path": report.trust_anchor}
    )
    return 0


def _status(args: argparse.Namespace) -> int:
    from django.utils.translation import gettext as _

    from cheeseshop.tuf import upkeep

    result = upkeep.status()
    for line in result.lines:
        say(line)
    for warning in result.warnings:
        complain(_("warning: %(message)s") % {"message": warning})
    return 0 if result.lines and not result.failed else 1


def _refresh(args: argparse.Namespace) -> int:
    from django.utils.translation import gettext as _

    from cheeseshop.tuf import repository
    from cheeseshop.tuf.tasks import schedule_refresh

    report = repository.publish(refresh=True)
    if report is None:
        raise repository.TufError(_("TUF is not initialised: run “cheeseshop tuf init” first."))
    # A chain of scheduled refreshes lost with the queue (Redis gone) starts again here.
    schedule_refresh()
    if report.timestamp_version is None:
        say(_("nothing to re-sign: every online role has time left"))
    else:
        say(
            _("re-signed %(bins)d bins; snapshot %(snapshot)s, timestamp %(timestamp)s")
            % {
                "bins": report.bins,
                "snapshot": report.snapshot_version or "-",
                "timestamp": report.timestamp_version,
            }
        )
    return 0


def _renew(args: argparse.Namespace) -> int:
    from django.utils.translation import gettext as _

    from cheeseshop.tuf import ceremony, signing

    roles = tuple(args.role) if args.role else tuple(OFFLINE_ROLE_CHOICES)
    results = signing.renew(Path(args.keys_dir), roles)
    for role, published in results.items():
        if published:
            say(_("%(role)s renewed for a year") % {"role": role})
    _say_pending(ceremony.pending_progress())
    return 0


def _rotate_online_key(args: argparse.Namespace) -> int:
    from django.utils.translation import gettext as _

    from cheeseshop.tuf import rotation

    public = Path(args.online_public_key) if args.online_public_key else None
    report = rotation.rotate_online_key(Path(args.keys_dir), public)
    if report.published:
        say(
            _("online key is now %(keyid)s (root version %(version)d); every bin re-signed")
            % {"keyid": report.new_keyid, "version": report.root_version}
        )
    else:
        _say_pending(report.pending)
        say(_("The index signs with the current online key until root and bins are complete."))
    return 0


def _rotate_root(args: argparse.Namespace) -> int:
    from django.utils.translation import gettext as _

    from cheeseshop.tuf import ceremony, rotation

    rotated = rotation.rotate_root(
        Path(args.keys_dir), root_keys=args.root_keys, threshold=args.root_threshold
    )
    version = rotated.version
    if rotated.published:
        say(_("root version %(version)d published with the new root keys") % {"version": version})
    else:
        _say_pending(ceremony.pending_progress())
    return 0


def _sign(args: argparse.Namespace) -> int:
    from django.utils.translation import gettext as _

    from cheeseshop.tuf import signing

    if args.signed_file:
        report = signing.import_signatures(args.role, Path(args.signed_file))
    else:
        report = signing.sign(Path(args.keys_dir), args.role)
    say(
        _("added %(count)d signature(s) to %(role)s")
        % {"count": report.added, "role": report.role}
    )
    if report.published:
        say(_("%(role)s published") % {"role": report.role})
    if report.trust_anchor is not None:
        say(
            _("published version 1; trust anchor for clients: %(path)s")
            % {"path": report.trust_anchor}
        )
    _say_pending(report.pending)
    return 0


def _sign_offline(args: argparse.Namespace) -> int:
    from django.utils.translation import gettext as _

    from cheeseshop.tuf import offline

    result = offline.sign_offline(Path(args.file), Path(args.keys_dir))
    say(
        _("signed %(type)s version %(version)d (expires %(expires)s) with %(keyids)s")
        % {
            "type": result.role_type,
            "version": result.version,
            "expires": result.expires,
            "keyids": ", ".join(result.signed_by),
        }
    )
    for line in result.summary:
        say(f"  {line}")
    say(
        _("Return %(file)s to the operator: cheeseshop tuf sign --role ROLE --signed-file FILE")
        % {"file": args.file}
    )
    return 0


def _abandon(args: argparse.Namespace) -> int:
    from django.utils.translation import gettext as _

    from cheeseshop.tuf import signing

    roles = signing.abandon()
    say(_("abandoned: %(roles)s") % {"roles": ", ".join(roles) or "-"})
    return 0


def _verify(args: argparse.Namespace) -> int:
    from django.utils.translation import gettext as _

    from cheeseshop.tuf import repository, upkeep

    try:
        trusted_root = Path(args.root).read_bytes()
    except OSError as exc:
        raise repository.TufError(
            _("Cannot read the trusted root %(path)s: %(reason)s")
            % {"path": args.root, "reason": exc.strerror}
        ) from exc
    paths = list(args.target) or upkeep.sample_target_paths(args.sample)
    report = upkeep.verify(args.url, trusted_root, paths)
    for path in report.checked:
        say(_("verified %(path)s") % {"path": path})
    for failure in report.failures:
        complain(_("FAILED %(failure)s") % {"failure": failure})
    say(
        _("%(ok)d verified, %(failed)d failed")
        % {"ok": len(report.checked), "failed": len(report.failures)}
    )
    return 1 if report.failures else 0


def _gc(args: argparse.Namespace) -> int:
    from django.utils.translation import gettext as _

    from cheeseshop.tuf import upkeep

    removed = upkeep.gc(args.min_age)
    say(_("removed %(count)d superseded metadata files") % {"count": len(removed)})
    return 0


def _export(args: argparse.Namespace) -> int:
    from django.utils.translation import gettext as _

    from cheeseshop.tuf import upkeep

    written = upkeep.export(Path(args.directory), pending_only=args.pending)
    say(
        _("wrote %(count)d metadata files into %(dir)s")
        % {"count": len(written), "dir": args.directory}
    )
    for path in written:
        if path.parent.name == "pending":
            say(_("waiting for signatures: %(path)s") % {"path": path})
    return 0


def _import(args: argparse.Namespace) -> int:
    from django.utils.translation import gettext as _

    from cheeseshop.tuf import store, upkeep

    directory = Path(args.directory) if args.directory else store.legacy_directory()
    count = upkeep.import_directory(directory)
    say(_("imported %(count)d metadata files from %(dir)s") % {"count": count, "dir": directory})
    return 0


def _command(function, *, offline: bool = False):
    return lambda args: _run(function, args, offline=offline)


def _add_offline_key_options(parser: argparse.ArgumentParser) -> None:
    _ = help_gettext()  # --help: printed before Django starts
    for role, keys, threshold in (("root", 3, 2), ("targets", 2, 2), ("bins", 2, 2)):
        parser.add_argument(
            f"--{role}-keys",
            type=int,
            default=None,
            # Translators: %(role)s is a TUF role's name (root, targets, bins), not translated.
            help=_("%(role)s keys to generate (%(keys)d; 0 when --%(role)s-public-key is given)")
            % {"role": role, "keys": keys},
        )
        parser.add_argument(
            f"--{role}-threshold",
            type=int,
            default=None,
            # Translators: %(role)s is a TUF role's name (root, targets, bins), not translated.
            help=_("signatures %(role)s needs (%(threshold)d, at most the number of keys)")
            % {"role": role, "threshold": threshold},
        )
        parser.add_argument(
            f"--{role}-public-key",
            action="append",
            default=[],
            metavar="FILE",
            # Translators: %(role)s is a TUF role's name (root, targets, bins), not translated.
            help=_("public key (PEM or JSON) of a %(role)s key held elsewhere; repeatable")
            % {"role": role},
        )


def _add_metadata_file_commands(actions) -> None:
    """``export`` and ``import``: metadata as files, out of and into the database."""
    _ = help_gettext()  # --help: printed before Django starts
    export = actions.add_parser(
        "export",
        help=_("write the current metadata (and what waits for signatures) as files into DIR"),
    )
    export.add_argument("directory", metavar="DIR")
    export.add_argument(
        "--pending",
        action="store_true",
        help=_("only what waits for signatures (DIR/pending/ROLE.json, for key holders)"),
    )
    export.set_defaults(func=_command(_export))

    import_ = actions.add_parser(
        "import",
        help=_("add metadata files an earlier release kept on disk (CHEESESHOP_TUF_METADATA_DIR)"),
    )
    import_.add_argument(
        "directory", metavar="DIR", nargs="?", help=_("default: CHEESESHOP_TUF_METADATA_DIR")
    )
    import_.set_defaults(func=_command(_import))


def add_tuf_commands(subparsers) -> None:
    """Add ``tuf`` and its actions to the ``cheeseshop`` command's subparsers."""
    _ = help_gettext()  # --help: printed before Django starts
    tuf = subparsers.add_parser("tuf", help=_("TUF (PEP 458) signing: keys, metadata, checks"))
    actions = tuf.add_subparsers(dest="tuf_command", required=True, metavar="ACTION")

    init = actions.add_parser(
        "init",
        help=_("generate offline keys, sign and publish version 1 (or wait for signatures)"),
    )
    init.add_argument(
        "--keys-dir",
        required=True,
        help=_("new directory for the offline keys (not the data dir)"),
    )
    init.add_argument(
        "--bit-length",
        type=int,
        default=None,
        help=_("2**N bins (default CHEESESHOP_TUF_BIT_LENGTH, 14)"),
    )
    _add_offline_key_options(init)
    init.add_argument(
        "--online-public-key", default="", help=_("public key of a KMS/HSM/Vault online key")
    )
    init.set_defaults(func=_command(_init))

    actions.add_parser(
        "status",
        help=_("versions, expiries, pending work, signatures, whether the online key signs"),
    ).set_defaults(func=_command(_status))
    actions.add_parser(
        "refresh", help=_("re-sign online roles near expiry (run from cron if needed)")
    ).set_defaults(func=_command(_refresh))

    renew = actions.add_parser("renew", help=_("re-sign offline roles for another year"))
    renew.add_argument("--keys-dir", required=True)
    renew.add_argument("--role", action="append", choices=OFFLINE_ROLE_CHOICES)
    renew.set_defaults(func=_command(_renew))

    rotate_online = actions.add_parser(
        "rotate-online-key", help=_("replace the online key (needs root and bins signatures)")
    )
    rotate_online.add_argument("--keys-dir", required=True)
    rotate_online.add_argument(
        "--online-public-key", default="", help=_("public key of the new KMS/HSM/Vault key")
    )
    rotate_online.set_defaults(func=_command(_rotate_online_key))

    rotate_root = actions.add_parser("rotate-root", help=_("replace the root keys"))
    rotate_root.add_argument("--keys-dir", required=True)
    rotate_root.add_argument("--root-keys", type=int, default=None)
    rotate_root.add_argument("--root-threshold", type=int, default=None)
    rotate_root.set_defaults(func=_command(_rotate_root))

    sign = actions.add_parser("sign", help=_("add signatures to metadata waiting for them"))
    sign.add_argument("--role", required=True, choices=OFFLINE_ROLE_CHOICES)
    source = sign.add_mutually_exclusive_group(required=True)
    source.add_argument("--keys-dir", help=_("directory holding your key (*.pem)"))
    source.add_argument(
        "--signed-file", help=_("a copy of the pending metadata a holder signed with sign-offline")
    )
    sign.set_defaults(func=_command(_sign))

    sign_offline = actions.add_parser(
        "sign-offline",
        help=_("on a key holder's machine (no index needed): sign a copy of pending metadata"),
    )
    sign_offline.add_argument(
        "file", help=_("pending/ROLE.json as “tuf export --pending” wrote it; signed in place")
    )
    sign_offline.add_argument("--keys-dir", required=True, help=_("directory holding your key"))
    sign_offline.set_defaults(func=_command(_sign_offline, offline=True))

    actions.add_parser(
        "abandon", help=_("drop metadata waiting for signatures (and a staged online key)")
    ).set_defaults(func=_command(_abandon))

    verify = actions.add_parser("verify", help=_("verify the live index with python-tuf ngclient"))
    verify.add_argument(
        "--url", required=True, help=_("index base URL, e.g. https://pypi.example")
    )
    verify.add_argument(
        "--root", required=True, help=_("pinned root.json (e.g. KEYS/1.root.json)")
    )
    verify.add_argument("--target", action="append", default=[], help=_("target path to check"))
    verify.add_argument("--sample", type=int, default=20, help=_("random targets to check (20)"))
    verify.set_defaults(func=_command(_verify))

    _add_metadata_file_commands(actions)

    gc = actions.add_parser("gc", help=_("delete superseded metadata (never roots)"))
    gc.add_argument("--min-age", type=int, default=3600, help=_("seconds (3600)"))
    gc.set_defaults(func=_command(_gc))
