"""``{% failed_form_on_page as failed %}``: whether the page shows a form that was not accepted.

base.html prefixes the title with "Error:" when it does, so that the first thing a screen
reader says of the page is that the form failed (the error summary at the top of the form,
snippets/error_summary.html, then says what to fix). One place for every page: the views
only put their bound forms in the context, as they already do.
"""

from django import template
from django.forms import BaseForm, BaseFormSet

register = template.Library()


def _failed(value) -> bool:
    if isinstance(value, BaseForm):
        return value.is_bound and bool(value.errors)
    if isinstance(value, BaseFormSet):
        return value.is_bound and not value.is_valid()
    return False


@register.simple_tag(takes_context=True)
def failed_form_on_page(context) -> bool:
    return any(_failed(value) for layer in context.dicts for value in layer.values())
