"""Project name rules: syntax, normalisation, and who may claim a new name.

Rules 15c-15g of PyPI's upload flow (see the Warehouse reference, section 1.4).
"""

import functools
import re

import stdlib_list
from django.utils.translation import gettext as _
from packaging.utils import canonicalize_name

from cheeseshop.packaging.errors import ProjectNameTaken, UploadRejected
from cheeseshop.packaging.models import ProhibitedProjectName, Project
from cheeseshop.prepared import PreparedQuery

# ASCII letters and digits, with '.', '_' and '-' allowed inside (PEP 508 names).
PROJECT_NAME_RE = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])\Z", re.IGNORECASE)

_SEPARATORS_RE = re.compile(r"[-_.]")
# Characters that look alike in many fonts are folded together.
_LOOKALIKES = str.maketrans({"l": "1", "i": "1", "o": "0"})


def normalize_name(name: str) -> str:
    """PEP 503: lowercase, runs of '-', '_' and '.' collapsed to one '-'.

    The same function the views use (packaging's), so stored and looked-up names always agree.
    """
    return canonicalize_name(name)


def ultranormalize_name(name: str) -> str:
    """Fold a name so that names a reader could confuse compare equal.

    Separators are dropped, letters lowercased, 'l' and 'i' become '1' and 'o' becomes '0'.
    """
    return _SEPARATORS_RE.sub("", name).lower().translate(_LOOKALIKES)


def validate_project_name(name: str) -> None:
    if not PROJECT_NAME_RE.match(name):
        raise UploadRejected(_("The name '%(name)s' is invalid.") % {"name": name})


def _module_and_parents(module: str):
    parts = module.split(".")
    for end in range(1, len(parts) + 1):
        yield ".".join(parts[:end])


@functools.cache
def _stdlib_prohibited_names() -> frozenset[str]:
    """Every stdlib module and parent namespace of any Python version, canonicalised."""
    names = set()
    for version in stdlib_list.short_versions:
        for module in stdlib_list.stdlib_list(version):
            for prefix in _module_and_parents(module):
                stripped = prefix.strip("-_.")
                if stripped:
                    names.add(canonicalize_name(stripped))
    return frozenset(names)


def is_stdlib_name(name: str) -> bool:
    return canonicalize_name(name.strip("-_.")) in _stdlib_prohibited_names()


# Read for every new project: compiled once (see cheeseshop.prepared).
_PROHIBITED = PreparedQuery(
    lambda name: ProhibitedProjectName.objects.filter(name=name).values_list("pk")[:1], "\0name"
)
_SIMILAR = PreparedQuery(
    lambda ultranormalized_name: (
        Project.objects.filter(ultranormalized_name=ultranormalized_name)
        .order_by("normalized_name")
        .values_list("name")[:1]
    ),
    "\0ultranormalized_name",
)


def check_new_project_name(name: str, *, absent: bool = False) -> None:
    """Refuse a name that may not be used to create a new project.

    Checks run in PyPI's order: syntax, standard library, existing project, admin-prohibited
    names, then names too similar to an existing project. ``absent``: the caller has just
    looked the name up (under the lock it creates the project with), so no project has it.
    """
    validate_project_name(name)
    if is_stdlib_name(name):
        raise UploadRejected(
            _(
                "The name '%(name)s' isn't allowed (conflict with Python Standard Library "
                "module name)."
            )
            % {"name": name}
        )
    normalized = normalize_name(name)
    if not absent and Project.objects.filter(normalized_name=normalized).exists():
        raise ProjectNameTaken(
            _("The name '%(name)s' conflicts with an existing project.") % {"name": name}
        )
    if _PROHIBITED.first(normalized) is not None:
        raise UploadRejected(_("The name '%(name)s' isn't allowed.") % {"name": name})
    similar = _SIMILAR.first(ultranormalize_name(name))
    if similar is not None:
        raise UploadRejected(
            _("The name '%(name)s' is too similar to the existing project '%(existing)s'.")
            % {"name": name, "existing": similar[0]}
        )
