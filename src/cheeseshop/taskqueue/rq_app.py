"""django-rq's app under a name the admin shows in the reader's language (it has none: the
admin made "Django_Rq" of its label); registered in ``INSTALLED_APPS`` when RQ runs tasks."""

from django.utils.translation import gettext_lazy as _
from django_rq import apps


class RQConfig(apps.DjangoRqAdminConfig):
    # Translators: the admin section of the RQ task queues (RQ is a product name).
    verbose_name = _("RQ task queues")
