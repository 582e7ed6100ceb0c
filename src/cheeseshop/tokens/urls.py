"""The token endpoints that are not pages: minting with JSON, and leak reports."""

from django.urls import path

from cheeseshop.tokens import api, integrations

urlpatterns = [
    path("api/tokens/", api.mint_token, name="api-token-mint"),
    path("_/secrets/disclose-token", integrations.disclose_token, name="secrets-disclose-token"),
    # PyPI's first address for the same reports, which partners may still use.
    path("_/github/disclose-token", integrations.disclose_token),
]
