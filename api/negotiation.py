"""Content negotiation on the Accept header (RFC 9110 section 12.5.1).

No maintained parser is among the runtime dependencies (Werkzeug's MIMEAccept and python-mimeparse
would each add one), and only the media-range rules are needed: q-values, type/* and */*.
"""

from __future__ import annotations

from collections.abc import Sequence


def _ranges(accept: str) -> list[tuple[str, str, float]]:
    """(type, subtype, q) of each media range; malformed ranges are skipped, not guessed at."""
    out = []
    for part in accept.split(","):
        media, *params = part.split(";")
        kind, slash, sub = media.strip().lower().partition("/")
        if not slash or not kind or not sub or (kind == "*" and sub != "*"):
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = min(max(float(value.strip()), 0.0), 1.0)
                except ValueError:
                    q = -1.0
                break  # parameters after q are accept-extensions, not part of the range
        if q >= 0:
            out.append((kind, sub, q))
    return out


def quality(offer: str, ranges: list[tuple[str, str, float]]) -> float:
    """The q the most specific matching range gives `offer` (0 when none matches)."""
    kind, _, sub = offer.lower().partition("/")
    best, q = -1, 0.0
    for r_kind, r_sub, r_q in ranges:
        if (r_kind, r_sub) == (kind, sub):
            rank = 2
        elif r_kind == kind and r_sub == "*":
            rank = 1
        elif (r_kind, r_sub) == ("*", "*"):
            rank = 0
        else:
            continue
        if rank > best:
            best, q = rank, r_q
    return q


def preferred(accept: str | None, offers: Sequence[str]) -> str | None:
    """The offer the client prefers; ties go to the earlier offer. No header (or an empty one) means
    anything: the first offer. None when the header rules out every offer (q=0 or no match)."""
    if not accept or not accept.strip():
        return offers[0]
    ranges = _ranges(accept)
    if not ranges:
        return offers[0]  # nothing parseable: as if no header was sent
    best, best_q = None, 0.0
    for offer in offers:
        q = quality(offer, ranges)
        if q > best_q:
            best, best_q = offer, q
    return best
