from cheeseshop.flags.services import enabled_flags


def admin_flags(request):
    """Banners for the enabled flags that notify, and whether the site is read-only."""
    flags = enabled_flags()
    return {
        "admin_flag_banners": [f.banner_text for f in flags.values() if f.notify],
        "site_read_only": "read-only" in flags,
    }
