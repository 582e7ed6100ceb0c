"""The queue background tasks run on, whichever backend carries them (django-tasks-db's table or
RQ on Redis): the ``cheeseshop worker`` command's workers, leases that give a dead worker's task
to a live one, retries with backoff, the outbox that keeps RQ's tasks atomic with the change that
enqueued them, and the queue's health probe and counts."""
