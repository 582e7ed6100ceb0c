"""The container's health check: GET /_/health on the local web server, as the index's users
address it (the Host and scheme of CHEESESHOP_BASE_URL), so neither ALLOWED_HOSTS nor an HTTPS
redirect answers in its place. Exit 0 when it answers 200; 1, with the reason, otherwise.

Standard library only: it runs in the image, beside cheeseshop, every 30 seconds.
"""

import http.client
import os
import sys
from urllib.parse import urlsplit

PORT = int(os.environ.get("HEALTHCHECK_PORT", "8000"))


def main() -> int:
    base = urlsplit(os.environ.get("CHEESESHOP_BASE_URL", "http://127.0.0.1:8000"))
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=4)
    try:
        connection.request(
            "GET",
            "/_/health",
            headers={"Host": base.netloc, "X-Forwarded-Proto": base.scheme},
        )
        status = connection.getresponse().status
    except OSError as error:
        sys.stderr.write(f"cheeseshop is not answering on port {PORT}: {error}\n")
        return 1
    finally:
        connection.close()
    if status != 200:
        sys.stderr.write(f"/_/health answered {status}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
