"""The money rule of a receipt line: once per line, half to even, integer minor units."""

from __future__ import annotations

from typing import Any

from tillroll.values.service import line_value


def metric(unit: str = "duration", vpu: str | None = "50", currency: str = "EUR") -> dict[str, Any]:
    return {"currency": currency, "unit": {"type": unit}, "value_per_unit": vpu}


def test_quantity_times_rate_rounds_half_to_even_once() -> None:
    assert line_value(metric(), 1_999_999, "EUR") == 10000  # 1.999999 h × 50 = 99.99995
    assert line_value(metric(vpu="0.125"), 100_000, "EUR") == 1  # 0.0125 → 0.01 (even)
    assert line_value(metric(vpu="0.375"), 100_000, "EUR") == 4  # 0.0375 → 0.04 (even)
    assert line_value(metric(vpu="1000"), 1, "JPY") is None  # another currency than the metric's
    assert line_value(metric(vpu="1000", currency="JPY"), 1_500_000, "JPY") == 1500
    assert line_value(metric(vpu="1", currency="KWD"), 1_234_567, "KWD") == 1235  # 3 places


def test_monetary_metrics_are_money_and_no_rate_is_no_value() -> None:
    assert line_value(metric("monetary", None), 12_345_000, "EUR") == 1234  # 12.345 → 12.34
    assert line_value(metric("custom", None), 5_000_000, "EUR") is None
