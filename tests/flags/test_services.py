import pytest

from cheeseshop.flags.models import AdminFlag, FlagId
from cheeseshop.flags.services import enabled_flags, ensure_flag_rows, set_flag

pytestmark = pytest.mark.django_db


def test_ensure_flag_rows_creates_missing_flags_disabled():
    AdminFlag.objects.filter(id=FlagId.READ_ONLY).delete()
    ensure_flag_rows()
    assert sorted(AdminFlag.objects.values_list("id", flat=True)) == sorted(FlagId.values)
    assert enabled_flags() == {}


def test_ensure_flag_rows_leaves_existing_flags_as_they_are():
    set_flag(FlagId.DISALLOW_NEW_UPLOAD, True, notify=False, message="Maintenance.")
    ensure_flag_rows()
    flag = AdminFlag.objects.get(id=FlagId.DISALLOW_NEW_UPLOAD)
    assert (flag.enabled, flag.notify, flag.message) == (True, False, "Maintenance.")
