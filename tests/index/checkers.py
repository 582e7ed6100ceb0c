"""Explicit checkers of the simple API's wire formats, written from the specifications
(PEP 503, 592, 629, 658/714, 691, 700, 792), independent of the code under test."""

import re
from html.parser import HTMLParser

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    canonicalize_version,
    parse_sdist_filename,
    parse_wheel_filename,
)

HEX_DIGEST = re.compile(r"^[0-9a-f]+$")
API_VERSION = re.compile(r"^\d+\.\d+$")
# PEP 700: yyyy-mm-ddThh:mm:ss.ffffffZ, fraction optional, up to 6 digits, UTC.
UPLOAD_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$")
PROJECT_STATUSES = {"active", "archived", "quarantined", "deprecated"}


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_hashes(hashes, where: str) -> list[str]:
    if not isinstance(hashes, dict):
        return [f"{where}: hashes must be an object"]
    problems = []
    for name, digest in hashes.items():
        if name != name.lower():
            problems.append(f"{where}: hash name {name!r} is not lowercase")
        if not isinstance(digest, str) or not HEX_DIGEST.match(digest):
            problems.append(f"{where}: digest {digest!r} is not hex")
    if "sha256" not in hashes or len(hashes.get("sha256", "")) != 64:
        problems.append(f"{where}: no sha256 digest")
    return problems


def _file_version(filename: str) -> str | None:
    try:
        return str(parse_wheel_filename(filename)[1])
    except InvalidWheelFilename:
        pass
    try:
        return str(parse_sdist_filename(filename)[1])
    except InvalidSdistFilename:
        return None


def pep691_detail_problems(document) -> list[str]:  # noqa: PLR0912 - one rule per branch
    """Everything a PEP 691 (+700, 714, 792) project detail document gets wrong."""
    if not isinstance(document, dict):
        return ["the document must be an object"]
    problems = []
    meta = document.get("meta")
    if not isinstance(meta, dict) or not API_VERSION.match(str(meta.get("api-version", ""))):
        problems.append("meta.api-version must be a Major.Minor string")
    elif tuple(map(int, meta["api-version"].split("."))) < (1, 1):
        problems.append("versions/size need api-version 1.1 or later")
    name = document.get("name")
    if not isinstance(name, str) or canonicalize_name(name) != name:
        problems.append(f"name {name!r} must be the normalized name")
    versions = document.get("versions")
    if not isinstance(versions, list) or not all(isinstance(v, str) for v in versions):
        problems.append("versions must be a list of strings")
        versions = []
    elif len(set(versions)) != len(versions):
        problems.append("versions must not repeat")
    canonical_versions = {canonicalize_version(v) for v in versions}
    status = document.get("project-status")
    if status is not None and (
        not isinstance(status, dict)
        or status.get("status") not in PROJECT_STATUSES
        or not isinstance(status.get("reason", ""), str)
    ):
        problems.append(f"project-status {status!r} is malformed")
    files = document.get("files")
    if not isinstance(files, list):
        return [*problems, "files must be a list"]
    for index, file in enumerate(files):
        where = f"files[{index}]"
        if not isinstance(file, dict):
            problems.append(f"{where} must be an object")
            continue
        for key in ("filename", "url"):
            if not isinstance(file.get(key), str) or not file[key]:
                problems.append(f"{where}.{key} must be a non-empty string")
        problems += _check_hashes(file.get("hashes"), where)
        if not isinstance(file.get("requires-python"), str | None):
            problems.append(f"{where}.requires-python must be a string")
        for key in ("core-metadata", "data-dist-info-metadata"):
            value = file.get(key, False)
            if isinstance(value, dict):
                problems += _check_hashes(value, f"{where}.{key}")
            elif not isinstance(value, bool):
                problems.append(f"{where}.{key} must be a boolean or hashes")
        if file.get("data-dist-info-metadata", False) != file.get("core-metadata", False):
            problems.append(f"{where}: legacy metadata key disagrees with core-metadata")
        if "dist-info-metadata" in file:
            problems.append(f"{where}: dist-info-metadata breaks pip (PEP 714)")
        yanked = file.get("yanked", False)
        if not isinstance(yanked, bool) and not (isinstance(yanked, str) and yanked):
            problems.append(f"{where}.yanked must be a boolean or a non-empty string")
        if not _is_int(file.get("size")) or file["size"] < 0:
            problems.append(f"{where}.size must be a non-negative integer")
        if "upload-time" in file and not UPLOAD_TIME.match(str(file["upload-time"])):
            problems.append(f"{where}.upload-time {file['upload-time']!r} is not PEP 700's form")
        version = _file_version(str(file.get("filename", "")))
        if version is None or canonicalize_version(version) not in canonical_versions:
            problems.append(f"{where}: its version is not in versions")
    return problems


def pep691_index_problems(document) -> list[str]:
    if not isinstance(document, dict):
        return ["the document must be an object"]
    problems = []
    meta = document.get("meta")
    if not isinstance(meta, dict) or not API_VERSION.match(str(meta.get("api-version", ""))):
        problems.append("meta.api-version must be a Major.Minor string")
    projects = document.get("projects")
    if not isinstance(projects, list):
        return [*problems, "projects must be a list"]
    for index, project in enumerate(projects):
        if not isinstance(project, dict) or not isinstance(project.get("name"), str):
            problems.append(f"projects[{index}] must be an object with a string name")
        elif not _is_int(project.get("_last-serial")):
            problems.append(f"projects[{index}]._last-serial must be an integer")
    return problems


class SimpleHTML(HTMLParser):
    """The parts of a PEP 503 page clients read: meta tags and anchors (attributes, text)."""

    def __init__(self, body: str) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.anchors: list[dict] = []
        self._anchor: dict | None = None
        self.feed(body)
        self.close()

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "meta" and "name" in attributes:
            self.meta[attributes["name"]] = attributes.get("content")
        elif tag == "a":
            self._anchor = {"attrs": attributes, "text": ""}

    def handle_data(self, data):
        if self._anchor is not None:
            self._anchor["text"] += data

    def handle_endtag(self, tag):
        if tag == "a" and self._anchor is not None:
            self.anchors.append(self._anchor)
            self._anchor = None
