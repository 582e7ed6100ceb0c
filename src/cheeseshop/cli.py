"""The ``cheeseshop`` command."""

import argparse
import os
import signal
import subprocess
import sys
import time

SETTINGS_HELP = """\
settings (environment variables, all optional):
  CHEESESHOP_DATA_DIR            data directory: SQLite file, stored files, secret key
                                 (default ./cheeseshop-data)
  CHEESESHOP_DATABASE_URL        database, e.g. postgresql://user@host/db (default: SQLite
                                 in the data directory)
  CHEESESHOP_SECRET_KEY          secret key (default: generated once into the data directory)
  CHEESESHOP_FILES_DIR           where distribution files are stored (default DATA_DIR/files)
  CHEESESHOP_FILES_STORAGE       Django storage class for files, e.g.
                                 storages.backends.s3.S3Storage
  CHEESESHOP_TASKS_BACKEND       background tasks: database (default; `serve` runs the worker),
                                 immediate, or a Django Tasks backend path
  CHEESESHOP_CACHE_URL           cache: locmem:// (default) or redis://host:port/db
  CHEESESHOP_ALLOWED_HOSTS       comma-separated host names the server answers (default *)
  CHEESESHOP_CSRF_TRUSTED_ORIGINS  comma-separated origins, e.g. https://pypi.example.com
  CHEESESHOP_BEHIND_PROXY        trust X-Forwarded-Proto/-For from a reverse proxy (false)
  CHEESESHOP_MAX_FILE_SIZE       largest accepted distribution file, bytes (104857600)
  CHEESESHOP_MAX_PROJECT_SIZE    largest total size of one project, bytes (10737418240)
  CHEESESHOP_UPLOAD_REQUIRES_2FA uploaders need two-factor authentication (true; enforced
                                 once two-factor authentication is available)
  CHEESESHOP_TOKEN_PREFIX        API token prefix (pypi-)
  CHEESESHOP_SIMPLE_MAX_AGE      seconds clients may cache index pages (60)
  CHEESESHOP_PROJECT_CREATE_USER_LIMIT / _IP_LIMIT
                                 new projects per user / per IP (20/hour, 40/hour)
  CHEESESHOP_WEB_WORKERS         web server processes (default: number of CPUs)
  CHEESESHOP_SITE_NAME           name shown to users (cheeseshop)
  CHEESESHOP_DEBUG               Django debug mode, never in production (false)
  CHEESESHOP_LOG_LEVEL           INFO

See docs/configuration.md for details."""


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cheeseshop.settings")
    import django

    django.setup()


def _migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def cmd_serve(args: argparse.Namespace) -> int:
    _setup_django()
    from django.conf import settings

    _migrate()
    workers = int(os.environ.get("CHEESESHOP_WEB_WORKERS", "0")) or os.cpu_count() or 1
    host = f"[{args.host}]" if ":" in args.host else args.host
    # gunicorn, threaded workers: it streams request bodies to the application (the size limit
    # holds while an upload arrives) and sends the status line as given — the legacy upload
    # protocol carries each refusal's reason in the reason phrase, which twine prints.
    web = [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"{host}:{args.port}",
        "--workers",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        "4",
        "--timeout",
        "300",
        "--graceful-timeout",
        "10",
        "--log-level",
        "warning",
        "cheeseshop.wsgi:application",
    ]
    children = [subprocess.Popen(web, start_new_session=True)]
    if settings.TASKS_BACKEND == "database":
        worker = [sys.executable, "-m", "cheeseshop.cli", "worker"]
        children.append(subprocess.Popen(worker, start_new_session=True))

    base = f"http://{host}:{args.port}"
    print(f"cheeseshop is serving {settings.DATA_DIR}", flush=True)
    print(f"  index:  {base}/simple/", flush=True)
    print(f"  upload: {base}/legacy/", flush=True)
    print("Press Ctrl-C to stop.", flush=True)
    return _supervise(children)


def _supervise(children: list[subprocess.Popen]) -> int:
    """Run until a signal or until a child dies, then stop every child cleanly."""
    stopping = False

    def stop(signum, frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    exit_code = 0
    while not stopping:
        for child in children:
            if child.poll() is not None:
                print(f"cheeseshop: {child.args[2:4]} exited with {child.returncode}", flush=True)
                exit_code = child.returncode or 1
                stopping = True
                break
        time.sleep(0.2)
    for child in children:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
    return exit_code


def cmd_worker(args: argparse.Namespace) -> int:
    _setup_django()
    from django.conf import settings
    from django.core.management import call_command

    if settings.TASKS_BACKEND != "database":
        print(
            f"cheeseshop worker runs the database task backend; this index uses "
            f"{settings.TASKS_BACKEND!r}: run that backend's own worker.",
            file=sys.stderr,
        )
        return 2
    _migrate()
    call_command("db_worker", queue_name="*", interval=0.5, verbosity=0)
    return 0


def cmd_user_create(args: argparse.Namespace) -> int:
    _setup_django()
    from cheeseshop.accounts.services import AccountError, create_user

    _migrate()
    password = None
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
        if not password:
            print("error: no password on standard input", file=sys.stderr)
            return 2
    try:
        user = create_user(args.username, args.email, password=password, admin=args.admin)
    except AccountError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # Django's ValidationError and friends, reported plainly
        print(f"error: {exc}", file=sys.stderr)
        return 1
    from cheeseshop.audit.models import EventTag
    from cheeseshop.audit.services import CLI, record_event

    record_event(EventTag.ACCOUNT_CREATE, user=user, credential=CLI, additional={"by": "cli"})
    kind = "admin" if args.admin else "user"
    print(f"created {kind} {user.username} <{user.email}> (email verified)", file=sys.stderr)
    return 0


def cmd_token_create(args: argparse.Namespace) -> int:
    _setup_django()
    from django.db import transaction

    from cheeseshop.accounts.models import User
    from cheeseshop.audit.models import EventTag
    from cheeseshop.audit.services import CLI, record_event
    from cheeseshop.tokens.services import create_token

    _migrate()
    try:
        user = User.objects.get(username=args.username)
    except User.DoesNotExist:
        print(f"error: no user named {args.username!r}", file=sys.stderr)
        return 1
    description = args.description or f"created with the cheeseshop CLI at {time.ctime()}"
    with transaction.atomic():
        token, raw = create_token(user, description=description)
        record_event(
            EventTag.ACCOUNT_API_TOKEN_ADDED,
            user=user,
            credential=CLI,
            additional={"token_id": str(token.id), "description": token.description},
        )
    print(raw)
    return 0


def cmd_manage(args: argparse.Namespace) -> int:
    _setup_django()
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
    create.set_defaults(func=cmd_user_create)

    token = sub.add_parser("token", help="manage API tokens").add_subparsers(
        dest="token_command", required=True, metavar="ACTION"
    )
    tcreate = token.add_parser(
        "create", help="create an API token for a user; prints only the token"
    )
    tcreate.add_argument("username")
    tcreate.add_argument("--description", default="", help="what the token is for")
    tcreate.set_defaults(func=cmd_token_create)

    manage = sub.add_parser(
        "manage", help="run a Django management command", add_help=False, prefix_chars="\0"
    )
    manage.add_argument("manage_args", nargs=argparse.REMAINDER)
    manage.set_defaults(func=cmd_manage)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
