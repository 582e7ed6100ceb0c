"""Parse a User-Agent header into what the audit trail shows: which installer, or which browser.

Installers name themselves first (``twine/7.0.0 CPython/3.11.7``); pip and uv follow that with a
JSON object (linehaul's format) describing the installer, the Python and the system. Browsers
send ``Mozilla/5.0 (platform) ... Product/version``. The header is whatever the client chose to
send, so the result is a hint, never proof, and keeps only short, known fields.

The result is one of::

    {"installer": {"name", "version"[, "subcommand"]}[, "python"][, "implementation"]
     [, "system"][, "ci"]}
    {"browser": {"name", "version"}, "os": {"name"}}
    {}  (unrecognised)
"""

import json
import re
from typing import Any

# Enough for pip's and uv's JSON (about 500 characters); longer headers are not parsed.
MAX_PARSED_LENGTH = 4096
MAX_VALUE_LENGTH = 64

_PRODUCT = re.compile(r"(?P<name>[A-Za-z][\w.+-]*)/(?P<version>[\w.+!-]+)")

# Installers recognised by their first product token.
INSTALLERS = frozenset(
    {"pip", "uv", "twine", "setuptools", "python-requests", "curl", "poetry", "pdm", "hatch"}
)
# Installers that append linehaul's JSON description after their product token.
_JSON_SUFFIX = re.compile(r"^(?P<name>[\w.+-]+)/(?P<version>[\w.+!-]+)\s+(?P<json>\{.*\})\s*$")
PYTHON_IMPLEMENTATIONS = frozenset({"CPython", "PyPy", "GraalPy", "Jython", "IronPython"})

# Browsers, most specific first: Edge and Opera also say "Chrome", Chrome also says "Safari".
_BROWSERS = (
    ("Edge", re.compile(r"\bEdg(?:e|A|iOS)?/(?P<version>[\d.]+)")),
    ("Opera", re.compile(r"\bOPR/(?P<version>[\d.]+)")),
    ("Samsung Internet", re.compile(r"\bSamsungBrowser/(?P<version>[\d.]+)")),
    ("Chrome Headless", re.compile(r"\bHeadlessChrome/(?P<version>[\d.]+)")),
    ("Chrome", re.compile(r"\b(?:Chrome|CriOS)/(?P<version>[\d.]+)")),
    ("Chromium", re.compile(r"\bChromium/(?P<version>[\d.]+)")),
    ("Firefox", re.compile(r"\b(?:Firefox|FxiOS)/(?P<version>[\d.]+)")),
    ("Safari", re.compile(r"\bVersion/(?P<version>[\d.]+)(?: Mobile/\w+)? Safari/")),
)
# Operating systems, most specific first: Android also says "Linux", iOS says "like Mac OS X".
_SYSTEMS = (
    ("iOS", re.compile(r"\b(?:iPhone|iPad|iPod)\b")),
    ("Android", re.compile(r"\bAndroid\b")),
    ("ChromeOS", re.compile(r"\bCrOS\b")),
    ("Windows", re.compile(r"\bWindows\b")),
    ("macOS", re.compile(r"\bMac OS X\b|\bMacintosh\b")),
    ("Linux", re.compile(r"\bLinux\b|\bX11\b")),
)


def parse_user_agent(header: str) -> dict[str, Any]:
    """What ``header`` says about the client; ``{}`` when it is not recognised."""
    header = (header or "").strip()
    if not header or len(header) > MAX_PARSED_LENGTH:
        return {}
    first = _PRODUCT.match(header)
    if first and first.group("name") in INSTALLERS:
        return _installer(header, first)
    if header.startswith("Mozilla/"):
        return _browser(header)
    return {}


def _short(value: Any) -> str | None:
    """A short string, or None for anything else (the JSON comes from the client)."""
    if isinstance(value, str) and value and len(value) <= MAX_VALUE_LENGTH:
        return value
    return None


def _name_and_version(data: Any, *, version_key: str = "version") -> dict[str, str]:
    if not isinstance(data, dict):
        return {}
    result = {"name": _short(data.get("name")), version_key: _short(data.get(version_key))}
    return {key: value for key, value in result.items() if value is not None}


def _installer(header: str, first: re.Match) -> dict[str, Any]:
    installer = {"name": first.group("name"), "version": _short(first.group("version")) or ""}
    info: dict[str, Any] = {"installer": installer}
    suffix = _JSON_SUFFIX.match(header)
    if suffix:
        _add_linehaul(info, suffix.group("json"))
        return info
    # twine: "twine/7.0.0 CPython/3.11.7"; older twine lists its dependencies before that.
    for product in _PRODUCT.finditer(header, first.end()):
        if product.group("name") in PYTHON_IMPLEMENTATIONS:
            info["implementation"] = {
                "name": product.group("name"),
                "version": _short(product.group("version")) or "",
            }
            if product.group("name") == "CPython":
                info["python"] = info["implementation"]["version"]
            break
    return info


def _add_linehaul(info: dict[str, Any], text: str) -> None:
    """Copy the known fields of pip's or uv's JSON suffix into ``info``."""
    try:
        data = json.loads(text)
    except ValueError:
        return
    if not isinstance(data, dict):
        return
    installer = data.get("installer")
    subcommand = installer.get("subcommand") if isinstance(installer, dict) else None
    if (
        isinstance(subcommand, list)
        and 0 < len(subcommand) <= 4
        and all(_short(part) for part in subcommand)
    ):
        info["installer"]["subcommand"] = subcommand
    python = _short(data.get("python"))
    if python:
        info["python"] = python
    implementation = _name_and_version(data.get("implementation"))
    if implementation:
        info["implementation"] = implementation
    system = _name_and_version(data.get("system"), version_key="release")
    if system:
        info["system"] = system
    if isinstance(data.get("ci"), bool):
        info["ci"] = data["ci"]


def _browser(header: str) -> dict[str, Any]:
    for name, pattern in _BROWSERS:
        match = pattern.search(header)
        if match:
            browser = {"name": name, "version": _short(match.group("version")) or ""}
            break
    else:
        return {}
    info: dict[str, Any] = {"browser": browser}
    for name, pattern in _SYSTEMS:
        if pattern.search(header):
            info["os"] = {"name": name}
            break
    return info
