"""What a test asks of the index in another process, on that process's settings (its
environment): ``python -m tests.taskqueue.driver enqueue nap MARKER SECONDS`` enqueues inside a
transaction as an upload does (``publishing.after_commit``), ``status ID`` prints a task's
status and attempts."""

import sys

from cheeseshop.console import say, setup_django


def main(argv: list[str]) -> None:
    setup_django()
    from django.db import transaction

    from cheeseshop.taskqueue import outbox
    from tests.taskqueue import sample_tasks

    command, *args = argv
    if command == "enqueue":
        name, *task_args = args
        task = getattr(sample_tasks, name)
        converted = [float(a) if a.replace(".", "").isdigit() else a for a in task_args]
        with transaction.atomic():
            outbox.enqueue_after_commit(task, *converted)
    elif command == "status":
        from django_tasks_db.models import DBTaskResult

        (result,) = DBTaskResult.objects.filter(args_kwargs__args__0=args[0])
        say(f"{result.status} {len(result.worker_ids)}")
    else:
        raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    main(sys.argv[1:])
