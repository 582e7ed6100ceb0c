from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TufConfig(AppConfig):
    name = "cheeseshop.tuf"
    label = "tuf"
    verbose_name = _("TUF signing")

    def ready(self):
        from cheeseshop import health
        from cheeseshop.packaging import publishing
        from cheeseshop.tuf.services import project_published
        from cheeseshop.tuf.upkeep import health_problem

        # TUF signs what the index serves: the pages just rendered, and the project's files.
        publishing.subscribe(project_published)
        # Whether this node can load the online key and the timestamp is kept fresh: for
        # `cheeseshop check`, not readiness (web nodes serve metadata without the key).
        health.register_probe("tuf", health_problem, readiness=False)
