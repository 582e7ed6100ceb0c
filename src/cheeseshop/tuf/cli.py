"""``cheeseshop tuf ...``: the operator's TUF commands (docs/tuf-admin.md)."""

import argparse
from pathlib import Path


def _setup() -> None:
    from cheeseshop.cli import _migrate, _setup_django

    _setup_django()
    _migrate()


def _run(function) -> int:
    """Run a command, turning the repository's refusals into a message and exit code 1."""
    from cheeseshop.tuf.keys import KeysError
    from cheeseshop.tuf.repository import TufError

    try:
        return function()
    except (TufError, KeysError):
        return 1


def cmd_init(args: argparse.Namespace) -> int:
    _setup()
    from cheeseshop.tuf import operations

    def run() -> int:
        operations.init(
            Path(args.keys_dir),
            bit_length=args.bit_length,
            root_keys=args.root_keys,
            root_threshold=args.root_threshold,
            online_public_key=Path(args.online_public_key) if args.online_public_key else None,
        )
        return 0

    return _run(run)


def cmd_status(args: argparse.Namespace) -> int:
    _setup()
    from cheeseshop.tuf import operations

    result = operations.status()
    for _line in result.lines:
        pass
    for _warning in result.warnings:
        pass
    return 1 if not result.lines else 0


def cmd_refresh(args: argparse.Namespace) -> int:
    _setup()
    from cheeseshop.tuf import repository

    report = repository.publish(refresh=True)
    if report is None:
        return 1
    return 0


def cmd_renew(args: argparse.Namespace) -> int:
    _setup()
    from cheeseshop.tuf import operations

    def run() -> int:
        roles = tuple(args.role) if args.role else ("root", "targets", "bins")
        for _role, _published in operations.renew(Path(args.keys_dir), roles).items():
            pass
        return 0

    return _run(run)


def cmd_rotate_online_key(args: argparse.Namespace) -> int:
    _setup()
    from cheeseshop.tuf import operations

    def run() -> int:
        public = Path(args.online_public_key) if args.online_public_key else None
        operations.rotate_online_key(Path(args.keys_dir), public)
        return 0

    return _run(run)


def cmd_rotate_root(args: argparse.Namespace) -> int:
    _setup()
    from cheeseshop.tuf import operations

    def run() -> int:
        _version, _published = operations.rotate_root(
            Path(args.keys_dir), root_keys=args.root_keys, threshold=args.root_threshold
        )
        return 0

    return _run(run)


def cmd_sign(args: argparse.Namespace) -> int:
    _setup()
    from cheeseshop.tuf import operations

    def run() -> int:
        operations.sign(Path(args.keys_dir), args.role)
        return 0

    return _run(run)


def cmd_verify(args: argparse.Namespace) -> int:
    _setup()
    from cheeseshop.tuf import operations

    paths = list(args.target) or operations.sample_target_paths(args.sample)
    report = operations.verify(args.url, Path(args.root).read_bytes(), paths)
    for _path in report.checked:
        pass
    for _failure in report.failures:
        pass
    return 1 if report.failures else 0


def cmd_gc(args: argparse.Namespace) -> int:
    _setup()
    from cheeseshop.tuf import operations

    operations.gc(args.min_age)
    return 0


def add_tuf_commands(subparsers) -> None:
    """Add ``tuf`` and its actions to the ``cheeseshop`` command's subparsers."""
    tuf = subparsers.add_parser("tuf", help="TUF (PEP 458) signing: keys, metadata, checks")
    actions = tuf.add_subparsers(dest="tuf_command", required=True, metavar="ACTION")

    init = actions.add_parser("init", help="generate offline keys, sign and publish version 1")
    init.add_argument("--keys-dir", required=True, help="new directory for the offline keys")
    init.add_argument(
        "--bit-length",
        type=int,
        default=None,
        help="2**N bins (default CHEESESHOP_TUF_BIT_LENGTH, 14)",
    )
    init.add_argument("--root-keys", type=int, default=3, help="root keys to generate (3)")
    init.add_argument("--root-threshold", type=int, default=2, help="root threshold (2)")
    init.add_argument(
        "--online-public-key", default="", help="public key JSON of a KMS/HSM/Vault online key"
    )
    init.set_defaults(func=cmd_init)

    actions.add_parser("status", help="versions, expiries, pending work").set_defaults(
        func=cmd_status
    )
    actions.add_parser(
        "refresh", help="re-sign online roles near expiry (run from cron if needed)"
    ).set_defaults(func=cmd_refresh)

    renew = actions.add_parser("renew", help="re-sign offline roles for another year")
    renew.add_argument("--keys-dir", required=True)
    renew.add_argument("--role", action="append", choices=["root", "targets", "bins"])
    renew.set_defaults(func=cmd_renew)

    rotate_online = actions.add_parser("rotate-online-key", help="replace the online key")
    rotate_online.add_argument("--keys-dir", required=True)
    rotate_online.add_argument("--online-public-key", default="")
    rotate_online.set_defaults(func=cmd_rotate_online_key)

    rotate_root = actions.add_parser("rotate-root", help="replace the root keys")
    rotate_root.add_argument("--keys-dir", required=True)
    rotate_root.add_argument("--root-keys", type=int, default=None)
    rotate_root.add_argument("--root-threshold", type=int, default=None)
    rotate_root.set_defaults(func=cmd_rotate_root)

    sign = actions.add_parser("sign", help="add signatures to pending offline metadata")
    sign.add_argument("--keys-dir", required=True)
    sign.add_argument("--role", required=True, choices=["root", "targets", "bins"])
    sign.set_defaults(func=cmd_sign)

    verify = actions.add_parser("verify", help="verify the live index with python-tuf ngclient")
    verify.add_argument("--url", required=True, help="index base URL, e.g. https://pypi.example")
    verify.add_argument("--root", required=True, help="pinned root.json (e.g. KEYS/1.root.json)")
    verify.add_argument("--target", action="append", default=[], help="target path to check")
    verify.add_argument("--sample", type=int, default=20, help="random targets to check (20)")
    verify.set_defaults(func=cmd_verify)

    gc = actions.add_parser("gc", help="delete superseded metadata (never roots)")
    gc.add_argument("--min-age", type=int, default=3600, help="seconds (3600)")
    gc.set_defaults(func=cmd_gc)
