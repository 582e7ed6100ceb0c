"""Where TUF keeps its files, and the constants of its metadata. Its settings are
``settings.CHEESESHOP_TUF_*``, defined (with their defaults) in ``cheeseshop.settings``. The
metadata itself is in the database (``cheeseshop.tuf.store``)."""

from pathlib import Path

from django.conf import settings

# First algorithm names the hash-prefixed URL: BLAKE2b-256 is what storage paths already use.
HASH_ALGORITHMS = ("blake2b-256", "sha256")
BIN_PREFIX = "bin"
ONE_YEAR_DAYS = 365
ONE_DAY_HOURS = 24


def tuf_dir() -> Path:
    """The data directory's part for TUF (the default home of the online key)."""
    return Path(settings.DATA_DIR) / "tuf"
