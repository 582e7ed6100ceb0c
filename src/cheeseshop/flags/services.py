"""The admin flags service: which kill switches are on, asked through ``is_enabled``."""

from django.utils.translation import gettext as _

from cheeseshop.errors import Disabled
from cheeseshop.flags.models import AdminFlag, FlagId
from cheeseshop.prepared import PreparedQuery

# Asked on every upload: compiled once (see cheeseshop.prepared).
_ENABLED_IDS = PreparedQuery(lambda: AdminFlag.objects.filter(enabled=True).values_list("id"))


def enabled_flags() -> dict[str, AdminFlag]:
    return {flag.id: flag for flag in AdminFlag.objects.filter(enabled=True)}


def enabled_flag_ids() -> set[str]:
    return {flag_id for (flag_id,) in _ENABLED_IDS.rows()}


def is_enabled(flag: FlagId) -> bool:
    return flag in enabled_flag_ids()


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


def ensure_uploads_allowed() -> None:
    """Upload kill switches, checked before anything else of an upload is looked at."""
    flags = enabled_flag_ids()
    if FlagId.READ_ONLY in flags:
        raise Disabled(_("Read-only mode: Uploads are temporarily disabled."))
    if FlagId.DISALLOW_NEW_UPLOAD in flags:
        raise Disabled(_("New uploads are temporarily disabled."))


def ensure_project_creation_allowed() -> None:
    if is_enabled(FlagId.DISALLOW_NEW_PROJECT):
        raise Disabled(_("New project registration temporarily disabled."))
