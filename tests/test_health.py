"""The probe registry: each answer is the probe's, a probe that raises is a failed probe."""

import pytest

from cheeseshop import health


@pytest.fixture
def probes(monkeypatch):
    monkeypatch.setattr(health, "_probes", {})
    monkeypatch.setattr(health, "_not_for_readiness", set())
    return health


def test_a_working_probe_and_a_failing_probe_are_told_apart_in_order(probes):
    probes.register_probe("database", lambda: None)
    probes.register_probe("storage", lambda: "bucket 'x' does not exist")
    results = probes.run_probes()
    assert [(r.name, r.ok, r.problem) for r in results] == [
        ("database", True, None),
        ("storage", False, "bucket 'x' does not exist"),
    ]


def test_a_probe_that_raises_is_a_failed_probe_with_a_one_line_reason(probes):
    def broken():
        raise ConnectionError("connection refused\nsecond line")

    probes.register_probe("cache", broken)
    [result] = probes.run_probes()
    assert not result.ok
    assert result.problem == "ConnectionError: connection refused"


def test_a_probe_left_out_of_readiness_is_run_by_check_only(probes):
    probes.register_probe("database", lambda: None)
    probes.register_probe("tuf", lambda: "online key: cannot sign", readiness=False)
    assert [r.name for r in probes.run_probes(readiness_only=True)] == ["database"]
    assert [r.name for r in probes.run_probes()] == ["database", "tuf"]
