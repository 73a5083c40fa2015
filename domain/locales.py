"""Babel's view of a message's language, parsed once per locale: given a string, Babel normalises it against its
whole locale list on every call (50 µs), and every rendering asks for it (money, dates, the country of an address)."""

from functools import cache

from babel import Locale


@cache
def babel_locale(locale: str) -> Locale:
    """`en`, `zh-CN` (our spelling) as Babel's Locale."""
    return Locale.parse(locale.replace("-", "_"))
