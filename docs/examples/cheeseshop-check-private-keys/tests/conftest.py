"""Django for cheeseshop's translated messages (an archive it refuses is described in one)."""

import django
from django.conf import settings


def pytest_configure():
    if not settings.configured:
        settings.configure(USE_I18N=True)
        django.setup()
