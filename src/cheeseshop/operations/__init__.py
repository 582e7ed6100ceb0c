"""What operators need to run the index: liveness and readiness endpoints, Prometheus metrics,
the access log and structured logs, ``cheeseshop check`` and plain answers when the database is
down (docs/monitoring.md)."""
