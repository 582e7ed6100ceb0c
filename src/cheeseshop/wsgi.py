import gc
import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cheeseshop.settings")

django_application = get_wsgi_application()

from cheeseshop.index.fastpath import SimplePagesFastPath  # noqa: E402  (needs apps loaded)
from cheeseshop.operations.observer import RequestObserver  # noqa: E402
from cheeseshop.webserver import ServerDuties  # noqa: E402

# Outermost, the observer sees every request: counted, timed, and a 503 if the database is down.
application = RequestObserver(
    ServerDuties(
        SimplePagesFastPath(django_application),
        min_rate=settings.CHEESESHOP_REQUEST_BODY_MIN_RATE,
        grace=settings.CHEESESHOP_REQUEST_BODY_GRACE,
        max_form_size=settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
    )
)


def _load_what_requests_load() -> None:
    """Import and build, once and here, what the first requests and tasks would in each
    worker: the URLconf (and with it every view, form and admin module), the template engines,
    the translation catalogues, the message storage, the task modules and the malware checks."""
    from django.template import engines
    from django.urls import get_resolver
    from django.utils import translation
    from django.utils.module_loading import autodiscover_modules, import_string

    from cheeseshop.malware.registry import all_checks

    get_resolver().reverse_dict  # noqa: B018 - imports every view and builds the URL maps
    for engine in engines.all():
        engine.engine.template_loaders  # noqa: B018 - builds the loaders (and their caches)
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            translation.gettext("Simple index")  # loads the language's catalogues
    import_string(settings.MESSAGE_STORAGE)
    autodiscover_modules("tasks")
    all_checks()


def _prepare_the_fork(options: dict) -> None:
    """uWSGI loads this module once, in its master, and forks the web workers, the task
    worker and the renderer host from it: they share these pages until they write to them.
    Nothing may be open across the fork (a database connection would be shared by every
    worker) but the sockets they share, and freezing what was allocated so far keeps the
    garbage collector from touching — and so copying — every shared object."""
    from django.db import connections

    from cheeseshop.packaging.descriptions import listen_for_renders
    from cheeseshop.webserver import RENDERER_SOCKET_OPTION, no_delay_for_clients

    no_delay_for_clients()
    if RENDERER_SOCKET_OPTION in options:  # `serve` runs a renderer host (other setups may not)
        listen_for_renders(os.fsdecode(options[RENDERER_SOCKET_OPTION]))
    _load_what_requests_load()
    connections.close_all()
    gc.freeze()


try:
    import uwsgi  # importable only inside uWSGI
except ImportError:  # tests, runserver: this process is not forked from
    pass
else:
    _prepare_the_fork(uwsgi.opt)
