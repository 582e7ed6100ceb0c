"""The TUF settings, each with a default so that an unconfigured index works."""

from pathlib import Path

from django.conf import settings

# First algorithm names the hash-prefixed URL: BLAKE2b-256 is what storage paths already use.
HASH_ALGORITHMS = ("blake2b-256", "sha256")
BIN_PREFIX = "bin"
ONE_YEAR_DAYS = 365
ONE_DAY_HOURS = 24


def tuf_dir() -> Path:
    return Path(settings.DATA_DIR) / "tuf"


def metadata_dir() -> Path:
    configured = getattr(settings, "CHEESESHOP_TUF_METADATA_DIR", "")
    return Path(configured) if configured else tuf_dir() / "metadata"


def pending_dir() -> Path:
    """Offline metadata that still lacks a threshold of signatures (multi-holder ceremonies)."""
    return metadata_dir() / "pending"


def default_online_key_path() -> Path:
    return tuf_dir() / "online_key"


def online_key_uri() -> str:
    configured = getattr(settings, "CHEESESHOP_TUF_ONLINE_KEY_URI", "")
    return configured or f"file2:{default_online_key_path()}"


def bit_length() -> int:
    return int(getattr(settings, "CHEESESHOP_TUF_BIT_LENGTH", 14))


def refresh_interval_seconds() -> int:
    """How often the worker re-signs online roles that are near expiry."""
    return int(getattr(settings, "CHEESESHOP_TUF_REFRESH_INTERVAL", 3600))


def refresh_margin_seconds() -> int:
    """Online roles expiring within this are re-signed (default half their 1-day life)."""
    return int(getattr(settings, "CHEESESHOP_TUF_REFRESH_MARGIN", 12 * 3600))


def timestamp_max_age() -> int:
    return int(getattr(settings, "CHEESESHOP_TUF_TIMESTAMP_MAX_AGE", 60))


def purge_hook() -> str:
    """Dotted path of ``callable(surrogate_keys: list[str])`` run after each publish."""
    return getattr(settings, "CHEESESHOP_TUF_PURGE_HOOK", "")
