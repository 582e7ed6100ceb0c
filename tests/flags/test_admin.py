"""The admin flags page: every flag listed, switched from the admin, audited, effective at once."""

import pytest
from django.urls import reverse

from cheeseshop.audit.models import Event
from cheeseshop.flags.models import AdminFlag, FlagId
from cheeseshop.flags.services import is_enabled
from tests.packaging.dists import make_wheel

pytestmark = pytest.mark.django_db

FLAGS = "/admin/flags/adminflag/"


def change_url(flag: FlagId) -> str:
    return reverse("admin:flags_adminflag_change", args=[flag.value])


def change_flag(client, flag: FlagId, *, enabled: bool, notify: bool = True, message: str = ""):
    data = {"message": message}
    if enabled:
        data["enabled"] = "on"
    if notify:
        data["notify"] = "on"
    response = client.post(change_url(flag), data)
    assert response.status_code == 302, response.content
    return response


def changelist_data(page, **changes) -> dict:
    """The changelist's editable formset as the browser would post it, with ``changes``
    (flag id -> {field: value}) applied."""
    formset = page.context["cl"].formset
    data = {
        f"{formset.prefix}-TOTAL_FORMS": str(formset.total_form_count()),
        f"{formset.prefix}-INITIAL_FORMS": str(formset.initial_form_count()),
        "_save": "Save",
    }
    for form in formset.forms:
        values = {"id": form.instance.id, "enabled": form.instance.enabled}
        values |= {"notify": form.instance.notify, "message": form.instance.message}
        values |= changes.get(form.instance.id, {})
        for field, value in values.items():
            if value is True:
                data[f"{form.prefix}-{field}"] = "on"
            elif value is not False:
                data[f"{form.prefix}-{field}"] = value
    return data


def test_changelist_lists_all_four_flags_disabled(staff_client):
    page = staff_client.get(FLAGS)
    flags = page.context["cl"].result_list
    assert sorted(f.id for f in flags) == sorted(FlagId.values)
    assert not any(f.enabled for f in flags)


def test_changelist_creates_missing_flag_rows(staff_client):
    AdminFlag.objects.all().delete()
    page = staff_client.get(FLAGS)
    assert sorted(f.id for f in page.context["cl"].result_list) == sorted(FlagId.values)


def test_enabling_a_flag_records_the_change_and_takes_effect_at_once(
    staff_client, staff, client, post_upload, tmp_path
):
    change_flag(staff_client, FlagId.DISALLOW_NEW_UPLOAD, enabled=True, message="Maintenance.")

    assert is_enabled(FlagId.DISALLOW_NEW_UPLOAD)
    event = Event.objects.get(tag="admin:flag:change")
    assert (event.actor, event.credential) == (staff, {"method": "admin"})
    assert event.additional["flag"] == "disallow-new-upload"
    assert (event.additional["enabled"], event.additional["message"]) == (True, "Maintenance.")
    refused = post_upload(make_wheel(tmp_path, "example-pkg", "1.0"), "example-pkg", "1.0")
    assert refused.status_code == 403
    assert "Maintenance." in client.get("/").content.decode()


def test_disabling_a_flag_records_the_change_and_lifts_it(staff_client, post_upload, tmp_path):
    change_flag(staff_client, FlagId.READ_ONLY, enabled=True)
    change_flag(staff_client, FlagId.READ_ONLY, enabled=False)

    assert not is_enabled(FlagId.READ_ONLY)
    states = [
        e.additional["enabled"]
        for e in Event.objects.filter(tag="admin:flag:change").order_by("id")
    ]
    assert states == [True, False]
    wheel = make_wheel(tmp_path, "example-pkg", "1.0")
    assert post_upload(wheel, "example-pkg", "1.0").status_code == 200


def test_saving_without_a_change_records_nothing(staff_client):
    change_flag(staff_client, FlagId.READ_ONLY, enabled=False)
    assert not Event.objects.filter(tag="admin:flag:change").exists()


def test_toggling_on_the_changelist_records_each_changed_flag(staff_client, staff):
    page = staff_client.get(FLAGS)
    data = changelist_data(
        page,
        **{"read-only": {"enabled": True}, "disallow-new-user-registration": {"notify": False}},
    )
    response = staff_client.post(FLAGS, data)
    assert response.status_code == 302, response.context["cl"].formset.errors

    assert is_enabled(FlagId.READ_ONLY)
    assert not AdminFlag.objects.get(id=FlagId.DISALLOW_NEW_USER).notify
    events = Event.objects.filter(tag="admin:flag:change").order_by("additional__flag")
    assert [(e.additional["flag"], e.additional["changed"]) for e in events] == [
        ("disallow-new-user-registration", ["notify"]),
        ("read-only", ["enabled"]),
    ]


def test_banner_notify_can_be_switched_off_from_the_admin(staff_client, client):
    change_flag(staff_client, FlagId.READ_ONLY, enabled=True, notify=False)
    assert str(FlagId.READ_ONLY.label) not in client.get("/").content.decode()
    change_flag(staff_client, FlagId.READ_ONLY, enabled=True, notify=True)
    assert str(FlagId.READ_ONLY.label) in client.get("/").content.decode()


def test_admin_pages_show_the_banner_of_an_enabled_flag(staff_client):
    change_flag(staff_client, FlagId.READ_ONLY, enabled=True)
    assert str(FlagId.READ_ONLY.label) in staff_client.get("/admin/").content.decode()


def test_flags_cannot_be_added_or_deleted(staff_client):
    assert staff_client.get(f"{FLAGS}add/").status_code == 403
    assert staff_client.get(f"{change_url(FlagId.READ_ONLY)[:-7]}delete/").status_code == 403
    assert AdminFlag.objects.count() == len(FlagId)


def test_non_staff_user_cannot_change_a_flag(client, user):
    client.force_login(user)
    response = client.post(change_url(FlagId.READ_ONLY), {"enabled": "on", "notify": "on"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    assert not is_enabled(FlagId.READ_ONLY)
