"""Template filters for showing API tokens: ``{% load api_tokens %}``."""

from django import template

from cheeseshop.tokens.models import APIToken
from cheeseshop.tokens.services import TokenScope
from cheeseshop.tokens.services import token_scope as scope_of

register = template.Library()


@register.filter
def token_scope(token: APIToken) -> TokenScope:
    """What ``token`` may upload to: ``project_names`` (None for the whole account) and
    ``expires_at``."""
    return scope_of(token)
