"""Whether the services this index depends on answer: the database, the cache, file storage, the
task queue. One registry of probes serves the readiness endpoint (``/_/ready``) and ``cheeseshop
check``; each app registers the probe of what it owns from its ``AppConfig.ready()``.

A probe is a function of no arguments returning ``None`` when its service works, or one line
saying what is wrong (the operator reads it: name the setting to fix, never a traceback).
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass

logger = logging.getLogger(__name__)

Probe = Callable[[], str | None]

_probes: dict[str, Probe] = {}


@dataclass(frozen=True)
class ProbeResult:
    name: str
    problem: str | None  # None: it works

    @property
    def ok(self) -> bool:
        return self.problem is None


def register_probe(name: str, probe: Probe) -> None:
    """Add (or replace) the probe called ``name``."""
    _probes[name] = probe


def probe_names() -> list[str]:
    return list(_probes)


def run_probes() -> list[ProbeResult]:
    """Every registered probe's answer, in registration order. A probe that raises is a failed
    probe (its exception's one-line summary is the problem), never an error of the caller."""
    results = []
    for name, probe in _probes.items():
        try:
            problem = probe()
        except Exception as exc:  # a probe's failure is its answer
            problem = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            # One line for the operator (`check` prints it too); the traceback only when debugging.
            logger.warning("health probe %s failed: %s", name, problem)
            logger.debug("health probe %s raised", name, exc_info=True)
        results.append(ProbeResult(name, problem))
    return results
