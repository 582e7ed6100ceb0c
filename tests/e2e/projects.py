"""Real projects, built by the real build frontend (``python -m build``, setuptools backend)."""

import subprocess
import sys
import textwrap
from pathlib import Path


def make_project(
    root: Path,
    name: str,
    version: str,
    *,
    dependencies: tuple[str, ...] = (),
    readme: str = "",
) -> Path:
    """Write a minimal, valid project source tree and return its directory."""
    module = name.replace("-", "_")
    src = root / f"{name}-{version}-src"
    (src / module).mkdir(parents=True)
    (src / module / "__init__.py").write_text(f'__version__ = "{version}"\n')
    (src / "README.md").write_text(readme or f"# {name}\n\nThe {name} project, for tests.\n")
    deps = ", ".join(f'"{d}"' for d in dependencies)
    (src / "pyproject.toml").write_text(
        textwrap.dedent(
            f"""\
            [build-system]
            requires = ["setuptools>=70.1"]
            build-backend = "setuptools.build_meta"

            [project]
            name = "{name}"
            version = "{version}"
            description = "{name}: a project built for cheeseshop's end-to-end tests"
            readme = "README.md"
            requires-python = ">=3.9"
            dependencies = [{deps}]
            classifiers = ["Programming Language :: Python :: 3"]

            [project.urls]
            Homepage = "https://example.com/{name}"
            """
        )
    )
    return src


def build(src: Path, outdir: Path) -> list[Path]:
    """Build an sdist and a wheel; returns [sdist, wheel]."""
    outdir.mkdir(parents=True, exist_ok=True)
    before = set(outdir.iterdir())
    subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(outdir), str(src)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    built = sorted(set(outdir.iterdir()) - before)
    sdists = [p for p in built if p.name.endswith(".tar.gz")]
    wheels = [p for p in built if p.name.endswith(".whl")]
    assert len(sdists) == 1, built
    assert len(wheels) == 1, built
    return [sdists[0], wheels[0]]
