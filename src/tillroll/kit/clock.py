"""Time: aware UTC everywhere, and Spaaza's relative-window grammar."""

from __future__ import annotations

import calendar
import re
from datetime import UTC, datetime, timedelta

from tillroll.errors import InvalidInput
from tillroll.kit import parse


def utc_now() -> datetime:
    return datetime.now(UTC)


MAX_RELATIVE = 200
"""Longest relative time accepted (characters)."""
_TERM = re.compile(r"\s*([+-]?)\s*(\d{1,6})\s*(month|week|day|hour|minute)s?\s*", re.IGNORECASE)


def parse_relative(text: str, *, field: str, now: datetime | None = None) -> datetime:
    """Resolve `"+6 months -5 days +2 minutes"` against `now`.

    Each term is a signed or unsigned integer and a unit (months, weeks, days, hours,
    minutes; singular accepted). Unsigned terms count forward, as Spaaza's do.
    """
    terms = list(_TERM.finditer(text)) if len(text) <= MAX_RELATIVE else []
    consumed = "".join(m.group(0) for m in terms)
    if not terms or consumed != text:
        raise InvalidInput.field(
            field,
            f"{text[:MAX_RELATIVE]!r} is not a relative time such as '-13 weeks' or "
            "'+6 months -5 days'",
        )
    result = now or utc_now()
    try:
        for m in terms:
            amount = parse.integer(m.group(2), field=field) * (-1 if m.group(1) == "-" else 1)
            unit = m.group(3).lower()
            if unit == "month":
                result = add_months(result, amount)
            else:
                result += timedelta(**{unit + "s": amount})
    except (ValueError, OverflowError):
        raise InvalidInput.field(field, "leaves the supported date range") from None
    return result


def add_months(moment: datetime, months: int) -> datetime:
    """Calendar month arithmetic, clamping the day (31 Jan + 1 month = 28/29 Feb)."""
    index = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


EARLIEST_YEAR, LATEST_YEAR = 1900, 9998


def check_moment(loc: str, moment: datetime | None) -> datetime | None:
    """Refuse times outside 1900–9998 (422): they are typos, and break time arithmetic."""
    if moment is not None and not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
        raise InvalidInput.field(
            loc, f"{moment.isoformat()} is outside {EARLIEST_YEAR}–{LATEST_YEAR}"
        )
    return moment
