"""API token caveats, in PyPI's wire format.

A caveat is one restriction carried by a token's macaroon. On the wire each is a JSON array
``[tag, field, ...]`` (PyPI's format, so tools such as ``pypitoken`` can attenuate our tokens);
fields are only ever appended, never reordered. Older tools write PyPI's legacy V1 JSON objects,
which are adapted onto the same classes here.

Anything not understood fails closed: an unknown tag, a field of the wrong type, or more fields
than we know (a newer field might be a restriction we would otherwise ignore) is malformed. So is
anything out of bounds: a holder writes these caveats offline, and a timestamp past year 9999, an
id longer than any we issue or a list of a million names must be refused as malformed, not reach
the code that turns them into dates or queries.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Self

from django.utils.translation import gettext as _
from packaging.utils import canonicalize_name

if TYPE_CHECKING:
    from cheeseshop.accounts.models import User
    from cheeseshop.packaging.models import Project


class MalformedCaveatError(ValueError):
    """A caveat that cannot be understood; the message says what is wrong with it."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class Success:
    def __bool__(self) -> bool:
        return True


@dataclass(frozen=True, slots=True)
class Failure:
    reason: str

    def __bool__(self) -> bool:
        return False


Result = Success | Failure


@dataclass(frozen=True)
class VerificationContext:
    """What a token is being used for: who presents it, on which project, and when.

    ``project`` is None when the upload would create a new project.
    """

    user: User
    project: Project | None
    now: datetime


# -- field checks: JSON gives us loosely typed values; each field states what it accepts.

# 9999-12-31T23:59:59Z: the last second a datetime can hold. A later expiry would overflow
# wherever it is shown as a date.
MAX_TIMESTAMP = 253_402_300_799
# The longest string a caveat may hold: project names (and our ids) are at most 200 characters.
MAX_STRING_LENGTH = 200
# The most names or ids a caveat may list: far more projects than one token is ever scoped to.
MAX_LIST_LENGTH = 1000
# Ids written as integers are database keys: at most a signed 64-bit integer.
MAX_INTEGER_ID = 2**63 - 1


def _integer(value: Any, field: str) -> int:
    # bool is an int subclass in Python, but `true` is not a timestamp.
    if isinstance(value, bool) or not isinstance(value, int):
        raise MalformedCaveatError(
            _("caveat field '%(field)s' must be an integer") % {"field": field}
        )
    return value


def _timestamp(value: Any, field: str) -> int:
    """A Unix timestamp a date can hold: from 1970 to the end of year 9999."""
    if not 0 <= _integer(value, field) <= MAX_TIMESTAMP:
        raise MalformedCaveatError(
            _("caveat field '%(field)s' must be a Unix timestamp from 0 to %(max)d")
            % {"field": field, "max": MAX_TIMESTAMP}
        )
    return value


def _bounded_string(value: str, field: str) -> str:
    if len(value) > MAX_STRING_LENGTH:
        raise MalformedCaveatError(
            _("caveat field '%(field)s' holds a string longer than %(max)d characters")
            % {"field": field, "max": MAX_STRING_LENGTH}
        )
    return value


def _identifier(value: Any, field: str) -> str:
    """An id written as a string (PyPI's form) or, as some tools write it, an integer."""
    if isinstance(value, str):
        return _bounded_string(value, field)
    if isinstance(value, int) and not isinstance(value, bool):
        if not 0 <= value <= MAX_INTEGER_ID:
            raise MalformedCaveatError(
                _("caveat field '%(field)s' must be an id from 0 to %(max)d")
                % {"field": field, "max": MAX_INTEGER_ID}
            )
        return str(value)
    raise MalformedCaveatError(_("caveat field '%(field)s' must be a string") % {"field": field})


def _bounded_list(value: Any, field: str) -> tuple[Any, ...]:
    if not isinstance(value, list | tuple):
        raise MalformedCaveatError(
            _("caveat field '%(field)s' must be a list of strings") % {"field": field}
        )
    if len(value) > MAX_LIST_LENGTH:
        raise MalformedCaveatError(
            _("caveat field '%(field)s' lists more than %(max)d items")
            % {"field": field, "max": MAX_LIST_LENGTH}
        )
    return tuple(value)


def _string_list(value: Any, field: str) -> tuple[str, ...]:
    items = _bounded_list(value, field)
    if not all(isinstance(item, str) for item in items):
        raise MalformedCaveatError(
            _("caveat field '%(field)s' must be a list of strings") % {"field": field}
        )
    return tuple(_bounded_string(item, field) for item in items)


def _identifier_list(value: Any, field: str) -> tuple[str, ...]:
    return tuple(_identifier(item, field) for item in _bounded_list(value, field))


def _expect_fields(fields: list[Any], count: int, name: str) -> None:
    if len(fields) < count:
        # Translators: %(caveat)s is a token caveat's kind, a name in code ("ProjectName"), not
        # translated.
        raise MalformedCaveatError(_("%(caveat)s caveat has too few fields") % {"caveat": name})
    if len(fields) > count:
        raise MalformedCaveatError(
            # Translators: %(caveat)s is a token caveat's kind, a name in code ("ProjectName"), not
            # translated.
            _("%(caveat)s caveat has more fields than this index understands") % {"caveat": name}
        )


# -- the caveats


class Caveat:
    """Base of all caveats: a tag, explicit (de)serialization, and one check."""

    tag: ClassVar[int]

    @classmethod
    def from_fields(cls, fields: list[Any]) -> Self:
        raise NotImplementedError

    def to_json(self) -> list[Any]:
        raise NotImplementedError

    def verify(self, context: VerificationContext) -> Result:
        raise NotImplementedError


@dataclass(frozen=True)
class Expiration(Caveat):
    """``[0, expires_at, not_before]``: usable from ``not_before`` (incl.) until ``expires_at``
    (excl.), both Unix timestamps."""

    tag: ClassVar[int] = 0
    expires_at: int
    not_before: int

    def __post_init__(self) -> None:
        _timestamp(self.expires_at, "expires_at")
        _timestamp(self.not_before, "not_before")

    @classmethod
    def from_fields(cls, fields: list[Any]) -> Self:
        _expect_fields(fields, 2, "Expiration")
        return cls(expires_at=fields[0], not_before=fields[1])

    def to_json(self) -> list[Any]:
        return [self.tag, self.expires_at, self.not_before]

    def verify(self, context: VerificationContext) -> Result:
        now = int(context.now.timestamp())
        if now < self.not_before:
            return Failure(_("token is not yet valid"))
        if now >= self.expires_at:
            return Failure(_("token is expired"))
        return Success()


def _project_scope_failure(context: VerificationContext) -> Failure:
    if context.project is None:
        return Failure(_("project-scoped token cannot create a new project"))
    return Failure(
        _("project-scoped token is not valid for project: '%(project)s'")
        % {"project": context.project.name}
    )


@dataclass(frozen=True)
class ProjectName(Caveat):
    """``[1, [names]]``: only for projects with one of these (PEP 503 normalized) names."""

    tag: ClassVar[int] = 1
    normalized_names: tuple[str, ...]

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "normalized_names", _string_list(self.normalized_names, "normalized_names")
        )

    @classmethod
    def from_fields(cls, fields: list[Any]) -> Self:
        _expect_fields(fields, 1, "ProjectName")
        return cls(normalized_names=fields[0])

    def to_json(self) -> list[Any]:
        return [self.tag, list(self.normalized_names)]

    def verify(self, context: VerificationContext) -> Result:
        # Tools write names as the user typed them; a name normalizes to one project only, so
        # comparing normalized forms never widens the scope.
        allowed = {canonicalize_name(name) for name in self.normalized_names}
        if context.project is None or context.project.normalized_name not in allowed:
            return _project_scope_failure(context)
        return Success()


@dataclass(frozen=True)
class ProjectID(Caveat):
    """``[2, [ids]]``: only for projects with one of these ids; unlike a name, survives a
    rename."""

    tag: ClassVar[int] = 2
    project_ids: tuple[str, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "project_ids", _identifier_list(self.project_ids, "project_ids"))

    @classmethod
    def from_fields(cls, fields: list[Any]) -> Self:
        _expect_fields(fields, 1, "ProjectID")
        return cls(project_ids=fields[0])

    def to_json(self) -> list[Any]:
        return [self.tag, list(self.project_ids)]

    def verify(self, context: VerificationContext) -> Result:
        if context.project is None or str(context.project.pk) not in self.project_ids:
            return _project_scope_failure(context)
        return Success()


@dataclass(frozen=True)
class RequestUser(Caveat):
    """``[3, user_id]``: only when presented on behalf of this user (id as a string)."""

    tag: ClassVar[int] = 3
    user_id: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "user_id", _identifier(self.user_id, "user_id"))

    @classmethod
    def from_fields(cls, fields: list[Any]) -> Self:
        _expect_fields(fields, 1, "RequestUser")
        return cls(user_id=fields[0])

    def to_json(self) -> list[Any]:
        return [self.tag, self.user_id]

    def verify(self, context: VerificationContext) -> Result:
        if str(context.user.pk) != self.user_id:
            return Failure(_("token is for another user"))
        return Success()


CAVEATS_BY_TAG: dict[int, type[Caveat]] = {
    caveat.tag: caveat for caveat in (Expiration, ProjectName, ProjectID, RequestUser)
}


# -- legacy V1 objects, as PyPI's first token format and pypitoken's `legacy_*` options write
# them. Each adapter accepts exactly the keys of its format, nothing more.


def _adapt_legacy_v1(data: dict[str, Any], legacy_user_id: int | str | None) -> Caveat:
    if set(data) != {"version", "permissions"}:
        raise MalformedCaveatError(_("legacy caveat has unexpected keys"))
    permissions = data["permissions"]
    if permissions == "user":
        # "Any project of the token's user": the token's user is who the caveat names.
        if legacy_user_id is None:
            raise MalformedCaveatError(_("legacy user-scoped caveat needs the token's user"))
        return RequestUser(user_id=str(legacy_user_id))
    if isinstance(permissions, dict) and set(permissions) == {"projects"}:
        return ProjectName(normalized_names=permissions["projects"])
    raise MalformedCaveatError(_("legacy caveat has unknown permissions"))


def _adapt_legacy(data: dict[str, Any], legacy_user_id: int | str | None) -> Caveat:
    if "version" in data:
        if type(data["version"]) is not int or data["version"] != 1:
            raise MalformedCaveatError(_("legacy caveat has an unknown version"))
        return _adapt_legacy_v1(data, legacy_user_id)
    if set(data) == {"exp", "nbf"}:
        return Expiration(expires_at=data["exp"], not_before=data["nbf"])
    if set(data) == {"project_ids"}:
        return ProjectID(project_ids=data["project_ids"])
    raise MalformedCaveatError(_("caveat is an object of an unknown legacy format"))


# -- entry points


def parse_caveat(value: Any, *, legacy_user_id: int | str | None = None) -> Caveat:
    """The caveat a decoded JSON value describes.

    ``legacy_user_id`` is the id of the token's user, needed only to read the legacy
    ``{"version": 1, "permissions": "user"}`` form. Raises MalformedCaveatError.
    """
    if isinstance(value, dict):
        return _adapt_legacy(value, legacy_user_id)
    if not isinstance(value, list):
        raise MalformedCaveatError(_("caveat must be a JSON array"))
    if not value:
        raise MalformedCaveatError(_("caveat array is empty"))
    tag, *fields = value
    caveat_class = None
    if isinstance(tag, int) and not isinstance(tag, bool):
        caveat_class = CAVEATS_BY_TAG.get(tag)
    if caveat_class is None:
        raise MalformedCaveatError(
            _("caveat has an unknown tag: %(tag)s") % {"tag": json.dumps(tag)}
        )
    return caveat_class.from_fields(fields)


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _value in pairs]
    if len(keys) != len(set(keys)):
        raise MalformedCaveatError(_("caveat repeats a key"))
    return dict(pairs)


def _reject_constant(name: str) -> Any:
    raise MalformedCaveatError(_("caveat is not valid JSON"))


def deserialize_caveat(text: str, *, legacy_user_id: int | str | None = None) -> Caveat:
    """Read one caveat from its wire form. Raises MalformedCaveatError."""
    try:
        value = json.loads(
            text, object_pairs_hook=_reject_duplicate_keys, parse_constant=_reject_constant
        )
    except MalformedCaveatError:
        raise  # a ValueError too, raised by the hooks above with its own reason
    # ValueError: besides JSONDecodeError, an integer of more digits than Python converts.
    except (ValueError, RecursionError) as exc:
        raise MalformedCaveatError(_("caveat is not valid JSON")) from exc
    return parse_caveat(value, legacy_user_id=legacy_user_id)


def serialize_caveat(caveat: Caveat) -> str:
    """The wire form of a caveat: compact JSON, as PyPI writes it."""
    return json.dumps(caveat.to_json(), separators=(",", ":"))
