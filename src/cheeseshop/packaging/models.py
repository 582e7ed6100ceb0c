from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ProjectStatus(models.TextChoices):
    """PEP 792 project status markers."""

    ACTIVE = "active", _("Active")
    ARCHIVED = "archived", _("Archived")
    QUARANTINED = "quarantined", _("Quarantined")
    DEPRECATED = "deprecated", _("Deprecated")


class Project(models.Model):
    name = models.CharField(_("name"), max_length=200)
    normalized_name = models.CharField(max_length=200, unique=True)
    # Lowercased, separators dropped, l/i → 1 and o → 0: names equal under this are "too
    # similar" to coexist (PyPI's ultranormalisation).
    ultranormalized_name = models.CharField(max_length=200, db_index=True)
    created = models.DateTimeField(auto_now_add=True)
    status = models.CharField(
        max_length=16, choices=ProjectStatus.choices, default=ProjectStatus.ACTIVE
    )
    status_reason = models.TextField(blank=True)
    upload_limit = models.BigIntegerField(
        null=True, blank=True, help_text=_("Per-file size limit in bytes, above the default.")
    )
    # Highest audit event id that changed what the index shows for this project
    # (X-PyPI-Last-Serial).
    last_serial = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["normalized_name"]

    def __str__(self) -> str:
        return self.name


class Release(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="releases")
    version = models.CharField(max_length=100)
    canonical_version = models.CharField(max_length=100)
    is_prerelease = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)
    uploader = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_via = models.CharField(max_length=256, blank=True)
    yanked = models.BooleanField(default=False)
    yanked_reason = models.TextField(blank=True)

    # Core metadata, read from the distribution itself (first file of the release).
    metadata_version = models.CharField(max_length=8)
    summary = models.CharField(max_length=512, blank=True)
    description = models.TextField(blank=True)
    description_content_type = models.CharField(max_length=128, blank=True)
    keywords = models.TextField(blank=True)
    license = models.TextField(blank=True)
    license_expression = models.CharField(max_length=256, blank=True)
    license_files = models.JSONField(default=list)
    classifiers = models.JSONField(default=list)
    platforms = models.JSONField(default=list)
    author = models.TextField(blank=True)
    author_email = models.TextField(blank=True)
    maintainer = models.TextField(blank=True)
    maintainer_email = models.TextField(blank=True)
    home_page = models.TextField(blank=True)
    download_url = models.TextField(blank=True)
    project_urls = models.JSONField(default=dict)
    requires_python = models.CharField(max_length=256, blank=True)
    requires_dist = models.JSONField(default=list)
    provides_extra = models.JSONField(default=list)
    requires_external = models.JSONField(default=list)
    provides_dist = models.JSONField(default=list)
    obsoletes_dist = models.JSONField(default=list)
    dynamic = models.JSONField(default=list)

    class Meta:
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


class File(models.Model):
    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="files")
    filename = models.CharField(max_length=255, unique=True)
    packagetype = models.CharField(max_length=16, choices=PackageType.choices)
    python_version = models.CharField(max_length=64)
    requires_python = models.CharField(max_length=256, blank=True)
    size = models.BigIntegerField()
    md5_digest = models.CharField(max_length=32)
    sha256_digest = models.CharField(max_length=64, db_index=True)
    blake2_256_digest = models.CharField(max_length=64, unique=True)
    # Storage path, content addressed: <b2[:2]>/<b2[2:4]>/<b2[4:]>/<filename>.
    path = models.CharField(max_length=512, unique=True)
    # PEP 658: sha256 of the core metadata file served beside the distribution, if any.
    metadata_sha256_digest = models.CharField(max_length=64, blank=True)
    metadata_blake2_256_digest = models.CharField(max_length=64, blank=True)
    comment_text = models.TextField(blank=True)
    upload_time = models.DateTimeField(auto_now_add=True)
    uploader = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_via = models.CharField(max_length=256, blank=True)
    token = models.ForeignKey(
        "tokens.APIToken", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
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

    filename = models.CharField(max_length=255, unique=True)
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.filename


class RoleName(models.TextChoices):
    OWNER = "Owner", _("Owner")
    MAINTAINER = "Maintainer", _("Maintainer")


class Role(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="roles"
    )
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="roles")
    role_name = models.CharField(max_length=16, choices=RoleName.choices)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "project"], name="role_unique_user_project")
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.role_name} of {self.project}"


class ProhibitedProjectName(models.Model):
    """A name an admin has reserved: no project may be created under it."""

    name = models.CharField(max_length=200, unique=True, help_text=_("Normalized name."))
    comment = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)
    prohibited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    def __str__(self) -> str:
        return self.name


class RoleInvitation(models.Model):
    """An Owner's invitation to collaborate; becomes a Role when the invitee accepts."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_invitations"
    )
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="invitations")
    role_name = models.CharField(max_length=16, choices=RoleName.choices)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "project"], name="role_invitation_unique_user_project"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} invited as {self.role_name} of {self.project}"
