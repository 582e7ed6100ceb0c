import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cheeseshop.settings")

django_application = get_wsgi_application()

from cheeseshop.index.fastpath import SimpleDetailFastPath  # noqa: E402  (needs apps loaded)
from cheeseshop.operations.observer import RequestObserver  # noqa: E402
from cheeseshop.webserver import ServerDuties  # noqa: E402

# Outermost, the observer sees every request: counted, timed, and a 503 if the database is down.
application = RequestObserver(
    ServerDuties(
        SimpleDetailFastPath(django_application),
        min_rate=settings.CHEESESHOP_REQUEST_BODY_MIN_RATE,
        grace=settings.CHEESESHOP_REQUEST_BODY_GRACE,
        max_form_size=settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
    )
)
