"""The receipt-line list query written by hand: the baselines of bench.payments.

`statements` is the searched, sorted, counted list Tillroll answers for
GET /v1/payment-receipt-lines?q=…&search_by=…&sort=…&order=…&limit=…: the page (one row
more than the limit, to know whether there is a next page) and the count and total per
currency, as two plain statements on the raw driver. `answer` shapes the rows as Tillroll's
JSON page (`data`, `next_cursor`, `meta`), so the bare app returns the same document.
"""

from __future__ import annotations

from typing import Any

from tillroll.b2b.tables import LINES

COLUMNS = [n for n in LINES.names if n not in ("merchant_id", "deleted_at")]
SEARCHABLE = ("payer_name", "reference_number", "external_id", "external_customer_id")
SORTABLE = ("amount", "created_at", "updated_at", "receipt_number", "invoice_seq")
TOP = chr(0x10FFFF)


def statements(search_by: str, sort: str, order: str, *, pg: bool) -> tuple[str, str]:
    """(page, totals) SQL; parameters: merchant, q, q + TOP, limit + 1, offset."""
    assert search_by in SEARCHABLE and sort in SORTABLE and order in ("asc", "desc")
    p = [f"${n}" for n in range(1, 6)] if pg else [f"?{n}" for n in range(1, 6)]
    where = (
        f"merchant_id = {p[0]} AND deleted_at IS NULL "
        f"AND ({search_by} >= {p[1]} AND {search_by} < {p[2]})"
    )
    page = (
        f"SELECT {', '.join(COLUMNS)} FROM payment_receipt_lines WHERE {where} "
        f"ORDER BY {sort} {order}, number {order} LIMIT {p[3]} OFFSET {p[4]}"
    )
    totals = (
        "SELECT currency, COUNT(*) AS n, SUM(amount) AS total FROM payment_receipt_lines "
        f"WHERE {where} GROUP BY currency ORDER BY currency"
    )
    return page, totals


def answer(rows: list[Any], sums: list[Any], offset: int, limit: int) -> dict[str, Any]:
    """Tillroll's page document from the raw rows (no cursor encoding: the bench query fits
    on one page)."""
    data = [dict(zip(COLUMNS, r, strict=True)) for r in rows[:limit]]
    meta = {
        "total_count": sum(int(s[1]) for s in sums),
        "offset": offset,
        "limit": limit,
        "totals": [{"currency": s[0], "amount": int(s[2])} for s in sums],
    }
    return {"data": data, "next_cursor": None, "meta": meta}
