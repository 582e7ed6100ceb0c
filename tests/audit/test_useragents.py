"""The User-Agent parser, on headers real clients sent.

The installer headers were captured from the tools themselves, run against a local server:
pip 26.3 (``pip download``), uv 0.13.9 (``uv pip install`` and ``uv publish``), twine 7.0.0
(``twine upload``), curl 7.88.1, requests 2.34.2, and Debian's headless Chromium 156.
"""

import json

import pytest

from cheeseshop.audit.useragents import MAX_PARSED_LENGTH, parse_user_agent

PIP = (
    'pip/26.3 {"ci":null,"cpu":"x86_64","distro":{"id":"bookworm","libc":{"lib":"glibc",'
    '"version":"2.36"},"name":"Debian GNU/Linux","version":"12"},"implementation":{"name":'
    '"CPython","version":"3.11.7"},"installer":{"name":"pip","version":"26.3"},'
    '"openssl_version":"OpenSSL 3.0.19 27 Jan 2026","python":"3.11.7","rustc_version":'
    '"1.95.0","setuptools_version":"84.2.1","system":{"name":"Linux","release":'
    '"6.18.44-fc-v782"}}'
)
UV_PIP_INSTALL = (
    'uv/0.13.9 {"installer":{"name":"uv","version":"0.13.9","subcommand":["pip","install"]},'
    '"python":"3.11.7","implementation":{"name":"CPython","version":"3.11.7"},"distro":{"name":'
    '"Debian GNU/Linux","version":"12","id":"bookworm","libc":{"lib":"glibc","version":"2.36"}},'
    '"system":{"name":"Linux","release":"6.18.44-fc-v782"},"cpu":"x86_64","openssl_version":'
    'null,"setuptools_version":null,"rustc_version":null,"ci":null}'
)
UV_PUBLISH = (
    'uv/0.13.9 {"installer":{"name":"uv","version":"0.13.9","subcommand":["publish"]},'
    '"python":null,"implementation":{"name":null,"version":null},"distro":{"name":'
    '"Debian GNU/Linux","version":"12","id":"bookworm","libc":null},"system":{"name":null,'
    '"release":null},"cpu":null,"openssl_version":null,"setuptools_version":null,'
    '"rustc_version":null,"ci":null}'
)
TWINE = "twine/7.0.0 CPython/3.11.7"
CURL = "curl/7.88.1"
REQUESTS = "python-requests/2.34.2"
HEADLESS_CHROMIUM = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "HeadlessChrome/156.0.0.0 Safari/537.36"
)
# Published formats of the major browsers.
CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
EDGE_WINDOWS = CHROME_WINDOWS + " Edg/131.0.0.0"
FIREFOX_LINUX = "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
SAFARI_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Safari/605.1.15"
)
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
)
CHROME_ANDROID = (
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36"
)


def test_pip_reports_installer_python_and_system():
    assert parse_user_agent(PIP) == {
        "installer": {"name": "pip", "version": "26.3"},
        "python": "3.11.7",
        "implementation": {"name": "CPython", "version": "3.11.7"},
        "system": {"name": "Linux", "release": "6.18.44-fc-v782"},
    }


def test_uv_reports_its_subcommand():
    assert parse_user_agent(UV_PIP_INSTALL) == {
        "installer": {"name": "uv", "version": "0.13.9", "subcommand": ["pip", "install"]},
        "python": "3.11.7",
        "implementation": {"name": "CPython", "version": "3.11.7"},
        "system": {"name": "Linux", "release": "6.18.44-fc-v782"},
    }


def test_uv_publish_leaves_out_the_fields_it_sends_as_null():
    assert parse_user_agent(UV_PUBLISH) == {
        "installer": {"name": "uv", "version": "0.13.9", "subcommand": ["publish"]}
    }


def test_twine_reports_its_python_implementation():
    assert parse_user_agent(TWINE) == {
        "installer": {"name": "twine", "version": "7.0.0"},
        "implementation": {"name": "CPython", "version": "3.11.7"},
        "python": "3.11.7",
    }


def test_older_twine_lists_dependencies_before_the_python():
    header = "twine/3.8.0 importlib_metadata/4.8.1 pkginfo/1.8.2 requests/2.26.0 PyPy/7.3.9"
    assert parse_user_agent(header) == {
        "installer": {"name": "twine", "version": "3.8.0"},
        "implementation": {"name": "PyPy", "version": "7.3.9"},
    }


@pytest.mark.parametrize(
    ("header", "name", "version"),
    [
        (CURL, "curl", "7.88.1"),
        (REQUESTS, "python-requests", "2.34.2"),
        ("setuptools/69.5.1 Python-urllib/3.12", "setuptools", "69.5.1"),
    ],
)
def test_plain_clients_report_name_and_version(header, name, version):
    assert parse_user_agent(header) == {"installer": {"name": name, "version": version}}


@pytest.mark.parametrize(
    ("header", "browser", "version", "system"),
    [
        (HEADLESS_CHROMIUM, "Chrome Headless", "156.0.0.0", "Linux"),
        (CHROME_WINDOWS, "Chrome", "131.0.0.0", "Windows"),
        (EDGE_WINDOWS, "Edge", "131.0.0.0", "Windows"),
        (FIREFOX_LINUX, "Firefox", "133.0", "Linux"),
        (SAFARI_MAC, "Safari", "18.1", "macOS"),
        (SAFARI_IPHONE, "Safari", "18.1", "iOS"),
        (CHROME_ANDROID, "Chrome", "131.0.0.0", "Android"),
    ],
)
def test_browsers_report_browser_and_operating_system(header, browser, version, system):
    assert parse_user_agent(header) == {
        "browser": {"name": browser, "version": version},
        "os": {"name": system},
    }


@pytest.mark.parametrize(
    "header",
    [
        "",
        "   ",
        "something",
        "Wget/1.21.3",  # a client, but not one the audit trail names
        "Mozilla/5.0 (compatible; UnknownBot/1.0)",
        "/1.0",
    ],
)
def test_unrecognised_headers_give_nothing(header):
    assert parse_user_agent(header) == {}


def test_a_broken_json_suffix_keeps_the_installer_only():
    assert parse_user_agent('pip/24.0 {"python": "3.12"') == {
        "installer": {"name": "pip", "version": "24.0"}
    }
    assert parse_user_agent("pip/24.0 [1, 2]") == {"installer": {"name": "pip", "version": "24.0"}}


def test_json_values_of_the_wrong_type_or_too_long_are_dropped():
    suffix = {
        "python": ["3", "12"],
        "implementation": {"name": "CPython", "version": "3" * 500},
        "system": "Linux",
        "installer": {"subcommand": ["x" * 100]},
        "ci": "yes",
    }
    header = "pip/24.0 " + json.dumps(suffix)
    assert parse_user_agent(header) == {
        "installer": {"name": "pip", "version": "24.0"},
        "implementation": {"name": "CPython"},
    }


def test_ci_is_kept_when_the_installer_says_it_runs_in_ci():
    header = 'pip/24.0 {"ci": true, "python": "3.12.1"}'
    assert parse_user_agent(header)["ci"] is True


def test_an_oversized_header_is_not_parsed():
    header = "pip/24.0 " + json.dumps({"python": "3.12", "pad": "x" * MAX_PARSED_LENGTH})
    assert parse_user_agent(header) == {}
