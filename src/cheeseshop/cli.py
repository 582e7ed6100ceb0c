"""The ``cheeseshop`` command."""

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cheeseshop.audit.cli import add_audit_commands
from cheeseshop.console import migrate, setup_django
from cheeseshop.tuf.cli import add_tuf_commands

SETTINGS_HELP = """\
settings (environment variables, all optional):
  CHEESESHOP_DATA_DIR            data directory: SQLite file, stored files, secret key
                                 (default ./cheeseshop-data)
  CHEESESHOP_DATABASE_URL        database, e.g. postgresql://user@host/db (default: SQLite
                                 in the data directory)
  CHEESESHOP_DATABASE_TRANSACTION_POOLING  the database URL leads to a transaction pooler
                                 (PgBouncer pool_mode=transaction): no server-side cursors
                                 (false)
  CHEESESHOP_SECRET_KEY          secret key (default: generated once into the data directory)
  CHEESESHOP_SECRET_KEY_FALLBACKS  comma-separated earlier secret keys, accepted until
                                 `cheeseshop reseal` has run after a rotation
  CHEESESHOP_FILES_DIR           where distribution files are stored (default DATA_DIR/files)
  CHEESESHOP_FILES_STORAGE       Django storage class for files, e.g.
                                 storages.backends.s3.S3Storage
  CHEESESHOP_FILES_URL           where files are downloaded from when not from this index
                                 (a CDN or bucket with FILES_DIR's layout; default: /packages/)
  CHEESESHOP_TASKS_BACKEND       background tasks: database (default; `serve` runs the worker),
                                 immediate, or a Django Tasks backend path
  CHEESESHOP_CACHE_URL           cache: locmem:// (default) or redis://host:port/db
  CHEESESHOP_BASE_URL            the index's address, scheme://host[:port]: every absolute URL
                                 it writes (emails, JSON API) uses it (default: what serve
                                 prints)
  CHEESESHOP_ALLOWED_HOSTS       comma-separated host names the server answers (default: the
                                 base URL's host when CHEESESHOP_BASE_URL is set, else *)
  CHEESESHOP_CSRF_TRUSTED_ORIGINS  comma-separated origins, e.g. https://pypi.example.com
  CHEESESHOP_BEHIND_PROXY        trust X-Forwarded-Proto/-For from a reverse proxy (false)
  CHEESESHOP_PROXY_HOPS          proxies appending to X-Forwarded-For in front (1 behind a proxy)
  CHEESESHOP_HTTPS               served over HTTPS: secure cookies, HSTS, redirects (false)
  CHEESESHOP_EMAIL_URL           smtp://, smtp+tls:// or smtps:// URL (default: emails are
                                 written to DATA_DIR/outbox and their links logged)
  CHEESESHOP_EMAIL_FROM          sender address of the index's emails
  CHEESESHOP_LOGIN_LIMIT         failed logins per account and per IP ("10 per 5 minutes")
  CHEESESHOP_SIGNUP_LIMIT        sign-ups per IP ("10 per hour")
  CHEESESHOP_PASSWORD_RESET_LIMIT  reset requests per address and per IP ("5 per day")
  CHEESESHOP_EMAIL_VERIFY_LIMIT  verification emails per user ("3 per 6 hours")
  CHEESESHOP_RATELIMIT_STORAGE   database:// (default) or redis://host:port/db
  CHEESESHOP_2FA_USER_LIMIT      failed second-factor codes per account ("5 per 5 minutes")
  CHEESESHOP_2FA_IP_LIMIT        failed second-factor codes per IP ("10 per 5 minutes")
  CHEESESHOP_MANAGE_REQUIRES_2FA management pages and token creation need 2FA (true)
  CHEESESHOP_WEBAUTHN_ALLOW_INSECURE_ORIGIN  WebAuthn over plain HTTP (false; never public)
  CHEESESHOP_AUDIT_RETENTION_DAYS  days audit events are kept (0 = forever); `cheeseshop
                                 audit expire` applies it, `audit verify` checks the chain
  CHEESESHOP_AUDIT_STORE_IP_PREFIX keep the /24 or /48 network of IPs beside the hash (false)
  CHEESESHOP_TUF_BIT_LENGTH      TUF hashed bins: 2**N online bin roles (14)
  CHEESESHOP_TUF_ONLINE_KEY_URI  signer URI of TUF's online key (default: a key file in
                                 DATA_DIR/tuf)
  CHEESESHOP_TUF_METADATA_DIR    where TUF metadata is written (default DATA_DIR/tuf/metadata)
  CHEESESHOP_TUF_REFRESH_INTERVAL  seconds between re-signing runs of online roles (3600)
  CHEESESHOP_TUF_REFRESH_MARGIN  online roles expiring within this are re-signed (43200)
  CHEESESHOP_TUF_TIMESTAMP_MAX_AGE  seconds clients may cache timestamp.json (60)
  CHEESESHOP_TUF_PURGE_HOOK      dotted path of a callable given the URLs each publish changed
  CHEESESHOP_MAX_FILE_SIZE       largest accepted distribution file, bytes (104857600)
  CHEESESHOP_MAX_PROJECT_SIZE    largest total size of one project, bytes (10737418240)
  CHEESESHOP_MAX_FORM_SIZE       largest request body other than an upload's file, bytes
                                 (4194304)
  CHEESESHOP_REQUEST_BODY_MIN_RATE  bytes a second a request body must average once its
                                 grace period is over, or it is cut off (8192)
  CHEESESHOP_REQUEST_BODY_GRACE  seconds a request body gets before its rate counts (10)
  CHEESESHOP_MAX_METADATA_SIZE   largest core metadata (METADATA, PKG-INFO), bytes (1048576)
  CHEESESHOP_DESCRIPTION_RENDER_TIMEOUT  seconds to render a description at upload; slower
                                 ones are shown as plain text (2)
  CHEESESHOP_DESCRIPTION_RENDER_MAX_SIZE  larger descriptions (characters) are shown as
                                 plain text (524288)
  CHEESESHOP_UPLOAD_REQUIRES_2FA uploaders need two-factor authentication (true)
  CHEESESHOP_TOKEN_PREFIX        API token prefix (pypi-)
  CHEESESHOP_TOKEN_LOCATION      the location tokens name (macaroon location; cheeseshop)
  CHEESESHOP_SECRET_SCANNING_KEYS  JSON file of GitHub's secret-scanning public keys; enables
                                 POST /_/secrets/disclose-token (leaked tokens are revoked)
  CHEESESHOP_SIMPLE_MAX_AGE      seconds clients may cache index pages (60)
  CHEESESHOP_PROJECT_CREATE_USER_LIMIT  new projects per user (20/hour; staff and trusted
                                 uploaders, see `user trust`, are not limited)
  CHEESESHOP_PROJECT_CREATE_IP_LIMIT  new projects per IP (40/hour)
  CHEESESHOP_WEB_WORKERS         web server worker processes, 4 threads each (default:
                                 number of CPUs)
  CHEESESHOP_SITE_NAME           name shown to users (cheeseshop)
  CHEESESHOP_DEBUG               Django debug mode, never in production (false)
  CHEESESHOP_LOG_LEVEL           INFO

See docs/configuration.md for details."""


def cmd_serve(args: argparse.Namespace) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cheeseshop.settings")
    from django.conf import settings  # the settings only: this process stays small (~15 MB)

    from cheeseshop.settings import serve_environment
    from cheeseshop.webserver import uwsgi_arguments

    # Django's apps load in the processes that serve; migrating happens in one that exits.
    manage = [sys.executable, "-m", "cheeseshop.cli", "manage"]
    migrated = subprocess.run([*manage, "migrate", "--no-input", "--verbosity", "0"], check=False)
    if migrated.returncode != 0:
        print("cheeseshop: the database could not be migrated (see above)", file=sys.stderr)
        return migrated.returncode
    host = f"[{args.host}]" if ":" in args.host else args.host
    base = f"http://{host}:{args.port}"
    # The workers build absolute URLs on the address printed below unless one is configured.
    os.environ.update(serve_environment(base))
    # The router reaches the workers through a socket in a directory of mode 0700 (mkdtemp).
    with tempfile.TemporaryDirectory(prefix="cheeseshop-") as run_dir:
        web = [sys.executable, "-c", "import sys, pyuwsgi; sys.exit(pyuwsgi.run())"]
        web += uwsgi_arguments(
            f"{host}:{args.port}",
            processes=settings.CHEESESHOP_WEB_WORKERS,
            socket_path=Path(run_dir) / "web.sock",
            verbose=settings.LOG_LEVEL == "DEBUG",
        )
        children = {"web server": subprocess.Popen(web, start_new_session=True)}
        if settings.TASKS_BACKEND == "database":
            worker = [sys.executable, "-m", "cheeseshop.cli", "worker"]
            children["task worker"] = subprocess.Popen(worker, start_new_session=True)

        print(f"cheeseshop is serving {settings.DATA_DIR}", flush=True)
        print(f"  index:  {base}/simple/", flush=True)
        print(f"  upload: {base}/legacy/", flush=True)
        print("Press Ctrl-C to stop.", flush=True)
        return _supervise(children)


def _supervise(children: dict[str, subprocess.Popen]) -> int:
    """Run until a signal or until a child dies, then stop every child cleanly."""
    stopping = False

    def stop(signum, frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    exit_code = 0
    while not stopping:
        for name, child in children.items():
            if child.poll() is not None:
                print(f"cheeseshop: the {name} exited with {child.returncode}", flush=True)
                exit_code = child.returncode or 1
                stopping = True
                break
        time.sleep(0.2)
    # Each child's main process stops its own helpers (uWSGI's master its workers and router):
    # signalling them all at once would cut requests short that a graceful stop lets finish.
    for child in children.values():
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 15
    for child in children.values():
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        with contextlib.suppress(ProcessLookupError):  # whatever of its tree is left
            os.killpg(child.pid, signal.SIGKILL)
    return exit_code


def cmd_worker(args: argparse.Namespace) -> int:
    setup_django()
    from django.conf import settings
    from django.core.management import call_command

    if settings.TASKS_BACKEND != "database":
        print(
            f"cheeseshop worker runs the database task backend; this index uses "
            f"{settings.TASKS_BACKEND!r}: run that backend's own worker.",
            file=sys.stderr,
        )
        return 2
    migrate()
    call_command("db_worker", queue_name="*", interval=0.1, verbosity=0)
    return 0


def cmd_user_create(args: argparse.Namespace) -> int:
    setup_django()
    from django.core.exceptions import ValidationError

    from cheeseshop.accounts.services import AccountError, create_user

    migrate()
    password = None
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
        if not password:
            print("error: no password on standard input", file=sys.stderr)
            return 2
    try:
        user = create_user(
            args.username,
            args.email,
            password=password,
            admin=args.admin,
            trusted_uploader=args.trusted_uploader,
        )
    except AccountError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except ValidationError as exc:  # the username or email rules: each message, plainly
        print(f"error: {' '.join(exc.messages)}", file=sys.stderr)
        return 1
    except Exception as exc:  # Django's ValidationError and friends, reported plainly
        print(f"error: {exc}", file=sys.stderr)
        return 1
    from cheeseshop.audit.models import EventTag
    from cheeseshop.audit.services import CLI, record_event

    record_event(
        EventTag.ACCOUNT_CREATE,
        user=user,
        credential=CLI,
        additional={"by": "cli", "trusted_uploader": user.is_trusted_uploader},
    )
    kind = "admin" if args.admin else "user"
    vouched = "email verified, trusted uploader" if user.is_trusted_uploader else "email verified"
    print(f"created {kind} {user.username} <{user.email}> ({vouched})", file=sys.stderr)
    if args.totp:
        _enrol_totp(user)
    return 0


def cmd_user_trust(args: argparse.Namespace) -> int:
    """Make a user a trusted uploader, or (untrust) an ordinary one again."""
    setup_django()
    from cheeseshop.accounts.services import set_trusted_uploader
    from cheeseshop.audit.services import CLI

    migrate()
    user = _token_user(args.username)
    if user is None:
        return 1
    trusted = args.user_command == "trust"
    changed = set_trusted_uploader(user, trusted, credential=CLI)
    state = "a trusted uploader" if trusted else "an ordinary uploader"
    print(f"{user.username} {'is now' if changed else 'was already'} {state}", file=sys.stderr)
    return 0


def _enrol_totp(user) -> None:
    """Give a new user an authenticator app; the otpauth URI and then the secret go to stdout."""
    from cheeseshop.accounts.services import enrol_totp
    from cheeseshop.audit.models import EventTag
    from cheeseshop.audit.services import CLI, record_event

    uri, secret = enrol_totp(user)
    record_event(
        EventTag.ACCOUNT_TWO_FACTOR_METHOD_ADDED,
        user=user,
        credential=CLI,
        additional={"type": "totp", "by": "cli"},
    )
    print(uri)
    print(secret)
    print(
        "two-factor: authenticator app enrolled (scan the URI, or type the secret); recovery "
        "codes can be viewed after logging in, at /account/2fa/",
        file=sys.stderr,
    )


def _token_user(username: str):
    """The user named ``username``, or None after saying so on stderr."""
    from cheeseshop.accounts.models import User

    user = User.objects.filter(username=username).first()
    if user is None:
        print(f"error: no user named {username!r}", file=sys.stderr)
    return user


def cmd_token_create(args: argparse.Namespace) -> int:
    setup_django()
    from datetime import timedelta

    from django.utils import timezone

    from cheeseshop.audit.services import CLI
    from cheeseshop.tokens.services import TokenError, issue_token

    migrate()
    user = _token_user(args.username)
    if user is None:
        return 1
    now = timezone.now()
    expires_at = now + timedelta(days=args.expires) if args.expires is not None else None
    # Microseconds: descriptions must differ between a user's tokens, even in a quick script.
    description = args.description or f"created with the cheeseshop CLI at {now.isoformat()}"
    try:
        _token, raw = issue_token(
            user,
            description=description,
            project_names=args.project,
            expires_at=expires_at,
            credential=CLI,
        )
    except TokenError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    print(raw)
    return 0


TOKEN_MAX_DAYS = 36500  # `token create --expires`: a bound keeps dates representable


def _token_days(value: str) -> int:
    try:
        days = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number of days") from None
    if not 1 <= days <= TOKEN_MAX_DAYS:
        raise argparse.ArgumentTypeError(f"must be between 1 and {TOKEN_MAX_DAYS} days")
    return days


def _when(moment) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "-"


def _token_row(token) -> list[str]:
    from cheeseshop.tokens.services import token_scope

    scope = token_scope(token)
    return [
        str(token.id),
        token.description,
        "account"
        if scope.project_names is None
        else "projects: " + ", ".join(scope.project_names),
        _when(token.created),
        _when(scope.expires_at),
        _when(token.last_used),
        _when(token.revoked),
    ]


def cmd_token_list(args: argparse.Namespace) -> int:
    setup_django()
    migrate()
    user = _token_user(args.username)
    if user is None:
        return 1
    header = ["id", "description", "scope", "created", "expires", "last used", "revoked"]
    rows = [header, *(_token_row(token) for token in user.api_tokens.order_by("created"))]
    widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
    return 0


def cmd_token_revoke(args: argparse.Namespace) -> int:
    setup_django()
    import uuid

    from cheeseshop.audit.services import CLI
    from cheeseshop.tokens.models import APIToken
    from cheeseshop.tokens.services import revoke_token

    migrate()
    try:
        token_id = uuid.UUID(args.id)
    except ValueError:
        print(f"error: {args.id!r} is not a token id (a UUID)", file=sys.stderr)
        return 1
    token = APIToken.objects.select_related("user").filter(pk=token_id).first()
    if token is None:
        print(f"error: no token with id {token_id}", file=sys.stderr)
        return 1
    if revoke_token(token, actor=None, credential=CLI):
        print(f"revoked token {token.id} ({token.description}) of {token.user}", file=sys.stderr)
    else:
        print(f"token {token.id} was already revoked on {_when(token.revoked)}", file=sys.stderr)
    return 0


def cmd_reseal(args: argparse.Namespace) -> int:
    """Seal every sealed value again under the current SECRET_KEY, in one transaction: after a
    rotation, before the old key is dropped from SECRET_KEY_FALLBACKS."""
    setup_django()
    from django.db import transaction

    from cheeseshop import sealing
    from cheeseshop.accounts.sealed_secrets import reseal_two_factor_secrets
    from cheeseshop.console import complain, say
    from cheeseshop.tokens.services import reseal_root_keys

    migrate()
    try:
        with transaction.atomic():
            methods = reseal_two_factor_secrets()
            keys = reseal_root_keys()
    except sealing.Unsealable as exc:
        complain(f"error: nothing was resealed: {exc.message}. {sealing.WAY_OUT}")
        return 1
    say(
        f"resealed under the current secret key: {methods} two-factor method(s), "
        f"{keys} API token root key(s); the old secret key can be dropped from "
        "CHEESESHOP_SECRET_KEY_FALLBACKS (sessions not used since the rotation then end)"
    )
    return 0


def cmd_manage(args: argparse.Namespace) -> int:
    setup_django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["cheeseshop manage", *args.manage_args])
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cheeseshop",
        description="cheeseshop: a secure Python package index that speaks PyPI's protocols.",
        epilog=SETTINGS_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser(
        "serve",
        help="run the index: web server and background worker, migrating the database first",
        description="Create the data directory if needed, apply migrations, and run the web "
        "server and the background task worker until Ctrl-C or SIGTERM.",
        epilog=SETTINGS_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (8000)")
    serve.set_defaults(func=cmd_serve)

    worker = sub.add_parser("worker", help="run a background task worker on its own")
    worker.set_defaults(func=cmd_worker)

    user = sub.add_parser("user", help="manage users").add_subparsers(
        dest="user_command", required=True, metavar="ACTION"
    )
    create = user.add_parser("create", help="create a user whose email is verified")
    create.add_argument("username")
    create.add_argument("--email", required=True)
    create.add_argument("--admin", action="store_true", help="make the user staff and superuser")
    create.add_argument(
        "--password-stdin",
        action="store_true",
        help="read a password from standard input (default: no password; log-in disabled)",
    )
    create.add_argument(
        "--totp",
        action="store_true",
        help="enrol an authenticator app (TOTP): prints its otpauth:// URI, then its secret",
    )
    create.add_argument(
        "--trusted-uploader",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="not held to the limits on new projects per hour, which stop spam from accounts "
        "that sign up on their own (default: trusted, as the operator vouches for the account)",
    )
    create.set_defaults(func=cmd_user_create)
    trust = user.add_parser(
        "trust", help="make a user a trusted uploader: no limit on new projects per hour"
    )
    trust.add_argument("username")
    trust.set_defaults(func=cmd_user_trust)
    untrust = user.add_parser(
        "untrust", help="hold a user to the limits on new projects per hour again"
    )
    untrust.add_argument("username")
    untrust.set_defaults(func=cmd_user_trust)

    token = sub.add_parser("token", help="manage API tokens").add_subparsers(
        dest="token_command", required=True, metavar="ACTION"
    )
    tcreate = token.add_parser(
        "create", help="create an API token for a user; prints only the token"
    )
    tcreate.add_argument("username")
    tcreate.add_argument("--description", default="", help="what the token is for")
    tcreate.add_argument(
        "--project",
        action="append",
        default=[],
        metavar="PROJECT",
        help="limit the token to this project of the user's (repeat for several; "
        "default: all of the user's projects)",
    )
    tcreate.add_argument(
        "--expires",
        type=_token_days,
        metavar="DAYS",
        help="the token expires after this many days (default: never)",
    )
    tcreate.set_defaults(func=cmd_token_create)
    tlist = token.add_parser("list", help="list a user's API tokens, revoked ones included")
    tlist.add_argument("username")
    tlist.set_defaults(func=cmd_token_list)
    trevoke = token.add_parser("revoke", help="revoke an API token for good")
    trevoke.add_argument("id", help="the token's id, as `token list` shows it")
    trevoke.set_defaults(func=cmd_token_revoke)

    reseal = sub.add_parser(
        "reseal",
        help="after a secret key rotation: seal two-factor secrets and token root keys again "
        "under the current key, so the old one can be dropped from the fallbacks",
    )
    reseal.set_defaults(func=cmd_reseal)

    add_tuf_commands(sub)
    add_audit_commands(sub)

    manage = sub.add_parser(
        "manage", help="run a Django management command", add_help=False, prefix_chars="\0"
    )
    manage.add_argument("manage_args", nargs=argparse.REMAINDER)
    manage.set_defaults(func=cmd_manage)
    return parser


# Every file a command writes (the database and its WAL, keys, stored files, the outbox) and
# every process it starts is for cheeseshop's own user alone; settings.py sets it again for
# processes started without this command (a WSGI server).
PRIVATE_UMASK = 0o077


def main(argv: list[str] | None = None) -> int:
    os.umask(PRIVATE_UMASK)
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
