"""Right-to-left pages: our stylesheets say "start" and "end", never "left" and "right", so a
page in Arabic mirrors by itself; pages say dir="rtl", and the admin keeps Django's rtl.css."""

import re
from pathlib import Path

import pytest
from django.test import Client

from tests.accounts.sessions import signed_in_through_the_site

SOURCE = Path(__file__).resolve().parents[2] / "src" / "cheeseshop"
STYLESHEETS = sorted(SOURCE.glob("**/static/**/*.css"))
# "file: declaration" -> why it must stay physical. Empty: every side is a logical one.
PHYSICAL_ALLOWED: dict[str, str] = {}
PHYSICAL = re.compile(r"\b(left|right)\b")
DECLARATION = re.compile(r"([\w-]+)\s*:\s*([^;{}]+)")


def physical_declarations(css: str) -> list[str]:
    """The declarations of ``css`` that name a physical side (in the property or its value)."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL)
    found = []
    for block in re.findall(r"\{([^{}]*)\}", css):
        for prop, value in DECLARATION.findall(block):
            if PHYSICAL.search(prop) or PHYSICAL.search(value):
                found.append(f"{prop}: {value.strip()}")
    return found


def test_there_are_stylesheets_to_check():
    assert {path.name for path in STYLESHEETS} >= {"site.css", "manage.css", "web.css"}


@pytest.mark.parametrize("path", STYLESHEETS, ids=lambda path: path.name)
def test_our_stylesheets_use_logical_sides_only(path):
    found = physical_declarations(path.read_text())
    assert [d for d in found if f"{path.name}: {d}" not in PHYSICAL_ALLOWED] == []


def test_physical_sides_are_found_in_properties_and_values():
    css = "a { margin-left: 1px; float: right; padding: 0 } /* left */ b { inset-inline-start: 0 }"
    assert physical_declarations(css) == ["margin-left: 1px", "float: right"]


@pytest.mark.django_db
def test_a_page_in_arabic_is_written_right_to_left():
    client = Client(headers={"Accept-Language": "ar"})
    html = client.get("/").content.decode()
    assert re.search(r'<html lang="ar"\s+dir="rtl">', html)


@pytest.mark.django_db
def test_the_admin_in_arabic_keeps_djangos_right_to_left_stylesheet():
    from cheeseshop.accounts.services import create_user

    staff = create_user("staffer", "staff@example.com", admin=True)
    client = signed_in_through_the_site(staff)
    client.cookies["django_language"] = "ar"
    html = client.get("/admin/").content.decode()
    assert 'dir="rtl"' in html
    assert "admin/css/rtl.css" in html
