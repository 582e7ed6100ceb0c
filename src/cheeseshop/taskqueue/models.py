import uuid

from django.db import models
from django.utils import timezone


class WorkerHeartbeat(models.Model):
    """A database-backend worker's last sign of life. The tasks it runs stay its own while this
    is younger than CHEESESHOP_TASK_LEASE; after that any live worker takes them back."""

    worker_id = models.CharField(max_length=64, primary_key=True)
    host = models.CharField(max_length=255)
    pid = models.IntegerField()
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.worker_id} ({self.host}:{self.pid})"


class PendingTask(models.Model):
    """A task enqueued inside a transaction for a backend outside the database (RQ): written
    with the change, relayed to the queue once it commits, deleted once relayed. A row left
    behind (the process died between commit and relay, Redis was down) is relayed by a worker."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    task_path = models.TextField()
    args = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"{self.task_path} {self.args}"
