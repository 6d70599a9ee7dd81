"""The one guarded path from client text to numbers, decimals, zones, currencies and enums.

Every check runs on the text's length and shape *before* converting, so no input can make the
server build a million-digit integer or walk the file system: a bad value costs microseconds
and raises `InvalidInput` naming the field (422). docs/security.md lists the bounds.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from decimal import ROUND_DOWN, Context, Decimal, localcontext
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from tillroll.errors import InvalidInput

MAX_TEXT = 64
"""Longest numeric text, zone name or code accepted."""
INTEGER_DIGITS, PLACES = 16, 12
"""Default bounds of a decimal: digits before and after the point."""
MAX_INTEGER = 2**63 - 1
"""Largest integer id (a 64-bit database column)."""

_DECIMAL = re.compile(r"[+-]?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d{1,3}))?", re.ASCII)
_ZONE = re.compile(r"[A-Za-z][A-Za-z0-9_+-]*(?:/[A-Za-z0-9_+-]+)*", re.ASCII)


def decimal(
    text: str, *, field: str, integer_digits: int = INTEGER_DIGITS, places: int = PLACES
) -> Decimal:
    """`"38.00"` → `Decimal("38.00")`: ASCII digits, an optional point and a short exponent."""
    match = _DECIMAL.fullmatch(text) if len(text) <= MAX_TEXT else None
    if match is None or not (match.group(1) or match.group(2)):
        raise InvalidInput.field(field, f"{_show(text)} is not a decimal number")
    return bounded(Decimal(text), field=field, integer_digits=integer_digits, places=places)


def bounded(
    value: Decimal, *, field: str, integer_digits: int = INTEGER_DIGITS, places: int = PLACES
) -> Decimal:
    """A decoded `Decimal`, refused (422) unless finite and within the digit bounds."""
    if not value.is_finite():
        raise InvalidInput.field(field, f"{_show(str(value))} is not a finite number")
    if value and value.adjusted() >= integer_digits:
        raise InvalidInput.field(field, f"has more than {integer_digits} digits before the point")
    with localcontext(Context(prec=integer_digits + places + 1)):  # exact: both bounded
        if value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_DOWN) != value:
            raise InvalidInput.field(field, f"has more than {places} decimals")
    return value


def integer(text: str, *, field: str, maximum: int = MAX_INTEGER) -> int:
    """ASCII digits only, at most `maximum` (no sign, no `²`, no 5,000-digit ids)."""
    if not (0 < len(text) <= len(str(maximum)) and text.isascii() and text.isdigit()):
        raise InvalidInput.field(field, f"{_show(text)} is not a whole number up to {maximum}")
    value = int(text)
    if value > maximum:
        raise InvalidInput.field(field, f"{_show(text)} is larger than {maximum}")
    return value


def zone(name: str, *, field: str) -> ZoneInfo:
    """An IANA time zone by name (`Europe/Amsterdam`); never a folder, a path or a file."""
    if not is_zone(name):
        raise InvalidInput.field(field, f"{_show(name)} is not an IANA time zone")
    return ZoneInfo(name)


def is_zone(name: str) -> bool:
    return len(name) <= MAX_TEXT and _ZONE.fullmatch(name) is not None and name in _zones()


def choice(value: str, allowed: Collection[str], *, field: str, what: str) -> str:
    """One of `allowed`, exactly as written (a currency `EUR`, not `eur`): `what` names it."""
    if len(value) > MAX_TEXT or value not in allowed:
        raise InvalidInput.field(field, f"{_show(value)} is not {what}")
    return value


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _show(text: str) -> str:
    """The value as quoted in a message: long input is cut, never echoed in full."""
    return repr(text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + "…")
