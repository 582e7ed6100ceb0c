import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cheeseshop.settings")

django_application = get_wsgi_application()

from cheeseshop.index.fastpath import SimpleDetailFastPath  # noqa: E402  (needs apps loaded)

application = SimpleDetailFastPath(django_application)
