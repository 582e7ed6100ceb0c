"""``cheeseshop audit ...``: check the audit trail's hash chain, apply the retention policy."""

import argparse

from cheeseshop.console import complain, help_gettext, say, start_django


def cmd_verify(args: argparse.Namespace) -> int:
    start_django()
    from django.utils.translation import gettext as _

    from cheeseshop.audit.chain import verify_chain

    result = verify_chain()
    if result.broken is not None:
        broken = result.broken
        complain(
            _("chain broken at event %(id)d (sequence %(sequence)d): %(reason)s")
            % {"id": broken.event_id, "sequence": broken.sequence, "reason": broken.reason},
        )
        complain(_("%(count)d events before it are intact") % {"count": result.count})
        return 1
    if result.count == 0:
        say(_("chain intact: 0 events"))
        return 0
    say(
        _("chain intact: %(count)d events (sequence %(first)d to %(last)d)")
        % {"count": result.count, "first": result.first_sequence, "last": result.last_sequence},
    )
    # Writing the head down elsewhere lets a later check prove that no recent event was removed.
    say(_("head: %(hash)s") % {"hash": result.head})
    return 0


def cmd_expire(args: argparse.Namespace) -> int:
    start_django()
    from django.utils.translation import gettext as _

    from cheeseshop.audit.retention import expire_events, retention_days
    from cheeseshop.audit.services import CLI

    days = args.days if args.days is not None else retention_days()
    if days < 1:
        say(
            _("CHEESESHOP_AUDIT_RETENTION_DAYS is 0 (keep forever): no event removed"),
        )
        return 0
    expiry = expire_events(days, credential=CLI)
    if expiry is None:
        say(_("no event is older than %(days)d days: none removed") % {"days": days})
        return 0
    say(
        _(
            "removed %(removed)d events older than %(days)d days (sequence %(first)d to "
            "%(through)d); recorded as event %(id)d"
        )
        % {
            "removed": expiry.removed,
            "days": days,
            "first": expiry.first_sequence,
            "through": expiry.through_sequence,
            "id": expiry.event.id,
        },
    )
    return 0


def _days(value: str) -> int:
    try:
        days = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number of days") from None
    if days < 1:
        raise argparse.ArgumentTypeError("must be at least 1 day")
    return days


def add_audit_commands(subparsers) -> None:
    _ = help_gettext()  # --help: printed before Django starts
    audit = subparsers.add_parser(
        "audit", help=_("check the audit trail's hash chain; remove expired events")
    ).add_subparsers(dest="audit_command", required=True, metavar="ACTION")

    verify = audit.add_parser(
        "verify",
        help=_("check every event's link in the hash chain"),
        description=_(
            "Recompute the hash chain over all stored events. Exit status 0 when it "
            "is intact, 1 naming the first broken event (its id, sequence and why)."
        ),
    )
    verify.set_defaults(func=cmd_verify)

    expire = audit.add_parser(
        "expire",
        help=_("remove events older than the retention period, recording that as an event"),
        description=_(
            "Remove the events older than CHEESESHOP_AUDIT_RETENTION_DAYS (or --days) "
            "and record an audit:expire event naming the range removed and the chain hash at the "
            "cut, from which `audit verify` then checks the chain. With retention 0 (the default) "
            "nothing is removed. Run it daily from cron when a retention period is set."
        ),
    )
    expire.add_argument(
        "--days",
        type=_days,
        metavar="DAYS",
        help=_("keep this many days instead of CHEESESHOP_AUDIT_RETENTION_DAYS"),
    )
    expire.set_defaults(func=cmd_expire)
