import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _empty_cache():
    # Rendered READMEs are cached by release id, and ids are reused between tests.
    cache.clear()
    yield
    cache.clear()
