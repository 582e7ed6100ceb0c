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


class SimpleIndexPage(models.Model):
    """The simple index's root (``/simple/``: every project the index shows), kept as bytes.

    One row. Every change to what the index shows adds one to ``changes``, in the changing
    transaction (a single-column update: the root is not re-rendered for each upload, which
    would cost a read of every project). The first request that finds ``rendered_changes``
    behind renders the page once from the stored detail pages and stores it; the others serve
    the stored bytes.
    """

    changes = models.BigIntegerField(default=0, verbose_name=_("changes"))
    rendered_changes = models.BigIntegerField(default=-1, verbose_name=_("rendered changes"))
    serial = models.BigIntegerField(default=0, verbose_name=_("serial"))
    html = models.BinaryField(default=b"", verbose_name=_("html"))
    json = models.BinaryField(default=b"", verbose_name=_("json"))
    html_etag = models.CharField(max_length=64, default="", verbose_name=_("html etag"))
    json_etag = models.CharField(max_length=64, default="", verbose_name=_("json etag"))

    class Meta:
        verbose_name = _("simple index page")
        verbose_name_plural = _("simple index pages")

    def __str__(self) -> str:
        # Translators: the admin's name for the stored list of every project (/simple/) and
        # the index's serial number when it was rendered.
        return gettext("simple index at serial %(serial)s") % {"serial": self.serial}
