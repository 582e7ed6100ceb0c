"""The audit trail's vocabulary: what it records, as ``source:subject:action``.

Apart from the models, so code that must run without the app registry (the offline malware
scanner's checks) can name events.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class EventTag(models.TextChoices):
    """The closed set of things the audit trail records, as ``source:subject:action``."""

    PROJECT_CREATE = "project:create", _("Project created")
    PROJECT_REMOVE = "project:remove", _("Project deleted")
    PROJECT_ROLE_ADD = "project:role:add", _("Collaborator added")
    PROJECT_ROLE_CHANGE = "project:role:change", _("Collaborator role changed")
    PROJECT_ROLE_REMOVE = "project:role:remove", _("Collaborator removed")
    PROJECT_ROLE_INVITE = "project:role:invite", _("Collaborator invited")
    PROJECT_ROLE_DECLINE_INVITE = "project:role:decline_invite", _("Invitation declined")
    PROJECT_ROLE_REVOKE_INVITE = "project:role:revoke_invite", _("Invitation revoked")
    PROJECT_RELEASE_ADD = "project:release:add", _("Release added")
    PROJECT_RELEASE_REMOVE = "project:release:remove", _("Release deleted")
    PROJECT_RELEASE_YANK = "project:release:yank", _("Release yanked")
    PROJECT_RELEASE_UNYANK = "project:release:unyank", _("Release un-yanked")
    PROJECT_SETTINGS_CHANGE = "project:settings:change", _("Project settings changed")
    PROJECT_STATUS_CHANGE = "project:status:change", _("Project status changed")
    FILE_ADD = "file:add", _("File added")
    FILE_REMOVE = "file:remove", _("File deleted")
    ACCOUNT_CREATE = "account:create", _("Account created")
    ACCOUNT_LOGIN_SUCCESS = "account:login:success", _("Logged in")
    ACCOUNT_LOGIN_FAILURE = "account:login:failure", _("Failed login")
    ACCOUNT_LOGOUT = "account:logout", _("Logged out")
    ACCOUNT_PASSWORD_CHANGE = "account:password:change", _("Password changed")
    ACCOUNT_PASSWORD_RESET_REQUEST = "account:password:reset:request", _("Password reset asked")
    ACCOUNT_PASSWORD_RESET = "account:password:reset", _("Password reset")
    ACCOUNT_EMAIL_ADD = "account:email:add", _("Email address added")
    ACCOUNT_EMAIL_REMOVE = "account:email:remove", _("Email address removed")
    ACCOUNT_EMAIL_VERIFIED = "account:email:verified", _("Email address verified")
    ACCOUNT_EMAIL_PRIMARY_CHANGE = "account:email:primary:change", _("Primary email changed")
    ACCOUNT_ROLE_INVITE = "account:role:invite", _("Invited to a project")
    ACCOUNT_ROLE_ADD = "account:role:add", _("Joined a project")
    ACCOUNT_ROLE_DECLINE_INVITE = "account:role:decline_invite", _("Declined an invitation")
    ACCOUNT_ROLE_REVOKE_INVITE = "account:role:revoke_invite", _("Invitation to a project revoked")
    ACCOUNT_ROLE_CHANGE = "account:role:change", _("Role in a project changed")
    ACCOUNT_ROLE_REMOVE = "account:role:remove", _("Removed from a project")
    ACCOUNT_API_TOKEN_ADDED = "account:api_token:added", _("API token added")
    ACCOUNT_API_TOKEN_REMOVED = "account:api_token:removed", _("API token removed")
    ACCOUNT_API_TOKEN_REMOVED_LEAK = (
        "account:api_token:removed_leak",
        _("API token revoked after it was found leaked"),
    )
    # two-factor
    ACCOUNT_TWO_FACTOR_METHOD_ADDED = (
        "account:two_factor:method_added",
        _("Two-factor method added"),
    )
    ACCOUNT_TWO_FACTOR_METHOD_REMOVED = (
        "account:two_factor:method_removed",
        _("Two-factor method removed"),
    )
    ACCOUNT_RECOVERY_CODES_GENERATED = (
        "account:recovery_codes:generated",
        _("Recovery codes generated"),
    )
    ACCOUNT_RECOVERY_CODES_USED = "account:recovery_codes:used", _("Recovery code used")
    ACCOUNT_REAUTHENTICATE = "account:reauthenticate", _("Confirmed identity again")
    PROJECT_API_TOKEN_ADDED = "project:api_token:added", _("API token for the project added")
    PROJECT_API_TOKEN_REMOVED = "project:api_token:removed", _("API token for the project removed")
    ADMIN_USER_FREEZE = "admin:user:freeze", _("Admin froze the account")
    ADMIN_USER_CHANGE = "admin:user:change", _("Admin changed the account")
    ADMIN_USER_PASSWORD_CHANGE = "admin:user:password:change", _("Admin set the password")
    ADMIN_USER_UNFREEZE = "admin:user:unfreeze", _("Admin unfroze the account")
    ADMIN_USER_TRUST_UPLOADS = (
        "admin:user:trusted_uploader:add",
        _("Admin made the account a trusted uploader"),
    )
    ADMIN_USER_UNTRUST_UPLOADS = (
        "admin:user:trusted_uploader:remove",
        _("Admin made the account an ordinary uploader again"),
    )
    ADMIN_EMAIL_VERIFY = "admin:email:verify", _("Admin verified an email address")
    ADMIN_FILE_REMOVE = "admin:file:remove", _("Admin deleted a file")
    ADMIN_RELEASE_REMOVE = "admin:release:remove", _("Admin deleted a release")
    ADMIN_PROJECT_REMOVE = "admin:project:remove", _("Admin deleted a project")
    ADMIN_PROHIBITED_NAME_ADD = "admin:prohibited_name:add", _("Admin prohibited a name")
    ADMIN_PROHIBITED_NAME_REMOVE = "admin:prohibited_name:remove", _("Admin allowed a name")
    ADMIN_FLAG_CHANGE = "admin:flag:change", _("Admin changed a flag")
    ADMIN_USER_RESET_TWO_FACTOR = (
        "admin:user:reset_two_factor",
        _("Admin reset two-factor authentication"),
    )
    ADMIN_CHECK_STATE_CHANGE = (
        "admin:check:state:change",
        _("Admin changed a malware check's state"),
    )
    ADMIN_CHECK_RUN = "admin:check:run", _("Admin ran a malware check over existing objects")
    ADMIN_VERDICT_REVIEW = "admin:verdict:review", _("Admin reviewed a malware verdict")
    ADMIN_PROJECT_QUARANTINE = "admin:project:quarantine:enter", _("Admin quarantined a project")
    ADMIN_PROJECT_QUARANTINE_EXIT = (
        "admin:project:quarantine:exit",
        _("Admin lifted a project's quarantine"),
    )
    MALWARE_PROJECT_QUARANTINE = (
        "malware:project:quarantine:enter",
        _("Project quarantined automatically on a malware verdict"),
    )
    AUDIT_EXPIRE = "audit:expire", _("Events older than the retention period removed")
    TUF_INIT = "tuf:init", _("TUF signing set up")
    TUF_SIGN = "tuf:sign", _("Offline TUF metadata signed")
    TUF_RENEW = "tuf:renew", _("Offline TUF metadata renewed")
    TUF_ABANDON = "tuf:abandon", _("Unsigned TUF metadata abandoned")
    TUF_ONLINE_KEY_ROTATE = "tuf:online_key:rotate", _("TUF online key rotation")
    TUF_ROOT_ROTATE = "tuf:root:rotate", _("TUF root key rotation")
    TUF_GC = "tuf:gc", _("Superseded TUF metadata removed")
