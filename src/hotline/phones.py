"""Phone numbers as the hotline keeps them: a Chinese number without its country code, so that a
caller who typed +86 once and not the next time is one caller to the screen pop, the search by
phone and the blacklist."""

from __future__ import annotations

import re
import unicodedata

COUNTRY_PREFIXES = ("+86", "0086")


def domestic(number: str) -> str:
    """+86 13912345678, +86-139…, 008613912345678 → 13912345678; any other number is kept as written."""
    for prefix in COUNTRY_PREFIXES:
        if number.startswith(prefix):
            rest = number[len(prefix):].lstrip("-")
            if sum(ch.isdigit() for ch in rest) >= 7:
                return rest
    return number


def as_kept(typed: str) -> str:
    """A phone as typed (139 1234 5678, ＋８６…, full-width forms) as tickets keep it: no spaces,
    plain digits, no country code. Searches read the number the same way."""
    return domestic(re.sub(r"\s+", "", unicodedata.normalize("NFKC", typed)))
