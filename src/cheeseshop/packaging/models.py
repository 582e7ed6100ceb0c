from django.conf import settings
from django.db import models
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _


class ProjectStatus(models.TextChoices):
    """PEP 792 project status markers."""

    ACTIVE = "active", _("Active")
    ARCHIVED = "archived", _("Archived")
    QUARANTINED = "quarantined", _("Quarantined")
    DEPRECATED = "deprecated", _("Deprecated")


# The one visibility rule: what the index, the JSON API, TUF and the public pages show. A
# quarantined project (malware under review) is hidden from all of them, reversibly.
HIDDEN_STATUSES = (ProjectStatus.QUARANTINED,)


def visible_project(path: str = "") -> models.Q:
    """The rule as a condition on a query of any model: ``path`` leads from that model to its
    project ("" for Project itself, "project__" for a release, "release__project__" for a
    file)."""
    return ~models.Q(**{f"{path}status__in": HIDDEN_STATUSES})


class ProjectQuerySet(models.QuerySet):
    def visible(self) -> "ProjectQuerySet":
        """The projects the index shows."""
        return self.filter(visible_project())


class Project(models.Model):
    name = models.CharField(_("name"), max_length=200)
    normalized_name = models.CharField(
        max_length=200, unique=True, verbose_name=_("normalized name")
    )
    # Lowercased, separators dropped, l/i → 1 and o → 0: names equal under this are "too
    # similar" to coexist (PyPI's ultranormalisation).
    ultranormalized_name = models.CharField(
        max_length=200, db_index=True, verbose_name=_("ultranormalized name")
    )
    created = models.DateTimeField(auto_now_add=True, verbose_name=_("created"))
    status = models.CharField(
        max_length=16,
        choices=ProjectStatus.choices,
        default=ProjectStatus.ACTIVE,
        verbose_name=_("status"),
    )
    status_reason = models.TextField(blank=True, verbose_name=_("status reason"))
    upload_limit = models.BigIntegerField(
        null=True,
        blank=True,
        help_text=_("Per-file size limit in bytes, above the default."),
        verbose_name=_("upload limit"),
    )
    # Highest audit event id that changed what the index shows for this project
    # (X-PyPI-Last-Serial).
    last_serial = models.BigIntegerField(default=0, verbose_name=_("last serial"))

    objects = ProjectQuerySet.as_manager()

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["normalized_name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_visible(self) -> bool:
        return self.status not in HIDDEN_STATUSES


class ReleaseQuerySet(models.QuerySet):
    def visible(self) -> "ReleaseQuerySet":
        """The releases of projects the index shows."""
        return self.filter(visible_project("project__"))


class Release(models.Model):
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="releases", verbose_name=_("project")
    )
    version = models.CharField(max_length=100, verbose_name=_("version"))
    canonical_version = models.CharField(max_length=100, verbose_name=_("canonical version"))
    is_prerelease = models.BooleanField(default=False, verbose_name=_("is a pre-release"))
    created = models.DateTimeField(auto_now_add=True, verbose_name=_("created"))
    uploader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("uploader"),
    )
    uploaded_via = models.CharField(max_length=256, blank=True, verbose_name=_("uploaded via"))
    yanked = models.BooleanField(default=False, verbose_name=_("yanked"))
    yanked_reason = models.TextField(blank=True, verbose_name=_("yanked reason"))

    # Core metadata, read from the distribution itself (first file of the release).
    metadata_version = models.CharField(max_length=8, verbose_name=_("metadata version"))
    summary = models.CharField(max_length=512, blank=True, verbose_name=_("summary"))
    description = models.TextField(blank=True, verbose_name=_("description"))
    description_content_type = models.CharField(
        max_length=128, blank=True, verbose_name=_("description content type")
    )
    # Rendered once, at upload, within a time budget (packaging.descriptions); pages show this.
    description_html = models.TextField(blank=True, verbose_name=_("description as HTML"))
    keywords = models.TextField(blank=True, verbose_name=_("keywords"))
    license = models.TextField(blank=True, verbose_name=_("license"))
    license_expression = models.CharField(
        max_length=256, blank=True, verbose_name=_("license expression")
    )
    license_files = models.JSONField(default=list, verbose_name=_("license files"))
    classifiers = models.JSONField(default=list, verbose_name=_("classifiers"))
    platforms = models.JSONField(default=list, verbose_name=_("platforms"))
    author = models.TextField(blank=True, verbose_name=_("author"))
    author_email = models.TextField(blank=True, verbose_name=_("author email"))
    maintainer = models.TextField(blank=True, verbose_name=_("maintainer"))
    maintainer_email = models.TextField(blank=True, verbose_name=_("maintainer email"))
    home_page = models.TextField(blank=True, verbose_name=_("home page"))
    download_url = models.TextField(blank=True, verbose_name=_("download URL"))
    project_urls = models.JSONField(default=dict, verbose_name=_("project URLs"))
    requires_python = models.CharField(
        max_length=256, blank=True, verbose_name=_("requires Python")
    )
    requires_dist = models.JSONField(default=list, verbose_name=_("requires dist"))
    provides_extra = models.JSONField(default=list, verbose_name=_("provides extra"))
    requires_external = models.JSONField(default=list, verbose_name=_("requires external"))
    provides_dist = models.JSONField(default=list, verbose_name=_("provides dist"))
    obsoletes_dist = models.JSONField(default=list, verbose_name=_("obsoletes dist"))
    dynamic = models.JSONField(default=list, verbose_name=_("dynamic"))

    objects = ReleaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("release")
        verbose_name_plural = _("releases")
        constraints = [
            models.UniqueConstraint(
                fields=["project", "canonical_version"], name="release_unique_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.project.name} {self.version}"


class PackageType(models.TextChoices):
    SDIST = "sdist", _("Source distribution")
    WHEEL = "bdist_wheel", _("Wheel")


class FileQuerySet(models.QuerySet):
    def served(self) -> "FileQuerySet":
        """The files the index serves: those of projects it shows."""
        return self.filter(visible_project("release__project__"))


class File(models.Model):
    release = models.ForeignKey(
        Release, on_delete=models.CASCADE, related_name="files", verbose_name=_("release")
    )
    filename = models.CharField(max_length=255, unique=True, verbose_name=_("filename"))
    packagetype = models.CharField(
        max_length=16, choices=PackageType.choices, verbose_name=_("package type")
    )
    python_version = models.CharField(max_length=64, verbose_name=_("Python version"))
    requires_python = models.CharField(
        max_length=256, blank=True, verbose_name=_("requires Python")
    )
    size = models.BigIntegerField(verbose_name=_("size"))
    md5_digest = models.CharField(max_length=32, verbose_name=_("MD5 digest"))
    sha256_digest = models.CharField(
        max_length=64, db_index=True, verbose_name=_("SHA-256 digest")
    )
    blake2_256_digest = models.CharField(
        max_length=64, unique=True, verbose_name=_("BLAKE2b-256 digest")
    )
    # Storage path, content addressed: <b2[:2]>/<b2[2:4]>/<b2[4:]>/<filename>.
    path = models.CharField(max_length=512, unique=True, verbose_name=_("path"))
    # PEP 658: sha256 of the core metadata file served beside the distribution, if any.
    metadata_sha256_digest = models.CharField(
        max_length=64, blank=True, verbose_name=_("metadata SHA-256 digest")
    )
    metadata_blake2_256_digest = models.CharField(
        max_length=64, blank=True, verbose_name=_("metadata BLAKE2b-256 digest")
    )
    comment_text = models.TextField(blank=True, verbose_name=_("comment text"))
    upload_time = models.DateTimeField(auto_now_add=True, verbose_name=_("upload time"))
    uploader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("uploader"),
    )
    uploaded_via = models.CharField(max_length=256, blank=True, verbose_name=_("uploaded via"))
    token = models.ForeignKey(
        "tokens.APIToken",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("token"),
    )

    objects = FileQuerySet.as_manager()

    class Meta:
        verbose_name = _("file")
        verbose_name_plural = _("files")
        ordering = ["filename"]

    def __str__(self) -> str:
        return self.filename

    @property
    def has_metadata(self) -> bool:
        return bool(self.metadata_sha256_digest)

    @property
    def metadata_path(self) -> str:
        return self.path + ".metadata"


class FilenameRegistry(models.Model):
    """Every filename ever uploaded; never deleted, so a deleted file's name stays used."""

    filename = models.CharField(max_length=255, unique=True, verbose_name=_("filename"))
    created = models.DateTimeField(auto_now_add=True, verbose_name=_("created"))

    class Meta:
        verbose_name = _("filename registry entry")
        verbose_name_plural = _("filename registry entries")

    def __str__(self) -> str:
        return self.filename


class RoleName(models.TextChoices):
    # Translators: a collaborator's role on a project (Owners manage it, Maintainers upload).
    OWNER = "Owner", _("Owner")
    MAINTAINER = "Maintainer", _("Maintainer")


def role_label(role_name: object) -> str:
    """A stored role name ("Owner") in the reader's language; anything else as it is."""
    try:
        return str(RoleName(role_name).label)
    except ValueError:
        return str(role_name)


class Role(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="roles",
        verbose_name=_("user"),
    )
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="roles", verbose_name=_("project")
    )
    role_name = models.CharField(
        max_length=16, choices=RoleName.choices, verbose_name=_("role name")
    )
    created = models.DateTimeField(auto_now_add=True, verbose_name=_("created"))

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        constraints = [
            models.UniqueConstraint(fields=["user", "project"], name="role_unique_user_project")
        ]

    def __str__(self) -> str:
        # Translators: the admin's name for a role, e.g. "alice, Owner of brie-parser": a
        # username, a role (Owner or Maintainer) and a project name.
        return pgettext("role", "%(user)s, %(role)s of %(project)s") % {
            "user": self.user,
            "role": role_label(self.role_name),
            "project": self.project,
        }


class ProhibitedProjectName(models.Model):
    """A name an admin has reserved: no project may be created under it."""

    name = models.CharField(
        max_length=200, unique=True, help_text=_("Normalized name."), verbose_name=_("name")
    )
    comment = models.TextField(blank=True, verbose_name=_("comment"))
    created = models.DateTimeField(auto_now_add=True, verbose_name=_("created"))
    prohibited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("prohibited by"),
    )

    class Meta:
        verbose_name = _("prohibited project name")
        verbose_name_plural = _("prohibited project names")

    def __str__(self) -> str:
        return self.name


class RoleInvitation(models.Model):
    """An Owner's invitation to collaborate; becomes a Role when the invitee accepts."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="role_invitations",
        verbose_name=_("user"),
    )
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("project")
    )
    role_name = models.CharField(
        max_length=16, choices=RoleName.choices, verbose_name=_("role name")
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("invited by"),
    )
    created = models.DateTimeField(auto_now_add=True, verbose_name=_("created"))

    class Meta:
        verbose_name = _("role invitation")
        verbose_name_plural = _("role invitations")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "project"], name="role_invitation_unique_user_project"
            )
        ]

    def __str__(self) -> str:
        # Translators: the admin's name for an invitation, e.g. "bob, invited as Maintainer of
        # brie-parser": a username, a role (Owner or Maintainer) and a project name.
        return gettext("%(user)s, invited as %(role)s of %(project)s") % {
            "user": self.user,
            "role": role_label(self.role_name),
            "project": self.project,
        }
