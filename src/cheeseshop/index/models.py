from django.db import models


class SimpleDetailPage(models.Model):
    """A project's rendered simple pages (PEP 503 HTML and PEP 691 JSON), kept as bytes.

    Rendered in the transaction that changes the project, so the index never shows a state
    that was not committed, and served as stored: the bytes a client receives are the bytes
    that TUF signs.
    """

    project = models.OneToOneField(
        "packaging.Project", on_delete=models.CASCADE, related_name="simple_page"
    )
    serial = models.BigIntegerField()
    html = models.BinaryField()
    json = models.BinaryField()
    html_etag = models.CharField(max_length=64)
    json_etag = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"simple pages of {self.project_id} @ {self.serial}"
