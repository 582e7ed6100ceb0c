"""How recorded events read to people: their kind, how the actor proved who they were, and where
the request came from.

Shared by the two security history pages (a user's, a project's) and the admin audit log.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cheeseshop.audit.models import Event, EventTag

# How much of the IP hash a page shows: enough to tell addresses apart, short enough to read.
SHORT_IP_HASH = 12


@dataclass(frozen=True)
class Kind:
    """A group of event tags a history page can be filtered by, named by tag prefixes; a tag
    belongs to the kind with its longest matching prefix."""

    slug: str
    label: Any  # a lazy translation
    prefixes: tuple[str, ...]


ACCOUNT_KINDS = (
    Kind("account", gettext_lazy("Account"), ("account:",)),
    Kind("project", gettext_lazy("Projects"), ("project:", "file:", "account:role:")),
    Kind("token", gettext_lazy("API tokens"), ("account:api_token:", "project:api_token:")),
    Kind(
        "two-factor",
        gettext_lazy("Two-factor authentication"),
        ("account:two_factor:", "account:recovery_codes:"),
    ),
    Kind("admin", gettext_lazy("Administrators"), ("admin:",)),
)

PROJECT_KINDS = (
    Kind("project", gettext_lazy("Project"), ("project:",)),
    Kind("collaborators", gettext_lazy("Collaborators"), ("project:role:",)),
    Kind("releases", gettext_lazy("Releases"), ("project:release:",)),
    Kind("files", gettext_lazy("Files"), ("file:",)),
    Kind("tokens", gettext_lazy("API tokens"), ("project:api_token:",)),
    Kind("admin", gettext_lazy("Administrators"), ("admin:",)),
)


def kind_of(tag: str, kinds: tuple[Kind, ...]) -> Kind | None:
    best, best_length = None, -1
    for kind in kinds:
        for prefix in kind.prefixes:
            if tag.startswith(prefix) and len(prefix) > best_length:
                best, best_length = kind, len(prefix)
    return best


def tags_of_kind(kind: Kind, kinds: tuple[Kind, ...]) -> list[str]:
    """Every known tag of ``kind``: tags are a closed set, so a filter is a plain ``IN``."""
    return [tag for tag in EventTag.values if kind_of(tag, kinds) == kind]


# --- How: the credential -------------------------------------------------------------------

CREDENTIAL_LABELS = {
    "session": gettext_lazy("Signed in on the web"),
    "password": gettext_lazy("Password"),
    "password+totp": gettext_lazy("Password and authenticator app"),
    "password+webauthn": gettext_lazy("Password and security key"),
    "password+recovery_code": gettext_lazy("Password and recovery code"),
    "passkey": gettext_lazy("Passkey"),
    "totp": gettext_lazy("Authenticator app"),
    "webauthn": gettext_lazy("Security key"),
    "recovery_code": gettext_lazy("Recovery code"),
    "recovery_codes": gettext_lazy("Recovery code"),
    "email_link": gettext_lazy("Link sent by email"),
    "signup": gettext_lazy("Signing up"),
    "admin": gettext_lazy("Admin area"),
    "cli": gettext_lazy("Command line on the server"),
    "malware-policy": gettext_lazy("Automatic quarantine policy (malware checks)"),
    "none": gettext_lazy("Nothing (not signed in)"),
    "unknown": gettext_lazy("Unknown"),
}


def describe_credential(credential: dict) -> str:
    method = credential.get("method", "")
    if method == "token":
        return _("API token “%(description)s”") % {
            "description": credential.get("description", "")
        }
    if method == "secret-scanning":
        return _("Leaked-secret report from %(origin)s") % {
            "origin": credential.get("origin", "") or _("a scanning service")
        }
    label = CREDENTIAL_LABELS.get(method)
    return str(label) if label is not None else (method or _("Unknown"))


# --- What: the details ---------------------------------------------------------------------

DETAIL_LABELS = {
    "name": gettext_lazy("Project"),
    "project": gettext_lazy("Project"),
    "version": gettext_lazy("Version"),
    "filename": gettext_lazy("File"),
    "target_user": gettext_lazy("User"),
    # Translators: a token event's detail: the user the API token belongs to (a username).
    "user": gettext_lazy("Token of"),
    "role_name": gettext_lazy("Role"),
    "previous_role_name": gettext_lazy("Previous role"),
    "invited_by": gettext_lazy("Invited by"),
    "yanked_reason": gettext_lazy("Reason"),
    "description": gettext_lazy("Token"),
    "email": gettext_lazy("Email address"),
    "reason": gettext_lazy("Reason"),
}


# How a detail's stored value reads in the reader's language, by key: the apps whose events
# store coded values (packaging's role names) register a reader in their AppConfig.ready().
_VALUE_READERS: dict[str, Callable[[Any], str]] = {}


def read_detail_with(key: str, reader: Callable[[Any], str]) -> None:
    """Show the ``key`` detail of events as ``reader`` tells it (any other value: as it is)."""
    _VALUE_READERS[key] = reader


def describe_details(additional: dict) -> list[tuple[str, str]]:
    return [
        (str(label), _VALUE_READERS.get(key, str)(additional[key]))
        for key, label in DETAIL_LABELS.items()
        if additional.get(key) not in (None, "", [], {})
    ]


# --- Where: the address and the software -------------------------------------------------


def _name_and_version(value: Any) -> str:
    """ "name version" from a parsed part of a user agent, whatever shape it was stored in."""
    if isinstance(value, str):
        return value
    if not isinstance(value, dict):
        return ""
    name = value.get("name") or value.get("family") or ""
    version = value.get("version") or ".".join(
        str(value[part]) for part in ("major", "minor") if value.get(part) not in (None, "")
    )
    return f"{name} {version}".strip() if name else ""


# Parsed by cheeseshop.audit.useragents: {"installer", "implementation", "system"} for tools,
# {"browser", "os"} for people. Other shapes (older rows, other parsers) are read as well as
# they can be.
SOFTWARE_KEYS = ("installer", "browser", "user_agent")
PLATFORM_KEYS = ("os", "system", "platform", "device")
RAW_USER_AGENT_SHOWN = 60


def _first_described(info: dict, keys: tuple[str, ...]) -> str:
    return next((text for key in keys if (text := _name_and_version(info.get(key)))), "")


def describe_user_agent(info: dict | None, raw: str) -> str:
    """A short description of the client: "twine 6.1.0 (CPython 3.11.7) on Linux",
    "Firefox 128.0 on Windows"; the start of the raw header when it was not parsed."""
    info = info if isinstance(info, dict) else {}
    software = _first_described(info, SOFTWARE_KEYS)
    implementation = _name_and_version(info.get("implementation"))
    if software and implementation:
        software = f"{software} ({implementation})"
    platform = _first_described(info, PLATFORM_KEYS)
    if software and platform:
        return _("%(software)s on %(platform)s") % {"software": software, "platform": platform}
    if software or platform:
        return software or platform
    if len(raw) > RAW_USER_AGENT_SHOWN:
        return raw[:RAW_USER_AGENT_SHOWN] + "…"
    return raw


def short_ip_hash(ip_hash: str) -> str:
    return ip_hash[:SHORT_IP_HASH]


@dataclass(frozen=True)
class HistoryRow:
    """One event as a history page shows it."""

    event: Event
    credential: str
    details: list[tuple[str, str]]
    ip_hash: str  # shortened; empty when not shown
    client: str  # the user agent, described; empty when not shown


def history_row(event: Event, *, show_origin: bool = True) -> HistoryRow:
    """``show_origin`` False hides where the request came from (someone else's address)."""
    return HistoryRow(
        event=event,
        credential=describe_credential(event.credential),
        details=describe_details(event.additional),
        ip_hash=short_ip_hash(event.ip_hash) if show_origin else "",
        client=(
            describe_user_agent(event.user_agent_info, event.user_agent) if show_origin else ""
        ),
    )
