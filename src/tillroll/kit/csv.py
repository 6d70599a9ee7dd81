"""CSV cells: RFC 4180 quoting and spreadsheet-formula neutralising, in one place.

Text cells are always double-quoted (quotes doubled), so commas, quotes and line breaks
survive; a text cell that starts with `= + - @`, a tab or a carriage return gets a leading
`'` so a spreadsheet shows it instead of running it (OWASP "CSV injection"). Numbers are
written as they are: wrap them in `Raw`.
"""

from __future__ import annotations

from collections.abc import Iterable

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class Raw(str):
    """A cell written as it is: a number, a date, a decimal amount."""

    __slots__ = ()


def cell(value: str | int | None) -> str:
    if value is None:
        return ""
    if isinstance(value, (int, Raw)):
        return str(value)
    if value.startswith(_FORMULA_STARTS):
        value = "'" + value
    return '"' + value.replace('"', '""') + '"'


def cells(values: Iterable[str | int | None]) -> str:
    """Cells joined by commas (a fragment of a line)."""
    return ",".join(cell(v) for v in values)
