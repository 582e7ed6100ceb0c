"""The admin flags service: one query per request answers every ``is_enabled`` question."""

from django.utils.translation import gettext as _

from cheeseshop.flags.models import AdminFlag, FlagId
from cheeseshop.packaging.errors import UploadRejected
from cheeseshop.packaging.prepared import PreparedQuery


def enabled_flags() -> dict[str, AdminFlag]:
    return {flag.id: flag for flag in AdminFlag.objects.filter(enabled=True)}


def is_enabled(flag: FlagId) -> bool:
    return AdminFlag.objects.filter(id=flag, enabled=True).exists()


def ensure_flag_rows() -> None:
    """Create, disabled, the row of any flag that has none (the admin lists every flag)."""
    AdminFlag.objects.bulk_create(
        [AdminFlag(id=flag, enabled=False) for flag in FlagId], ignore_conflicts=True
    )


def set_flag(flag: FlagId, enabled: bool, *, notify: bool = True, message: str = "") -> AdminFlag:
    obj, _created = AdminFlag.objects.update_or_create(
        id=flag, defaults={"enabled": enabled, "notify": notify, "message": message}
    )
    return obj


# Read on every upload: compiled once (see cheeseshop.packaging.prepared).
_ENABLED_IDS = PreparedQuery(lambda: AdminFlag.objects.filter(enabled=True).values_list("id"))


def ensure_uploads_allowed() -> None:
    """Upload kill switches, checked before anything else of an upload is looked at."""
    flags = {flag for (flag,) in _ENABLED_IDS.rows()}
    if FlagId.READ_ONLY in flags:
        raise UploadRejected(_("Read-only mode: Uploads are temporarily disabled."), status=403)
    if FlagId.DISALLOW_NEW_UPLOAD in flags:
        raise UploadRejected(_("New uploads are temporarily disabled."), status=403)


def ensure_project_creation_allowed() -> None:
    if (FlagId.DISALLOW_NEW_PROJECT.value,) in _ENABLED_IDS.rows():
        raise UploadRejected(_("New project registration temporarily disabled."), status=403)
