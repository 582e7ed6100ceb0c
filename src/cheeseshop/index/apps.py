from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IndexConfig(AppConfig):
    name = "cheeseshop.index"
    label = "index"
    verbose_name = _("Index")

    def ready(self):
        from cheeseshop.index.services import note_removal, render_pages
        from cheeseshop.packaging import publishing

        # The simple pages are rendered once per change, in its transaction; a deleted
        # project's page goes with its row, and the root is marked stale for both.
        publishing.render_with(render_pages)
        publishing.subscribe(note_removal)
