"""CSV cells: RFC 4180 quoting and spreadsheet-formula neutralising, in one place.

Text cells are always double-quoted (quotes doubled), so commas, quotes and line breaks
survive; a text cell that starts with `= + - @`, a tab or a carriage return gets a leading
`'` so a spreadsheet shows it instead of running it (OWASP "CSV injection"). Numbers, dates
and amounts are written as they are (`number()`), never neutralised.
"""

from __future__ import annotations

_FORMULA_STARTS = frozenset("=+-@\t\r")


def text(value: str | None) -> str:
    """A text cell; None is an empty cell."""
    if value is None:
        return ""
    if value[:1] in _FORMULA_STARTS:
        value = "'" + value
    return '"' + value.replace('"', '""') + '"'


def number(value: int | str | None) -> str:
    """A number, date or decimal amount, as it is; None is an empty cell."""
    return "" if value is None else str(value)
