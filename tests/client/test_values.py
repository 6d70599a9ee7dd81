"""Signals, value metrics and value receipts through the client, against a real server."""

from __future__ import annotations

import io
from decimal import Decimal

import pypdf
import pytest

from tests.values.helpers import COST, HOURS, PERIOD, signal
from tillroll.client import AsyncTillroll, ConflictError, Tillroll, UnprocessableEntity
from tillroll.values.schemas import IngestResult, Metric, MetricUpdate, ValueReceipt


def test_signal_metric_receipt_path(api: Tillroll) -> None:
    hours = api.value_metrics.create(HOURS)
    assert isinstance(hours, Metric) and hours.slug == "hours-saved" and hours.version == 1
    api.value_metrics.create(COST)
    one = api.signals.create(signal("k1"))
    assert isinstance(one, IngestResult) and one.ingested == 1
    bulk = api.signals.create_bulk([signal("k2", day=4), signal("k3", day=5), signal("k1")])
    assert (bulk.ingested, bulk.duplicates) == (2, 1)
    listed = api.signals.list(external_customer_id="cust-1", limit=2)
    assert len(listed.data) == 2 and listed.next_cursor
    every = list(api.signals.iter(external_customer_id="cust-1", limit=2))
    assert len(every) == 3 and api.signals.get(every[0].id) == every[0]

    body = {"external_customer_id": "cust-1", **PERIOD}
    receipt = api.value_receipts.create(body)
    assert isinstance(receipt, ValueReceipt)
    # 3 × round6(20/60) hours × €50 = €49.99995 → 5000 cents; 3 × €2.50 = 750 cents
    assert receipt.total_delivered_value == 5000 + 750
    assert api.value_receipts.sync(body).id == receipt.id
    assert api.value_receipts.list(external_customer_id="cust-1").total == 1
    pdf = api.value_receipts.pdf(receipt.id)
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    assert "€ 57.50" in text

    api.value_metrics.update(hours.id, MetricUpdate(defaults={"minutes_saved": Decimal(60)}))
    refreshed = api.value_receipts.refresh(receipt.id)
    assert refreshed.total_delivered_value == 15000 + 750
    assert api.value_receipts.seal(receipt.id).status == "posted"
    with pytest.raises(ConflictError):
        api.value_receipts.refresh(receipt.id)
    published = api.value_receipts.publish(receipt.id)
    assert published.is_published
    rotated = api.value_receipts.rotate_token(receipt.id)
    assert rotated.share_token != published.share_token
    assert api.value_receipts.unpublish(receipt.id).is_published is False
    assert api.value_receipts.archive(receipt.id).archived_at is not None
    assert api.value_receipts.list().total == 0
    assert api.value_receipts.unarchive(receipt.id).archived_at is None
    assert api.value_receipts.revoke_all().unpublished == 0
    embedding = api.value_receipts.set_embedding({"issuer": "acme", "allowed_origins": []})
    assert embedding.secret and api.value_receipts.get_embedding().secret is None
    archived = api.value_metrics.update(hours.id, {"archived": True})
    assert archived.archived_at is not None
    assert [m.slug for m in api.value_metrics.list().data] == ["cost-saved"]
    assert api.value_metrics.list(include_archived=True).total == 2


def test_bad_input_names_the_field(api: Tillroll) -> None:
    bad = {
        **COST,
        "formula": {"expression": "amount +", "variables": [{"id": "amount", "default": 1}]},
    }
    with pytest.raises(UnprocessableEntity) as refused:
        api.value_metrics.create(bad)
    assert [e.loc for e in refused.value.errors] == ["formula.expression"]


async def test_async_values(async_api: AsyncTillroll) -> None:
    await async_api.value_metrics.create(COST)
    await async_api.signals.create_bulk([signal("a1"), signal("a2", day=9)])
    seen = [s.idempotency_key async for s in async_api.signals.iter(limit=1)]
    assert sorted(seen, key=str) == ["a1", "a2"]
    receipt = await async_api.value_receipts.sync({"external_customer_id": "cust-1", **PERIOD})
    assert receipt.total_delivered_value == 500
    assert (await async_api.value_receipts.pdf(receipt.id)).startswith(b"%PDF")
