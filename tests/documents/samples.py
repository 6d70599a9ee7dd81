"""A receipt whose names need every script the documents must render."""

from __future__ import annotations

from typing import Any

from tests.factories import with_lines

NAMES = {
    "greek": "Ελληνικός καφές",
    "cyrillic": "Пельмени домашние",
    "arabic": "زيت الزيتون",
    "cjk": "抹茶ラテ 绿茶",
    "german": "Käse & Brötchen – große Tüte",
}


def line(name: str, unit_price: int, quantity: str = "1", **more: Any) -> dict[str, Any]:
    from tests.factories import line_total

    total = line_total(unit_price, quantity)
    return {"name": name, "unit_price": unit_price, "quantity": quantity, "total": total, **more}


def world_receipt(external_id: str = "T1-0981", **changes: Any) -> dict[str, Any]:
    """Five lines in five scripts, a weighed line, 9 % tax, a card payment."""
    lines = [
        line(NAMES["greek"], 250, sku="SKU-1", tax_rate="0.09"),
        line(NAMES["cyrillic"], 450, "2", sku="SKU-2", tax_rate="0.09"),
        line(NAMES["arabic"], 1860, "1.25", unit="kg", sku="SKU-3", tax_rate="0.09"),
        line(NAMES["cjk"], 395, sku="SKU-4", tax_rate="0.09"),
        line(NAMES["german"], 1234, sku="SKU-5", tax_rate="0.09"),
    ]
    body = with_lines(external_id, lines, **changes)
    total = body["total"]
    tax = round(total * 9 / 109)
    body.setdefault("taxes", [{"rate": "0.09", "taxable_amount": total - tax, "tax_amount": tax}])
    body["tax_total"] = tax
    body.setdefault("payments", [{"method": "card", "amount": total, "card_brand": "Visa",
                                  "card_last4": "4242"}])  # fmt: skip
    body.setdefault("notes", "Thank you — شكرا — 谢谢")
    return body
