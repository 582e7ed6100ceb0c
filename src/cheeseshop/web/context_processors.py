from django.conf import settings

from cheeseshop.web.search import MAX_QUERY_LENGTH


def site(request):
    # The search boxes of every page say how long a search may be (the browser then keeps to it).
    return {"site_name": settings.SITE_NAME, "max_search_length": MAX_QUERY_LENGTH}
