"""Every value-receipt operation and the signal → metric → receipt path, driven by the
official `paid-python` client (its models validate every answer)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest
from paid import Paid
from paid.core.api_error import ApiError
from paid.errors import BadRequestError, ConflictError, NotFoundError
from paid.types import (
    CustomerByExternalId,
    ProductByExternalId,
    Signal,
    SyncValueReceiptRequestProduct,
    ValueMetricFormula,
    ValueMetricFormulaVariable,
    ValueMetricMonetaryConversion,
    ValueMetricSignalBinding,
    ValueMetricUnit,
    ValueMetricVariableEdit,
)

START, END = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)


def signal(key: str, day: int, customer: str = "acme", **extra: object) -> Signal:
    return Signal(
        event_name="ticket.resolved",
        customer=CustomerByExternalId(external_customer_id=customer),
        timestamp=datetime(2026, 11, day, 9, tzinfo=UTC),
        idempotency_key=key,
        **extra,  # type: ignore[arg-type]
    )


def hours_metric(client: Paid) -> None:
    ack = client.value_metrics.create_value_metric(
        name="Hours saved",
        slug="hours-saved",
        unit=ValueMetricUnit(type="duration", duration_unit="hours"),
        formula=ValueMetricFormula(
            expression="minutes_saved / 60",
            variables=[ValueMetricFormulaVariable(id="minutes_saved", label="Minutes")],
        ),
        signal=ValueMetricSignalBinding(
            event_name="ticket.resolved", defaults={"minutes_saved": 30}
        ),
        monetary_conversion=ValueMetricMonetaryConversion(value_per_unit=40.0),
    )
    assert (ack.slug, ack.version) == ("hours-saved", 1)


def test_signal_metric_receipt_numbers(client: Paid) -> None:
    result = client.signals.create_signals(
        signals=[signal("s1", 2), signal("s2", 3), signal("s3", 3, data={"minutes_saved": 90})]
    )
    assert (result.ingested, result.duplicates, result.failed) == (3, 0, 0)
    again = client.signals.create_signals(signals=[signal("s1", 2), signal("s4", 4)])
    assert (again.ingested, again.duplicates) == (1, 1)
    hours_metric(client)  # created after the signals: their value is computed now
    # 30 + 30 + 90 + 30 minutes = 3 hours × 40 = 120.00
    synced = client.value_receipts.sync_value_receipt(
        external_customer_id="acme", start_date=START, end_date=END
    )
    assert synced.status == "draft" and synced.public_url.endswith(synced.public_url_token)
    detail = client.value_receipts.get_value_receipt_by_id(synced.id)
    assert detail.total_delivered_value == 120.0
    assert detail.customer_external_id == "acme" and detail.currency == "EUR"
    assert detail.is_published is False and detail.allow_embed is False
    # a new version of the metric: the draft follows on refresh
    client.value_metrics.update_value_metric(
        "hours-saved", variables={"minutes_saved": ValueMetricVariableEdit(value=60)}
    )
    client.value_receipts.refresh_value_receipt(synced.id)
    # 60 + 60 + 90 + 60 = 4.5 hours × 40 = 180.00
    assert client.value_receipts.get_value_receipt_by_id(synced.id).total_delivered_value == 180.0
    metric = client.value_metrics.get_value_metric("hours-saved")
    assert metric.signals[0].defaults == {"minutes_saved": 60.0}
    assert (
        metric.monetary_conversion is not None and metric.monetary_conversion.value_per_unit == 40.0
    )
    listed = client.signals.list_signals(external_customer_id="acme")
    assert listed.pagination.total == 4 and {s.name for s in listed.data} == {"ticket.resolved"}
    one = client.signals.get_signal_by_id(listed.data[0].id)
    assert one.external_customer_id == "acme"


def test_every_value_receipt_operation(client: Paid, paid_server: str) -> None:
    client.signals.create_signals(signals=[signal("a", 5)])
    hours_metric(client)
    customer = client.customers.get_customer_by_external_id("acme")
    created = client.value_receipts.create_value_receipt(
        customer_id=customer.id, start_date=START, end_date=END
    )
    second = client.value_receipts.create_value_receipt(
        customer_id=customer.id, start_date=START, end_date=END
    )
    assert created.id != second.id  # create always makes a new one
    synced = client.value_receipts.sync_value_receipt(
        customer_id=customer.id, start_date=START, end_date=END
    )
    assert synced.id == created.id  # the oldest with this natural key
    page = client.value_receipts.list_value_receipts(customer_id=customer.id)
    assert page.total == 2 and {r.id for r in page.data} == {created.id, second.id}
    assert client.value_receipts.seal_value_receipt(created.id).success
    with pytest.raises(ConflictError):
        client.value_receipts.seal_value_receipt(created.id)
    with pytest.raises(ConflictError):
        client.value_receipts.refresh_value_receipt(created.id)
    assert client.value_receipts.get_value_receipt_by_id(created.id).status == "posted"
    published = client.value_receipts.publish_value_receipt(created.id)
    assert published.is_published and published.published_at is not None
    assert httpx.get(published.public_url).status_code == 200
    unpublished = client.value_receipts.unpublish_value_receipt(created.id)
    assert not unpublished.is_published
    assert httpx.get(published.public_url).status_code == 401
    assert client.value_receipts.archive_value_receipt(second.id).success
    assert client.value_receipts.list_value_receipts().total == 1
    archived = client.value_receipts.list_value_receipts(archived="true")
    assert [r.id for r in archived.data] == [second.id] and archived.data[0].archived_at
    with pytest.raises(ConflictError):
        client.value_receipts.publish_value_receipt(second.id)
    assert client.value_receipts.unarchive_value_receipt(second.id).success
    with pytest.raises(ConflictError):
        client.value_receipts.unarchive_value_receipt(second.id)
    with pytest.raises(NotFoundError):
        client.value_receipts.get_value_receipt_by_id("0190a000-0000-7000-8000-000000000000")
    assert paid_server in published.public_url


def test_scopes_and_bad_requests(client: Paid) -> None:
    product = client.products.create_product(name="Support agent", external_id="agent-1")
    client.signals.create_signals(
        signals=[
            signal("p1", 6, attribution=ProductByExternalId(external_product_id="agent-1")),
            signal("p2", 6),
            signal("bad", 6, attribution=ProductByExternalId(external_product_id="nope")),
        ]
    )
    hours_metric(client)
    scoped = client.value_receipts.sync_value_receipt(
        external_customer_id="acme",
        start_date=START,
        end_date=END,
        product=SyncValueReceiptRequestProduct(product_id=product.id, currency="EUR"),
    )
    detail = client.value_receipts.get_value_receipt_by_id(scoped.id)
    assert detail.product_id == product.id and detail.total_delivered_value == 20.0
    by_order = client.value_receipts.create_value_receipt(
        external_customer_id="acme", start_date=START, end_date=END, order_id="ORD-9"
    )
    assert client.value_receipts.get_value_receipt_by_id(by_order.id).total_delivered_value == 0.0
    with pytest.raises(BadRequestError) as both:
        client.value_receipts.create_value_receipt(
            external_customer_id="acme",
            start_date=START,
            end_date=END,
            order_id="ORD-9",
            product=SyncValueReceiptRequestProduct(product_id=product.id),
        )
    assert both.value.body["details"].startswith("orderId:")
    with pytest.raises(BadRequestError):
        client.value_receipts.create_value_receipt(
            customer_id="x", external_customer_id="acme", start_date=START, end_date=END
        )
    with pytest.raises(NotFoundError):
        client.value_receipts.create_value_receipt(
            external_customer_id="nobody", start_date=START, end_date=END
        )
    with pytest.raises(BadRequestError) as bad:
        client.value_metrics.create_value_metric(
            name="Broken",
            unit=ValueMetricUnit(type="custom", unit="tickets", unit_display="Tickets"),
            formula=ValueMetricFormula(expression="__import__('os')", variables=[]),
            signal=ValueMetricSignalBinding(event_name="ticket.resolved"),
        )
    assert "formula.expression" in bad.value.body["details"]


def test_customers_and_products(client: Paid) -> None:
    made = client.customers.create_customer(
        name="Acme Corp",
        external_id="acme-1",
        email="ops@acme.example",
        website="https://acme.example",
    )
    assert made.name == "Acme Corp" and made.website == "https://acme.example"
    assert client.customers.get_customer_by_id(made.id).external_id == "acme-1"
    updated = client.customers.update_customer_by_id(made.id, phone="+31 20 123 4567")
    assert updated.phone == "+31 20 123 4567" and updated.name == "Acme Corp"
    listed = client.customers.list_customers(external_id="acme-1")
    assert [c.id for c in listed.data] == [made.id] and listed.pagination.total == 1
    client.customers.delete_customer_by_id(made.id)
    with pytest.raises(NotFoundError):
        client.customers.get_customer_by_id(made.id)
    product = client.products.create_product(name="Agent", product_code="AG")
    assert product.external_id is None and product.active
    got = client.products.get_product_by_id(product.id)
    assert got.product_code == "AG" and got.product_attributes == []
    renamed = client.products.update_product_by_id(product.id, name="Agent 2", external_id="ag-2")
    assert client.products.get_product_by_external_id("ag-2").id == renamed.id
    assert client.products.list_products().pagination.total == 1


def test_another_merchants_objects_are_404(client: Paid, paid_server: str, other_key: str) -> None:
    client.signals.create_signals(signals=[signal("t", 7)])
    hours_metric(client)
    mine = client.value_receipts.sync_value_receipt(
        external_customer_id="acme", start_date=START, end_date=END
    )
    customer = client.customers.get_customer_by_external_id("acme")
    theirs = Paid(token=other_key, base_url=paid_server + "/compat/paid/api/v2")
    calls: list[Callable[[], object]] = [
        lambda: theirs.value_receipts.get_value_receipt_by_id(mine.id),
        lambda: theirs.value_receipts.seal_value_receipt(mine.id),
        lambda: theirs.value_receipts.publish_value_receipt(mine.id),
        lambda: theirs.value_receipts.archive_value_receipt(mine.id),
        lambda: theirs.customers.get_customer_by_id(customer.id),
        lambda: theirs.customers.get_customer_by_external_id("acme"),
        lambda: theirs.value_metrics.get_value_metric("hours-saved"),
        lambda: theirs.value_receipts.sync_value_receipt(
            customer_id=customer.id, start_date=START, end_date=END
        ),
    ]
    for call in calls:
        with pytest.raises(NotFoundError):
            call()
    assert theirs.value_receipts.list_value_receipts().total == 0
    assert client.value_receipts.get_value_receipt_by_id(mine.id).status == "draft"
    stranger = Paid(token="tr_sk_wrong", base_url=paid_server + "/compat/paid/api/v2")
    with pytest.raises(ApiError) as refused:
        stranger.value_receipts.get_value_receipt_by_id(mine.id)
    assert refused.value.status_code == 401
    assert set(refused.value.body) == {"error", "code", "details"}
