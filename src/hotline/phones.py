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


def junk(number: str | None) -> bool:
    """A number no telephone has, as typed when the caller would not give one or a switch sends for a
    withheld caller ID: every digit the same (0000000, 11111111111) or digits counted up or down
    (1234567, 9876543210). Such a number is nobody's, so it must not be anybody's: not a requester's
    (their earlier tickets, the lookup by last four digits), not a blacklisted caller's."""
    digits = [int(ch) for ch in number or "" if ch.isdigit()]
    if len(digits) < 7:  # short numbers (110, 12345, 95598) are service numbers, real ones
        return False
    steps = {(b - a) % 10 for a, b in zip(digits, digits[1:], strict=False)}
    return steps in ({0}, {1}, {9})
