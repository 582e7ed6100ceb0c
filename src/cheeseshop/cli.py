"""The ``cheeseshop`` command."""

import argparse
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from cheeseshop import supervisor
from cheeseshop.audit.cli import add_audit_commands
from cheeseshop.console import complain, ensure_migrated, help_gettext, say, setup_django
from cheeseshop.errors import first_line
from cheeseshop.malware.cli import add_malware_commands
from cheeseshop.operations.failures import command_failure
from cheeseshop.operations.version import installed_version
from cheeseshop.translations import add_translation_commands
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
  CHEESESHOP_SECRET_KEY          secret key (default: generated once into the data directory);
                                 the same on every node of one database
  CHEESESHOP_SECRET_KEY_FALLBACKS  comma-separated earlier secret keys, accepted until
                                 `cheeseshop reseal` has run after a rotation
  CHEESESHOP_FILES_DIR           where distribution files are stored (default DATA_DIR/files)
  CHEESESHOP_FILES_STORAGE       local (default: FILES_DIR), s3 (a bucket, from the
                                 CHEESESHOP_S3_* settings) or a Django storage class path
  CHEESESHOP_FILES_URL           where files are downloaded from when not from this index
                                 (a CDN or bucket with the storage's layout; default:
                                 /packages/)
  CHEESESHOP_S3_BUCKET           the bucket, with FILES_STORAGE=s3 (required)
  CHEESESHOP_S3_ENDPOINT_URL     S3 API URL of a server other than AWS (MinIO, Ceph, moto)
  CHEESESHOP_S3_REGION           the bucket's region (default: boto3's)
  CHEESESHOP_S3_ACCESS_KEY_ID    access key (default: boto3's credential chain: AWS_*
                                 variables, ~/.aws, instance role)
  CHEESESHOP_S3_SECRET_ACCESS_KEY  its secret
  CHEESESHOP_S3_PREFIX           key prefix in the bucket (default: none)
  CHEESESHOP_S3_URL_EXPIRY       seconds a presigned download URL lives (300); /packages/
                                 redirects to one
  CHEESESHOP_TASKS_BACKEND       background tasks: database (default; `serve` runs the worker),
                                 rq (RQ on Redis; run `cheeseshop worker`), or immediate
  CHEESESHOP_RQ_URL              RQ's Redis with the rq backend: redis://host:6379/0 or
                                 rediss:// (TLS)
  CHEESESHOP_TASK_LEASE          seconds without a sign of life from a task's worker before
                                 the task is run again elsewhere (30)
  CHEESESHOP_TASK_MAX_ATTEMPTS   runs of a failing task before it is left failed (5)
  CHEESESHOP_TASK_RETRY_DELAY    seconds before a failed task's first retry, doubled before
                                 each next one (10)
  CHEESESHOP_CACHE_URL           cache: locmem:// (default, per process) or redis://host:port/db
                                 (rediss:// over TLS), shared by every node
  CHEESESHOP_BASE_URL            the index's address, scheme://host[:port]: every absolute URL
                                 it writes (emails, JSON API) uses it (default: what serve
                                 prints)
  CHEESESHOP_ALLOWED_HOSTS       comma-separated host names the server answers (default: the
                                 base URL's host when CHEESESHOP_BASE_URL is set, else *)
  CHEESESHOP_CSRF_TRUSTED_ORIGINS  comma-separated origins, e.g. https://pypi.example.com
  CHEESESHOP_TRUSTED_PROXIES     the proxies in front appending to X-Forwarded-For: a count, or
                                 their networks (10.0.0.0/8,...); none by default
                                 (CHEESESHOP_PROXY_HOPS: its name before, a count)
  CHEESESHOP_BEHIND_PROXY        trust X-Forwarded-Proto (default: whether proxies are trusted)
  CHEESESHOP_HTTPS               served over HTTPS: secure cookies, HSTS, redirects (false)
  CHEESESHOP_EMAIL_URL           smtp://, smtp+tls:// or smtps:// URL (default: emails are
                                 written to DATA_DIR/outbox and their links logged)
  CHEESESHOP_EMAIL_FROM          sender address of the index's emails
  CHEESESHOP_LOGIN_LIMIT         failed logins per account and per IP ("10 per 5 minutes")
  CHEESESHOP_SIGNUP_LIMIT        sign-ups per IP ("10 per hour")
  CHEESESHOP_PASSWORD_RESET_LIMIT  reset requests per address and per IP ("5 per day")
  CHEESESHOP_EMAIL_VERIFY_LIMIT  verification emails per user ("3 per 6 hours")
  CHEESESHOP_RATELIMIT_STORAGE   database:// (default) or redis://host:port/db (or rediss://)
  CHEESESHOP_2FA_USER_LIMIT      failed second-factor codes per account ("5 per 5 minutes")
  CHEESESHOP_2FA_IP_LIMIT        failed second-factor codes per IP ("10 per 5 minutes")
  CHEESESHOP_MANAGE_REQUIRES_2FA management pages and token creation need 2FA (true)
  CHEESESHOP_WEBAUTHN_ALLOW_INSECURE_ORIGIN  WebAuthn over plain HTTP (false; never public)
  CHEESESHOP_AUDIT_RETENTION_DAYS  days audit events are kept (0 = forever); `cheeseshop
                                 audit expire` applies it, `audit verify` checks the chain
  CHEESESHOP_AUDIT_STORE_IP_PREFIX keep the /24 or /48 network of IPs beside the hash (false)
  CHEESESHOP_MALWARE_AUTO_QUARANTINE_DAYS  quarantine a project younger than N days on a
                                 threat verdict of an enabled check (0 = never)
  CHEESESHOP_TUF_BIT_LENGTH      TUF hashed bins: 2**N online bin roles (14)
  CHEESESHOP_TUF_ONLINE_KEY_URI  signer URI of TUF's online key, the same for every worker:
                                 file2:PATH, envvar:NAME, awskms:, gcpkms:, azurekms:, hv:,
                                 hsm: (default: a key file in DATA_DIR/tuf)
  CHEESESHOP_TUF_METADATA_DIR    where an earlier release wrote TUF metadata files; the
                                 upgrade imports them into the database once
                                 (DATA_DIR/tuf/metadata)
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
  CHEESESHOP_LOG_FORMAT          text, or json: one JSON object per line (the access log too)
  CHEESESHOP_ACCESS_LOG          one line per request on the server's output (true)
  CHEESESHOP_METRICS_TOKEN       bearer token /_/metrics requires (default: only loopback and
                                 private addresses may scrape it)

See docs/configuration.md for details."""


def cmd_serve(args: argparse.Namespace) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cheeseshop.settings")
    from django.conf import settings  # the settings only: this process stays small (~15 MB)

    from cheeseshop.settings import serve_environment
    from cheeseshop.webserver import access_log_format, uwsgi_arguments

    # Django's apps load in the processes that serve; migrating (or, with --no-migrate, making
    # sure nothing is pending) and checking this node against the database happen in one that
    # exits, which says why when the node must not start.
    start = [sys.executable, "-m", "cheeseshop.cli", "migrate"]
    started = subprocess.run([*start, "--check" if args.no_migrate else "--summary"], check=False)
    if started.returncode != 0:
        return started.returncode
    host = f"[{args.host}]" if ":" in args.host else args.host
    base = f"http://{host}:{args.port}"
    # The workers build absolute URLs on the address printed below unless one is configured.
    os.environ.update(serve_environment(base))
    # The router reaches the workers (and they their description renderers) through sockets in
    # a directory of mode 0700 (mkdtemp), removed by the supervisor when the server has stopped.
    run_dir = tempfile.mkdtemp(prefix="cheeseshop-")
    # Each worker process writes its metrics here; /_/metrics adds them up (prometheus-client's
    # multiprocess mode). Made empty at each start.
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(Path(run_dir) / "metrics")
    Path(run_dir, "metrics").mkdir()
    web = [sys.executable, "-c", "import sys, pyuwsgi; sys.exit(pyuwsgi.run())"]
    web += uwsgi_arguments(
        f"{host}:{args.port}",
        processes=settings.CHEESESHOP_WEB_WORKERS,
        socket_path=Path(run_dir) / "web.sock",
        renderer_socket_path=Path(run_dir) / "renderers.sock",
        verbose=settings.LOG_LEVEL == "DEBUG",
        access_log=access_log_format(
            json=settings.CHEESESHOP_LOG_FORMAT == "json",
            behind_proxies=bool(settings.CHEESESHOP_TRUSTED_PROXIES),
        )
        if settings.CHEESESHOP_ACCESS_LOG
        else None,
        task_worker=settings.TASKS_BACKEND == "database" and not args.no_worker,
    )
    # In a session of its own: Ctrl-C reaches this process only, which stops it gracefully.
    server = subprocess.Popen(web, start_new_session=True)

    print(f"cheeseshop is serving {settings.DATA_DIR}", flush=True)
    print(f"  index:  {base}/simple/", flush=True)
    print(f"  upload: {base}/legacy/", flush=True)
    print("Press Ctrl-C to stop.", flush=True)
    # This process becomes the supervisor (same process, so the server stays its child),
    # without Django, its settings or this module in memory.
    os.execv(  # noqa: S606 - this very Python, a file of this package, numbers and a path
        sys.executable,
        [sys.executable, "-I", "-S", supervisor.__file__, str(server.pid), run_dir],
    )
    return 0  # pragma: no cover - execv does not return


def cmd_migrate(args: argparse.Namespace) -> int:
    """Bring the database up to date (once, whichever node runs it first: the others wait and
    find nothing to do), refuse a node whose configuration disagrees with the database (Django's
    system checks: stored secrets that do not open, another secret key), and record this node's
    secret key as the one the nodes of this database use."""
    setup_django()
    from django.core import checks
    from django.db import Error as DatabaseError

    from cheeseshop.accounts.secret_key import SecretKeyMismatch, record_secret_key
    from cheeseshop.console import lacking_migrations, migrate, pending_migrations

    try:
        problems = _start_problems(checks.run_checks(databases=["default"]))
        if problems:
            for problem in problems:
                complain(problem)
            return 1
        if args.check:
            pending = pending_migrations()
            if pending:
                complain(lacking_migrations(pending))
                return 1
        else:
            applied = migrate()
            _report_applied(applied, summary=args.summary)
        if record_secret_key():
            say(_("recorded this node's secret key (its fingerprint) as the one every node uses"))
    except SecretKeyMismatch as exc:
        complain(_("error: %(reason)s") % {"reason": exc.message})
        return 1
    except DatabaseError as exc:
        # "database <url without its password> unreachable: <why>" when it does not answer.
        why = command_failure(exc) or first_line(exc)
        if args.check:
            complain(_("error: the database could not be read: %(reason)s") % {"reason": why})
        else:
            complain(_("error: the database could not be migrated: %(reason)s") % {"reason": why})
        return 1
    return 0


def _report_applied(applied: list[str], *, summary: bool) -> None:
    if summary:
        if applied:
            # Translators: %(last)s names a migration ("tuf.0004_metadata_documents").
            message = ngettext(
                "applied %(count)d migration, %(last)s",
                "applied %(count)d migrations, %(last)s last",
                len(applied),
            )
            say(message % {"count": len(applied), "last": applied[-1]})
        return
    if not applied:
        say(_("the database is up to date: no migrations to apply"))
    for name in applied:
        # Translators: %(name)s names a migration ("tuf.0004_metadata_documents").
        say(_("applied %(name)s") % {"name": name})


def _start_problems(messages) -> list[str]:
    """System check messages as lines for the operator: errors stop the start, warnings not."""
    from django.core import checks

    lines = []
    for message in messages:
        if message.is_silenced() or message.level < checks.WARNING:
            continue
        hint = f" {message.hint}" if message.hint else ""
        line = f"{message.msg} ({message.id}).{hint}"
        if message.level >= checks.ERROR:
            lines.append(_("error: %(reason)s") % {"reason": line})
        else:
            complain(_("warning: %(message)s") % {"message": line})
    return lines


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return number


def cmd_worker(args: argparse.Namespace) -> int:
    # Not in the server's language: the tasks it runs write emails and records for others.
    setup_django(in_the_users_language=False)
    from cheeseshop.taskqueue import workers

    try:
        names = workers.queue_names(args.queues)
    except ValueError as exc:
        complain(f"cheeseshop worker: {exc}")
        return 2
    ensure_migrated()
    try:
        return workers.run(args.concurrency, names)
    except workers.NothingToRun as exc:
        complain(f"cheeseshop worker: {exc}")
        return 2


def cmd_user_create(args: argparse.Namespace) -> int:
    setup_django()
    from django.core.exceptions import ValidationError

    from cheeseshop.accounts.services import AccountError, create_user

    ensure_migrated()
    password = None
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
        if not password:
            complain(_("error: no password on standard input"))
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
        complain(_("error: %(reason)s") % {"reason": exc})
        return 1
    except ValidationError as exc:  # the username or email rules: each message, plainly
        complain(_("error: %(reason)s") % {"reason": " ".join(exc.messages)})
        return 1
    except Exception as exc:  # Django's ValidationError and friends, reported plainly
        complain(_("error: %(reason)s") % {"reason": exc})
        return 1
    from cheeseshop.audit.models import EventTag
    from cheeseshop.audit.services import CLI, record_event

    record_event(
        EventTag.ACCOUNT_CREATE,
        user=user,
        credential=CLI,
        additional={"by": "cli", "trusted_uploader": user.is_trusted_uploader},
    )
    complain(_created_message(user, admin=args.admin))
    if args.totp:
        _enrol_totp(user)
    return 0


def _created_message(user, *, admin: bool) -> str:
    names = {"username": user.username, "email": user.email}
    # Translators: the result of `cheeseshop user create`; %(email)s is the user's address.
    if admin and user.is_trusted_uploader:
        message = _("created admin %(username)s <%(email)s> (email verified, trusted uploader)")
    elif admin:
        message = _("created admin %(username)s <%(email)s> (email verified)")
    elif user.is_trusted_uploader:
        message = _("created user %(username)s <%(email)s> (email verified, trusted uploader)")
    else:
        message = _("created user %(username)s <%(email)s> (email verified)")
    return message % names


def cmd_user_trust(args: argparse.Namespace) -> int:
    """Make a user a trusted uploader, or (untrust) an ordinary one again."""
    setup_django()
    from cheeseshop.accounts.services import set_trusted_uploader
    from cheeseshop.audit.services import CLI

    ensure_migrated()
    user = _token_user(args.username)
    if user is None:
        return 1
    trusted = args.user_command == "trust"
    changed = set_trusted_uploader(user, trusted, credential=CLI)
    messages = {
        (True, True): _("%(username)s is now a trusted uploader"),
        (True, False): _("%(username)s was already a trusted uploader"),
        (False, True): _("%(username)s is now an ordinary uploader"),
        (False, False): _("%(username)s was already an ordinary uploader"),
    }
    complain(messages[trusted, changed] % {"username": user.username})
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
    complain(
        _(
            "two-factor: authenticator app enrolled (scan the URI, or type the secret); "
            "recovery codes can be viewed after logging in, at /account/2fa/"
        )
    )


def _token_user(username: str):
    """The user named ``username``, or None after saying so on stderr."""
    from cheeseshop.accounts.models import User

    user = User.objects.filter(username=username).first()
    if user is None:
        complain(_("error: no user named %(username)r") % {"username": username})
    return user


def cmd_token_create(args: argparse.Namespace) -> int:
    setup_django()
    from datetime import timedelta

    from django.utils import timezone

    from cheeseshop.audit.services import CLI
    from cheeseshop.tokens.services import TokenError, issue_token

    ensure_migrated()
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
        complain(_("error: %(reason)s") % {"reason": exc.message})
        return 1
    print(raw)
    return 0


TOKEN_MAX_DAYS = 36500  # `token create --expires`: a bound keeps dates representable


def _token_days(value: str) -> int:
    try:
        days = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number of days") from None
    if not 1 <= days <= TOKEN_MAX_DAYS:  # (argparse's messages, before Django: English)
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
        # Translators: a token's scope in `cheeseshop token list`: the whole account.
        pgettext("token scope", "account")
        if scope.project_names is None
        # Translators: a token's scope in `cheeseshop token list`, then project names.
        else _("projects: %(names)s") % {"names": ", ".join(scope.project_names)},
        _when(token.created),
        _when(scope.expires_at),
        _when(token.last_used),
        _when(token.revoked),
    ]


def cmd_token_list(args: argparse.Namespace) -> int:
    setup_django()
    ensure_migrated()
    user = _token_user(args.username)
    if user is None:
        return 1
    # The columns of `cheeseshop token list`, one word each where possible.
    header = [
        pgettext("token list column", "id"),
        pgettext("token list column", "description"),
        pgettext("token list column", "scope"),
        pgettext("token list column", "created"),
        pgettext("token list column", "expires"),
        pgettext("token list column", "last used"),
        pgettext("token list column", "revoked"),
    ]
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

    ensure_migrated()
    try:
        token_id = uuid.UUID(args.id)
    except ValueError:
        complain(_("error: %(id)r is not a token id (a UUID)") % {"id": args.id})
        return 1
    token = APIToken.objects.select_related("user").filter(pk=token_id).first()
    if token is None:
        complain(_("error: no token with id %(id)s") % {"id": token_id})
        return 1
    names = {"id": token.id, "description": token.description, "username": token.user}
    if revoke_token(token, actor=None, credential=CLI):
        complain(_("revoked token %(id)s (%(description)s) of %(username)s") % names)
    else:
        # Translators: %(when)s is a date and time, "2026-03-01 14:05".
        message = _("token %(id)s was already revoked on %(when)s")
        complain(message % {**names, "when": _when(token.revoked)})
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

    ensure_migrated()
    try:
        with transaction.atomic():
            methods = reseal_two_factor_secrets()
            keys = reseal_root_keys()
    except sealing.Unsealable as exc:
        complain(
            _("error: nothing was resealed: %(reason)s. %(way_out)s")
            % {"reason": exc.message, "way_out": sealing.WAY_OUT}
        )
        return 1
    say(
        _(
            "resealed under the current secret key: %(methods)d two-factor method(s), "
            "%(keys)d API token root key(s); the old secret key can be dropped from "
            "CHEESESHOP_SECRET_KEY_FALLBACKS (sessions not used since the rotation then end)"
        )
        % {"methods": methods, "keys": keys}
    )
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from cheeseshop.operations.checks import check

    return check()


def cmd_manage(args: argparse.Namespace) -> int:
    setup_django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["cheeseshop manage", *args.manage_args])
    return 0


def _add_service_commands(sub) -> None:
    """The commands that run the index's processes: serve, migrate, worker."""
    _ = help_gettext()  # --help: printed before Django starts
    serve = sub.add_parser(
        "serve",
        help=_("run the index: web server and background worker, migrating the database first"),
        description=_(
            "Create the data directory if needed, apply migrations (as `cheeseshop "
            "migrate` does), and run the web server and the background task worker until Ctrl-C "
            "or SIGTERM."
        ),
        epilog=SETTINGS_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    serve.add_argument("--host", default="127.0.0.1", help=_("address to listen on (127.0.0.1)"))
    serve.add_argument("--port", type=int, default=8000, help=_("port to listen on (8000)"))
    serve.add_argument(
        "--no-worker",
        action="store_true",
        help=_(
            "web server only: run no background task worker beside it (a node of several, "
            "with `cheeseshop worker` processes elsewhere)"
        ),
    )
    serve.add_argument(
        "--no-migrate",
        action="store_true",
        help=_(
            "apply no migrations (`cheeseshop migrate` does, once per release); refuse to "
            "start while any is pending"
        ),
    )
    serve.set_defaults(func=cmd_serve)

    migrate = sub.add_parser(
        "migrate",
        help=_("apply the migrations the database lacks, once for every node; prints them"),
        description=_(
            "Apply the migrations the database lacks and print each. Nodes starting "
            "at once on one database wait for each other: the first migrates, the others find "
            "nothing to do. Refuses (exit 1) a node whose secret key or stored secrets disagree "
            "with the database, and records this node's secret key (a fingerprint) as the one "
            "every node must use."
        ),
    )
    migrate.add_argument(
        "--check",
        action="store_true",
        help=_("apply nothing: exit 1 if migrations are pending (what `serve --no-migrate` runs)"),
    )
    migrate.add_argument(
        "--summary",
        action="store_true",
        help=_(
            "one line for all the migrations applied, none when nothing was (what `serve` runs)"
        ),
    )
    migrate.set_defaults(func=cmd_migrate)

    worker = sub.add_parser(
        "worker",
        help=_("run background task workers on their own"),
        description=_(
            "Run the configured task backend's worker until Ctrl-C or SIGTERM (each "
            "process finishes its task first). database: django-tasks-db's worker (`serve` runs "
            "one too); rq: RQ's worker, on CHEESESHOP_RQ_URL. A task whose worker dies is run "
            "again once CHEESESHOP_TASK_LEASE has passed; a failing task is retried with backoff "
            "up to CHEESESHOP_TASK_MAX_ATTEMPTS runs, then left failed (see the admin)."
        ),
        epilog=SETTINGS_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    worker.add_argument(
        "--concurrency",
        type=_positive_int,
        default=1,
        metavar="N",
        help=_("worker processes, each running one task at a time (1)"),
    )
    worker.add_argument(
        "--queues",
        metavar="A,B",
        help=_("comma-separated queues to take tasks from (default: all)"),
    )
    worker.set_defaults(func=cmd_worker)


def build_parser() -> argparse.ArgumentParser:
    _ = help_gettext()  # --help: printed before Django starts
    parser = argparse.ArgumentParser(
        prog="cheeseshop",
        description=_("cheeseshop: a secure Python package index that speaks PyPI's protocols."),
        epilog=SETTINGS_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"cheeseshop {installed_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    _add_service_commands(sub)

    user = sub.add_parser("user", help=_("manage users")).add_subparsers(
        dest="user_command", required=True, metavar="ACTION"
    )
    create = user.add_parser("create", help=_("create a user whose email is verified"))
    create.add_argument("username")
    create.add_argument("--email", required=True)
    create.add_argument(
        "--admin", action="store_true", help=_("make the user staff and superuser")
    )
    create.add_argument(
        "--password-stdin",
        action="store_true",
        help=_("read a password from standard input (default: no password; log-in disabled)"),
    )
    create.add_argument(
        "--totp",
        action="store_true",
        help=_("enrol an authenticator app (TOTP): prints its otpauth:// URI, then its secret"),
    )
    create.add_argument(
        "--trusted-uploader",
        action=argparse.BooleanOptionalAction,
        default=True,
        help=_(
            "not held to the limits on new projects per hour, which stop spam from accounts "
            "that sign up on their own (default: trusted, as the operator vouches for the account)"
        ),
    )
    create.set_defaults(func=cmd_user_create)
    trust = user.add_parser(
        "trust", help=_("make a user a trusted uploader: no limit on new projects per hour")
    )
    trust.add_argument("username")
    trust.set_defaults(func=cmd_user_trust)
    untrust = user.add_parser(
        "untrust", help=_("hold a user to the limits on new projects per hour again")
    )
    untrust.add_argument("username")
    untrust.set_defaults(func=cmd_user_trust)

    token = sub.add_parser("token", help=_("manage API tokens")).add_subparsers(
        dest="token_command", required=True, metavar="ACTION"
    )
    tcreate = token.add_parser(
        "create", help=_("create an API token for a user; prints only the token")
    )
    tcreate.add_argument("username")
    tcreate.add_argument("--description", default="", help=_("what the token is for"))
    tcreate.add_argument(
        "--project",
        action="append",
        default=[],
        metavar="PROJECT",
        help=_(
            "limit the token to this project of the user's (repeat for several; "
            "default: all of the user's projects)"
        ),
    )
    tcreate.add_argument(
        "--expires",
        type=_token_days,
        metavar="DAYS",
        help=_("the token expires after this many days (default: never)"),
    )
    tcreate.set_defaults(func=cmd_token_create)
    tlist = token.add_parser("list", help=_("list a user's API tokens, revoked ones included"))
    tlist.add_argument("username")
    tlist.set_defaults(func=cmd_token_list)
    trevoke = token.add_parser("revoke", help=_("revoke an API token for good"))
    trevoke.add_argument("id", help=_("the token's id, as `token list` shows it"))
    trevoke.set_defaults(func=cmd_token_revoke)

    reseal = sub.add_parser(
        "reseal",
        help=_(
            "after a secret key rotation: seal two-factor secrets and token root keys again "
            "under the current key, so the old one can be dropped from the fallbacks"
        ),
    )
    reseal.set_defaults(func=cmd_reseal)

    check = sub.add_parser(
        "check",
        help=_(
            "check the configuration and every service it names (database, cache, storage, "
            "tasks): one line per problem, exit status 1 if any"
        ),
    )
    check.set_defaults(func=cmd_check)

    add_tuf_commands(sub)
    add_audit_commands(sub)
    add_malware_commands(sub)
    add_translation_commands(sub)

    manage = sub.add_parser(
        "manage", help=_("run a Django management command"), add_help=False, prefix_chars="\0"
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
    try:
        return _run(argv)
    except BrokenPipeError:
        return _reader_gone()


def _run(argv: list[str] | None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return args.func(args)
    except BrokenPipeError:
        raise
    except Exception as exc:
        # A database that does not answer, a setting that does not parse: one line, no traceback.
        problem = command_failure(exc)
        if problem is None:
            raise
        complain(f"cheeseshop: {problem}")
        return 1
    finally:
        # Whatever is left to write (--help's text too): a reader that left shows here, not in
        # Python's own flush at exit.
        sys.stdout.flush()


def _reader_gone() -> int:
    """End quietly when whoever read the output stopped (`cheeseshop token list | head`), as
    Unix tools do, with the status of one that SIGPIPE ended. What is still buffered for
    standard output goes nowhere instead of failing again when Python exits."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return 128 + signal.SIGPIPE


if __name__ == "__main__":
    sys.exit(main())
