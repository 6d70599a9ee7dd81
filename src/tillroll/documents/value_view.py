"""The view model of a value receipt's PDF (the values domain fills it, already formatted;
`templates/value_receipt.typ` lays it out)."""

from __future__ import annotations

import msgspec


class ValueLineView(msgspec.Struct, kw_only=True):
    name: str
    occurrences: str
    quantity: str  # "1.999999 hours"
    value: str | None  # "€ 99.99"; None: the metric has no monetary value


class ValueBarView(msgspec.Struct, kw_only=True):
    day: str
    value: str
    height: float  # share of the tallest day, 0–1


class ValueReceiptView(msgspec.Struct, kw_only=True):
    merchant: str
    customer: str
    period: str
    status: str  # "Draft" or "Sealed"
    total: str
    lines: list[ValueLineView]
    bars: list[ValueBarView]
    generated: str
    page_url: str
    primary_color: str
    background_color: str
    logo_svg: str | None
    footer: str | None
