import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _empty_cache():
    # No test sees what another left in the cache (ids are reused between tests).
    cache.clear()
    yield
    cache.clear()
