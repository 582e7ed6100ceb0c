from importlib.metadata import PackageNotFoundError, version


def installed_version() -> str:
    """cheeseshop's version as installed (its package metadata)."""
    try:
        return version("cheeseshop")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"
