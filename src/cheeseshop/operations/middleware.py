from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from cheeseshop.webserver import ROUTE_VARIABLE


class RouteNameMiddleware:
    """Writes the name of the URL pattern that answers into the request's WSGI environment,
    where ``RequestObserver`` reads it for the metrics' route label."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> None:
        # request.META is the environment the server passed (WSGIRequest keeps it as it is).
        request.META[ROUTE_VARIABLE] = request.resolver_match.view_name
