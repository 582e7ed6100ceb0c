"""What a test asks of the index in another process, on that process's settings (its
environment): ``python -m tests.taskqueue.driver enqueue nap MARKER SECONDS`` enqueues inside a
transaction as an upload does (``publishing.after_commit``); ``enqueue-then-die`` does so and
dies right after the commit; ``pending`` prints the outbox's rows; ``status MARKER`` prints the
status and attempts of the task given MARKER (database backend)."""

import os
import sys

from cheeseshop.console import say, setup_django


def main(argv: list[str]) -> None:
    setup_django()
    from django.db import transaction

    from cheeseshop.taskqueue import outbox
    from tests.taskqueue import sample_tasks

    command, *args = argv
    if command in {"enqueue", "enqueue-then-die"}:
        name, *task_args = args
        task = getattr(sample_tasks, name)
        arguments = [float(a) if a.replace(".", "").isdigit() else a for a in task_args]
    if command == "enqueue":
        with transaction.atomic():
            outbox.enqueue_after_commit(task, *arguments)
    elif command == "enqueue-then-die":
        # The process dies right after the commit, before it hands the task to the queue.
        with transaction.atomic():
            transaction.on_commit(lambda: os._exit(0))
            outbox.enqueue_after_commit(task, *arguments)
    elif command == "pending":
        from cheeseshop.taskqueue.models import PendingTask

        say(str(PendingTask.objects.count()))
    elif command == "status":
        from django_tasks_db.models import DBTaskResult

        (result,) = DBTaskResult.objects.filter(args_kwargs__args__0=args[0])
        say(f"{result.status} {len(result.worker_ids)}")
    else:
        raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    main(sys.argv[1:])
