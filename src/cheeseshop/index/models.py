from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class SimpleDetailPage(models.Model):
    """A project's rendered simple pages (PEP 503 HTML and PEP 691 JSON), kept as bytes.

    Rendered in the transaction that changes the project, so the index never shows a state
    that was not committed, and served as stored: the bytes a client receives are the bytes
    that TUF signs.
    """

    project = models.OneToOneField(
        "packaging.Project",
        on_delete=models.CASCADE,
        related_name="simple_page",
        verbose_name=_("project"),
    )
    serial = models.BigIntegerField(verbose_name=_("serial"))
    html = models.BinaryField(verbose_name=_("html"))
    json = models.BinaryField(verbose_name=_("json"))
    html_etag = models.CharField(max_length=64, verbose_name=_("html etag"))
    json_etag = models.CharField(max_length=64, verbose_name=_("json etag"))

    class Meta:
        verbose_name = _("simple detail page")
        verbose_name_plural = _("simple detail pages")

    def __str__(self) -> str:
        # Translators: the admin's name for a project's stored index pages: the project's
        # number (its id) and the index's serial number when they were rendered.
        return gettext("simple pages of project %(project)s at serial %(serial)s") % {
            "project": self.project_id,
            "serial": self.serial,
        }
