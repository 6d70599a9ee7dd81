from __future__ import annotations

from datetime import UTC, datetime

from tillroll.receipts.repository import ReceiptFilter

START = datetime(2026, 1, 1, tzinfo=UTC)
KEY = (datetime(2026, 6, 1, tzinfo=UTC), 42)


def test_a_keyset_walk_seeks_to_its_key_not_to_the_window_start() -> None:
    """The key's time replaces issued_from as the range bound (it lies inside the window),
    so an index range starts at the key instead of scanning from the window's start."""
    clauses, params = ReceiptFilter(issued_from=START, after=KEY).where()
    assert "r.issued_at >= :f0" in clauses and params["f0"] == KEY[0]
    assert START not in params.values()
    assert "(r.issued_at, r.number) > (:f1_at, :f1_n)" in clauses


def test_newest_first_walks_bound_from_above() -> None:
    clauses, params = ReceiptFilter(issued_to=datetime(2027, 1, 1, tzinfo=UTC), before=KEY).where()
    assert "r.issued_at <= :f0" in clauses and params["f0"] == KEY[0]
    assert "(r.issued_at, r.number) < (:f1_at, :f1_n)" in clauses


def test_without_a_key_the_window_bounds_apply() -> None:
    clauses, params = ReceiptFilter(issued_from=START).where()
    assert clauses == " AND r.issued_at >= :f0" and params == {"f0": START}
