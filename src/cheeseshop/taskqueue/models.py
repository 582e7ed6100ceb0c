import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class WorkerHeartbeat(models.Model):
    """A database-backend worker's last sign of life. The tasks it runs stay its own while this
    is younger than CHEESESHOP_TASK_LEASE; after that any live worker takes them back."""

    worker_id = models.CharField(_("worker id"), max_length=64, primary_key=True)
    host = models.CharField(_("host"), max_length=255)
    pid = models.IntegerField(_("process id"))
    started_at = models.DateTimeField(_("started at"))
    seen_at = models.DateTimeField(_("last seen at"), db_index=True)

    class Meta:
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")

    def __str__(self) -> str:
        return f"{self.worker_id} ({self.host}:{self.pid})"


class PendingTask(models.Model):
    """A task enqueued inside a transaction for a backend outside the database (RQ): written
    with the change, relayed to the queue once it commits, deleted once relayed. A row left
    behind (the process died between commit and relay, Redis was down) is relayed by a worker."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    task_path = models.TextField(_("task"))
    args = models.JSONField(_("arguments"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("task waiting to be handed to the queue")
        verbose_name_plural = _("tasks waiting to be handed to the queue")

    def __str__(self) -> str:
        return f"{self.task_path} {self.args}"
