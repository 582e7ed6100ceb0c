"""Calling the whole WSGI application (cheeseshop.wsgi) as the web server does."""

from io import BytesIO


def call(app, path: str, *, method: str = "GET", remote_addr: str = "127.0.0.1", **headers):
    """(status code, headers, body) of ``app``'s answer to a request without a body."""
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "REMOTE_ADDR": remote_addr,
        "wsgi.url_scheme": "http",
        "wsgi.input": BytesIO(),
        "wsgi.errors": BytesIO(),
        **{f"HTTP_{k.upper()}": v for k, v in headers.items()},
    }
    captured = {}

    def start_response(status, response_headers, exc_info=None):
        captured["status"] = status
        captured["headers"] = response_headers

    body = b"".join(app(environ, start_response))
    return int(captured["status"].split()[0]), dict(captured["headers"]), body
