"""``/_/health`` (is this process alive), ``/_/ready`` (can it serve: every health probe),
``/_/metrics`` (Prometheus), and the answer to a request that failed because the database is
down (``handler500``)."""

import hmac
import ipaddress
import sys

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import CONTENT_TYPE_LATEST

from cheeseshop import health as probes
from cheeseshop.audit.services import client_ip
from cheeseshop.operations.metrics import exposition
from cheeseshop.operations.observer import DATABASE_DOWN_HEADERS, database_down_content
from cheeseshop.operations.probes import database_is_down


@never_cache
@require_safe
def health(request: HttpRequest) -> JsonResponse:
    """Alive: answers without touching the database or the cache."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def ready(request: HttpRequest) -> JsonResponse:
    results = probes.run_probes(readiness_only=True)
    failing = [result for result in results if not result.ok]
    return JsonResponse(
        {
            "status": "failing" if failing else "ok",
            "checks": {result.name: result.problem or "ok" for result in results},
        },
        status=503 if failing else 200,
    )


def _may_scrape(request: HttpRequest) -> bool:
    token = settings.CHEESESHOP_METRICS_TOKEN
    if token:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(given.encode(), token.encode())
    try:
        address = ipaddress.ip_address(client_ip(request))
    except ValueError:
        return False
    return address.is_loopback or address.is_private


@never_cache
@require_safe
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus' text format, for a bearer of CHEESESHOP_METRICS_TOKEN or, without one, a
    scraper on a loopback or private address; everyone else is told nothing is here."""
    if not _may_scrape(request):
        raise Http404
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)


def server_error(request: HttpRequest) -> HttpResponse:
    """Django's 500 page, or a short 503 when the database is down (logged in one line by
    cheeseshop.operations.logs.DatabaseDownFilter)."""
    exc = sys.exc_info()[1]
    if exc is not None and database_is_down(exc):
        return HttpResponse(
            database_down_content(), status=503, headers=dict(DATABASE_DOWN_HEADERS)
        )
    return defaults.server_error(request)
