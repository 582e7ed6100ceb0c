# syntax=docker/dockerfile:1
# cheeseshop's container image: the index and every extra for running at scale (PostgreSQL,
# Redis, S3, RQ), installed from the lock file only — exact versions, verified hashes.
#
#   docker build -t cheeseshop .
#   docker run -p 8000:8000 -v cheeseshop-data:/var/lib/cheeseshop cheeseshop
#
# compose.yaml runs the scaled setup from this image; docs/deployment.md explains it.

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/cheeseshop
# The lock file alone first: this layer is rebuilt only when a dependency changes.
COPY requirements/app.txt /src/requirements/app.txt
RUN /opt/cheeseshop/bin/pip install --require-hashes -r /src/requirements/app.txt
COPY pyproject.toml README.md /src/
COPY src /src/src
# --no-build-isolation: built by the locked setuptools installed above, nothing fetched unpinned.
RUN /opt/cheeseshop/bin/pip install --no-deps --no-build-isolation /src \
    && /opt/cheeseshop/bin/pip check

FROM python:3.11-slim
# A system user without a shell or a password owns the data; nothing runs as root.
# /var/lib/cheeseshop-tuf is where compose.yaml mounts the online TUF key that every node and
# worker shares: owned by cheeseshop here, so a new volume mounted on it is too.
RUN useradd --system --uid 10001 --user-group --home-dir /var/lib/cheeseshop \
        --shell /usr/sbin/nologin cheeseshop \
    && install -d -o cheeseshop -g cheeseshop -m 0700 /var/lib/cheeseshop /var/lib/cheeseshop-tuf
COPY --from=build /opt/cheeseshop /opt/cheeseshop
COPY deploy/healthcheck.py /opt/cheeseshop/bin/cheeseshop-healthcheck
ENV PATH=/opt/cheeseshop/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    CHEESESHOP_DATA_DIR=/var/lib/cheeseshop
# The SQLite database, local files, the generated secret key and TUF's file key live here
# when no database, object store or key is configured: keep it on a volume.
VOLUME ["/var/lib/cheeseshop"]
# Where compose.yaml mounts the online TUF key every node and worker shares (owned by
# cheeseshop, so a new volume mounted here is too).
WORKDIR /var/lib/cheeseshop
USER cheeseshop:cheeseshop
EXPOSE 8000
# Liveness only (/_/health touches no database): readiness is /_/ready, for the load balancer.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "/opt/cheeseshop/bin/cheeseshop-healthcheck"]
# SIGTERM: `serve` stops its web server gracefully (in-flight requests finish) and its worker.
STOPSIGNAL SIGTERM
CMD ["cheeseshop", "serve", "--host", "0.0.0.0"]
