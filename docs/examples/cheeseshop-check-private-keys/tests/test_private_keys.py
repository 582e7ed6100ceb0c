"""The check on wheels written here, as the index and `cheeseshop malware scan` build them."""

import zipfile

import pytest
from cheeseshop.malware.api import Level, check_problems
from cheeseshop.malware.subjects import distribution_from_path

from cheeseshop_check_private_keys import PrivateKeyCheck

# Inert: the shape of a key, no key.
KEY = (
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "PLACEHOLDERPLACEHOLDERPLACEHOLDER\n"
    "-----END RSA PRIVATE KEY-----\n"
)
METADATA = "Metadata-Version: 2.4\nName: sample\nVersion: 1.0\n"


def wheel(tmp_path, **members):
    """A wheel of project `sample` holding the given members (path: text)."""
    path = tmp_path / "sample-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("sample-1.0.dist-info/METADATA", METADATA)
        archive.writestr("sample-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\nTag: py3-none-any\n")
        archive.writestr("sample-1.0.dist-info/RECORD", "")
        for name, text in members.items():
            archive.writestr(name, text)
    return distribution_from_path(path)


def judge(distribution):
    return list(PrivateKeyCheck().judge(distribution))


def test_the_check_is_declared_rightly():
    assert check_problems(PrivateKeyCheck) == []


def test_a_key_file_in_the_package_is_to_review(tmp_path):
    [finding] = judge(wheel(tmp_path, **{"sample/deploy.pem": "# deploy key\n" + KEY}))
    assert (finding.level, finding.path, finding.line) == (Level.REVIEW, "sample/deploy.pem", 2)
    assert finding.excerpt == "-----BEGIN RSA PRIVATE KEY-----"
    assert "PLACEHOLDER" not in finding.excerpt + finding.message


def test_a_key_in_a_python_string_is_to_review(tmp_path):
    source = f'"""Settings."""\n\nSIGNING_KEY = """{KEY}"""\n'
    [finding] = judge(wheel(tmp_path, **{"sample/settings.py": source}))
    assert (finding.path, finding.line) == ("sample/settings.py", 3)


@pytest.mark.parametrize(
    "members",
    [
        {"sample/tests/data/test_rsa.key": KEY},  # a fixture of the test suite
        {"tests/test_sign.py": f"KEY = '''{KEY}'''\n"},
        {"sample/pem.py": 'HEADER = "-----BEGIN RSA PRIVATE KEY-----"\n'},  # a bare header
        {"sample/ca.pem": KEY.replace("RSA PRIVATE KEY", "CERTIFICATE")},
        {"sample/notes.py": f"# {KEY}"},  # in a comment, not in a string
    ],
    ids=["test-fixture", "test-module", "bare-header", "certificate", "comment"],
)
def test_what_real_projects_ship_stays_quiet(tmp_path, members):
    assert judge(wheel(tmp_path, **members)) == []


@pytest.mark.parametrize(
    "data",
    [
        b"\xff\xfe PRIVATE KEY----- \x00",
        b"def f(:\n PRIVATE KEY-----",
        b"(" * 200_000 + b"PRIVATE KEY-----",
    ],
    ids=["binary", "syntax-error", "deeply-nested"],
)
def test_odd_input_is_judged_without_a_crash(tmp_path, data):
    path = tmp_path / "odd-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("odd/x.py", data)
        archive.writestr("odd/x.pem", data)
    assert judge(distribution_from_path(path)) == []
