"""Content negotiation for the simple index: which representation a client gets (PEP 691).

Selection rules, in order:

1. Each offer takes the quality of the most specific ``Accept`` range that matches it (an exact
   type beats ``type/*``, which beats ``*/*``); ``latest`` aliases (``...simple.latest+json``)
   count as exact matches of the v1 types. An offer whose quality is 0 is refused.
2. The highest quality wins; on a tie, the offer matched by the more specific range wins.
3. Still tied: among exactly named types the most expressive format wins (v1 JSON, then v1 HTML,
   then ``text/html``), as PEP 691's recommendations ask; among types reached only through
   ``*/*`` ``text/html`` wins, as on PyPI, because clients that send ``*/*`` (or nothing) are
   browsers, scripts and old tools expecting the PEP 503 page.
4. Nothing acceptable, or an ``Accept`` header that cannot be parsed: ``text/html``, as PyPI
   answers, and an installer that cannot read HTML says so itself; unless the client refused
   ``text/html`` itself with ``q=0`` (``text/html;q=0``, ``*/*;q=0``): an offer refused is never
   served, so that is 406 Not Acceptable (PEP 691 allows either answer).

Unparsable entries (no ``/``, a malformed ``q``) are skipped, not fatal.
"""

import re
from functools import lru_cache

from cheeseshop.index import http

JSON_V1 = "application/vnd.pypi.simple.v1+json"
HTML_V1 = "application/vnd.pypi.simple.v1+html"
TEXT_HTML = "text/html"

# Exactly named ranges that select an offer; "latest" is an alias PEP 691 defines.
_EXACT_ALIASES = {
    JSON_V1: JSON_V1,
    "application/vnd.pypi.simple.latest+json": JSON_V1,
    HTML_V1: HTML_V1,
    "application/vnd.pypi.simple.latest+html": HTML_V1,
    TEXT_HTML: TEXT_HTML,
}
_OFFERS = (JSON_V1, HTML_V1, TEXT_HTML)
# Tie-breaking rank (higher wins), see rule 3 above.
_RANK_WHEN_NAMED = {JSON_V1: 2, HTML_V1: 1, TEXT_HTML: 0}
_RANK_VIA_WILDCARD = {TEXT_HTML: 2, HTML_V1: 1, JSON_V1: 0}

_RFC9110_TCHARS = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_MEDIA_RANGE = re.compile(rf"^({_RFC9110_TCHARS})/({_RFC9110_TCHARS})$")
_QVALUE = re.compile(r"^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$")

# What the Content-Type header says for each representation.
CONTENT_TYPES = {
    JSON_V1: http.SIMPLE_JSON,
    HTML_V1: http.SIMPLE_HTML,
    TEXT_HTML: http.TEXT_HTML,
}


def _parse_accept(accept: str) -> list[tuple[str, str, float]]:
    """``(type, subtype, q)`` for each well-formed entry of an Accept header, lowercased."""
    entries = []
    for item in accept.split(","):
        media_range, *params = (part.strip() for part in item.split(";"))
        match = _MEDIA_RANGE.match(media_range)
        if not match:
            continue
        main, sub = match.group(1).lower(), match.group(2).lower()
        if main == "*" and sub != "*":
            continue
        quality = 1.0
        malformed = False
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                value = value.strip()
                if not _QVALUE.match(value):
                    malformed = True
                    break
                quality = float(value)
        if not malformed:
            entries.append((main, sub, quality))
    return entries


def _offer_quality(offer: str, entries: list[tuple[str, str, float]]) -> tuple[float, int]:
    """The quality the client gives ``offer`` and how specific the deciding range was (2 exact,
    1 ``type/*``, 0 ``*/*``, -1 no match)."""
    offer_main = offer.split("/", 1)[0]
    best_specificity = -1
    best_quality = 0.0
    for main, sub, quality in entries:
        if _EXACT_ALIASES.get(f"{main}/{sub}") == offer:
            specificity = 2
        elif sub == "*" and main == offer_main:
            specificity = 1
        elif main == "*":
            specificity = 0
        else:
            continue
        if specificity > best_specificity or (
            specificity == best_specificity and quality > best_quality
        ):
            best_specificity, best_quality = specificity, quality
    return best_quality, best_specificity


def _refused(offer: str, entries: list[tuple[str, str, float]]) -> bool:
    """Whether the client said it does not accept ``offer``: its deciding range has q=0."""
    quality, specificity = _offer_quality(offer, entries)
    return specificity >= 0 and quality <= 0


@lru_cache(maxsize=1024)
def select_media_type(accept: str) -> str | None:
    """The representation to serve for an ``Accept`` header: one of JSON_V1, HTML_V1,
    TEXT_HTML, or None when none is acceptable (406, rule 4). Memoized: installers send a
    handful of distinct headers."""
    entries = _parse_accept(accept) if accept.strip() else [("*", "*", 1.0)]
    best = None
    best_key = None
    for offer in _OFFERS:
        quality, specificity = _offer_quality(offer, entries)
        if specificity < 0 or quality <= 0:
            continue
        ranks = _RANK_WHEN_NAMED if specificity > 0 else _RANK_VIA_WILDCARD
        key = (quality, specificity, ranks[offer])
        if best_key is None or key > best_key:
            best, best_key = offer, key
    if best is None and not _refused(TEXT_HTML, entries):
        return TEXT_HTML
    return best
