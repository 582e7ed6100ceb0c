"""The site the accessibility test browses, seeded once per test session inside the live
server's own environment (``cheeseshop manage shell``), with the real models and services:
users with and without two-factor, a project with a yanked release and one whose README holds
code, collaborators and a pending invitation, a site-wide banner, malware checks and a verdict.

Run as ``python -c "from tests.a11y.seed import main; main()"`` in the server's shell; prints
the facts the test needs (TOTP secrets, ids, keyed links) as one JSON line.
"""

import json
import sys

PASSWORD = "a-long-and-unusual-passphrase-42"
PROJECT = "cheddar-tools"
# A README as authors write them: a heading, emphasis, a fenced code block, a table and a long
# unbroken word (which must not widen a 320 px page).
README = """# Cheddar tools

Utilities for **aged** cheese, with a `cheddar` command.

```python
import cheddar

print(cheddar.age("farmhouse", months=24, rind="cloth-bound", region="Somerset"))
```

| Cheese | Months |
| ------ | ------ |
| Mild   | 3      |
| Vintage | 24    |

Supercalifragilisticexpialidociouscheddarwithoutanyspacesatallinitsname.
"""
METADATA = b"Metadata-Version: 2.4\nName: cheddar-tools\nVersion: %s\n"


def _release(project, version: str, **fields):
    from tests.index.builders import make_file, make_release

    release = make_release(
        project,
        version,
        summary="Tools for aged cheese",
        description=README,
        description_content_type="text/markdown",
        requires_python=">=3.11",
        **fields,
    )
    from cheeseshop.packaging.models import FilenameRegistry
    from cheeseshop.packaging.tasks import verify_stored_file

    files = [
        make_file(release, metadata=METADATA % version.encode()),
        make_file(release, f"cheddar_tools-{version}.tar.gz"),
    ]
    # What an upload does besides: the name is taken for good, the stored bytes are checked.
    for file in files:
        FilenameRegistry.objects.create(filename=file.filename)
        verify_stored_file.enqueue(file.pk)
    return release


def seed() -> dict:
    from allauth.account.forms import default_token_generator
    from allauth.account.models import EmailAddress, EmailConfirmationHMAC
    from allauth.account.utils import user_pk_to_url_str
    from django.contrib.auth.models import Group
    from django.urls import reverse

    from cheeseshop.accounts.services import create_user, enrol_totp
    from cheeseshop.flags.models import FlagId
    from cheeseshop.flags.services import set_flag
    from cheeseshop.malware.models import Backfill
    from cheeseshop.malware.runner import sync_checks
    from cheeseshop.packaging.changes import invite_collaborator, yank_release
    from cheeseshop.packaging.models import ProhibitedProjectName, Role, RoleName
    from tests.index.builders import make_project, publish
    from tests.malware.verdicts import make_verdict

    owner = create_user("olivia", "olivia@example.com", password=PASSWORD)
    _uri, owner_secret = enrol_totp(owner)
    maintainer = create_user("max", "max@example.com", password=PASSWORD)
    invitee = create_user("sam", "sam@example.com", password=PASSWORD)
    newcomer = create_user("nadia", "nadia@example.com", password=PASSWORD)
    staff = create_user("root", "root@example.com", password=PASSWORD, admin=True)
    _uri, staff_secret = enrol_totp(staff)

    project = make_project(PROJECT)
    Role.objects.create(user=owner, project=project, role_name=RoleName.OWNER)
    Role.objects.create(user=maintainer, project=project, role_name=RoleName.MAINTAINER)
    first = _release(project, "1.0")
    _release(project, "1.1")
    publish(project)
    yank_release(first, actor=owner, reason="Breaks on Windows; use 1.1")
    invite_collaborator(project, invitee=invitee, role_name=RoleName.MAINTAINER, actor=owner)

    # A banner on every page, one that blocks nothing this test does.
    set_flag(FlagId.DISALLOW_NEW_PROJECT, True, message="New projects are paused for upkeep.")

    sync_checks()
    verdict = make_verdict(project, check="setup-py-code")
    Backfill.objects.create(check_name="setup-py-code", requested_by=staff, total=2, done=1)
    ProhibitedProjectName.objects.create(
        name="requests2", comment="Typo-squat", prohibited_by=staff
    )
    Group.objects.create(name="Moderators")

    # Keyed links from emails: an address to confirm, a password to reset.
    # (Not the newcomer's: an unverified address keeps a user from setting up two-factor.)
    unconfirmed = EmailAddress.objects.create(
        user=invitee, email="sam@example.org", primary=False, verified=False
    )
    confirm_path = reverse("account_confirm_email", args=[EmailConfirmationHMAC(unconfirmed).key])
    reset_path = reverse(
        "account_reset_password_from_key",
        kwargs={
            "uidb36": user_pk_to_url_str(newcomer),
            "key": default_token_generator.make_token(newcomer),
        },
    )
    return {
        "owner_secret": owner_secret,
        "staff_secret": staff_secret,
        "verdict": verdict.pk,
        "confirm_email_path": confirm_path,
        "reset_password_path": reset_path,
    }


def admin_objects() -> dict:
    """For each model registered in the admin, the primary key of one of its rows (if any),
    read after the site has run a while (tasks leave results, logins leave events)."""
    from django.contrib import admin

    from tests.a11y.pages import admin_object_key

    objects = {}
    for model in admin.site._registry:
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            objects[admin_object_key(model)] = str(first.pk)
    return objects


def main() -> None:
    sys.stdout.write(json.dumps(seed()) + "\n")


def main_admin_objects() -> None:
    sys.stdout.write(json.dumps(admin_objects()) + "\n")
