"""Paid's orders and the value model's `expectedActiveVersion` guard, driven by the
official `paid-python` client (its pydantic models validate every answer)."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from paid import Paid
from paid.core.api_error import ApiError
from paid.errors import BadRequestError, ConflictError, NotFoundError
from paid.types import CreateOrderLineRequest, ValueMetricVariableEdit

from tests.compat.paid.test_paid_client import END, START, hours_metric, signal


def test_an_order_scopes_a_value_receipt(client: Paid, paid_server: str, paid_key: str) -> None:
    client.signals.create_signals(signals=[signal("o1", 3)])
    hours_metric(client)
    customer = client.customers.get_customer_by_external_id("acme")
    product = client.products.create_product(name="Support agent", external_id="agent-1")
    order = client.orders.create_order(
        customer_id=customer.id,
        name="Acme support 2026",
        start_date=START,
        end_date=END,
        external_id="ACME-2026",
        creation_state="active",
        metadata={"tier": "gold"},
        lines=[CreateOrderLineRequest(product_id=product.id, description="Tier 1")],
        auto_post_invoices=True,  # accepted; nothing is billed here
    )
    assert (order.customer_id, order.name, order.creation_state) == (
        customer.id, "Acme support 2026", "active",
    )  # fmt: skip
    assert order.start_date == START and order.end_date == END and order.version == 1
    assert order.metadata == {"tier": "gold"} and order.total_amount == 0
    assert client.orders.get_order_by_id(order.id) == order
    lines = client.orders.get_order_lines(order.id).data
    assert [(line.product_id, line.name, line.line_type) for line in lines] == [
        (product.id, "Support agent", "STANDARD")
    ]
    # a signal attributed to the order (the native API carries order ids) counts on its receipt
    native = httpx.post(
        f"{paid_server}/v1/signals",
        headers={"Authorization": f"Bearer {paid_key}"},
        json={"event_name": "ticket.resolved", "external_customer_id": "acme",
              "order_id": order.id, "timestamp": "2026-11-04T09:00:00Z",
              "data": {"minutes_saved": 90}},
    )  # fmt: skip
    assert native.status_code == 201, native.text
    scoped = client.value_receipts.sync_value_receipt(
        customer_id=customer.id, start_date=START, end_date=END, order_id=order.id
    )
    detail = client.value_receipts.get_value_receipt_by_id(scoped.id)
    assert detail.order_id == order.id and detail.total_delivered_value == 60.0  # 1.5 h × 40
    listed = client.value_receipts.list_value_receipts(order_id=order.id)
    assert [r.id for r in listed.data] == [scoped.id]


def test_orders_list_and_refuse(client: Paid, other_key: str, paid_server: str) -> None:
    acme = client.customers.create_customer(name="Acme", external_id="acme")
    beta = client.customers.create_customer(name="Beta", external_id="beta")
    first = client.orders.create_order(customer_id=acme.id, start_date=START)
    ended = client.orders.create_order(
        customer_id=acme.id, start_date=datetime(2020, 1, 1, tzinfo=UTC),
        end_date=datetime(2020, 12, 31, tzinfo=UTC), creation_state="active", external_id="old",
    )  # fmt: skip
    client.orders.create_order(customer_id=beta.id, start_date=END, creation_state="active")
    assert first.name == f"Order {first.number:.0f}" and first.creation_state == "draft"
    everything = client.orders.list_orders(limit=2)
    assert everything.pagination.total == 3 and everything.pagination.has_more
    assert everything.data[0].id == first.id
    mine = client.orders.list_orders(external_customer_id="acme")
    assert {o.id for o in mine.data} == {first.id, ended.id}
    assert client.orders.list_orders(customer_id=beta.id).pagination.total == 1
    assert [o.id for o in client.orders.list_orders(status="ended").data] == [ended.id]
    assert [o.id for o in client.orders.list_orders(status="draft").data] == [first.id]
    assert [o.id for o in client.orders.list_orders(external_id="old").data] == [ended.id]
    assert client.orders.list_orders(external_customer_id="nobody").data == []
    from_2026 = client.orders.list_orders(start_date_from="2026-01-01T00:00:00Z")
    assert from_2026.pagination.total == 2

    with pytest.raises(ApiError) as taken:  # the client maps no 409 for orders
        client.orders.create_order(customer_id=acme.id, external_id="old")
    assert taken.value.status_code == 409
    with pytest.raises(BadRequestError) as bad:
        client.orders.create_order(
            customer_id=acme.id, lines=[CreateOrderLineRequest(product_id="nope")]
        )
    assert bad.value.body["details"] == "lines[0].productId: no product nope"
    with pytest.raises(BadRequestError) as backwards:
        client.orders.create_order(customer_id=acme.id, start_date=END, end_date=START)
    assert backwards.value.body["details"].startswith("endDate:")
    with pytest.raises(BadRequestError) as unknown:
        client.orders.create_order(customer_id="0190a000-0000-7000-8000-000000000000")
    assert unknown.value.body["details"].startswith("customerId: no customer")
    before = client.orders.list_orders().pagination.total
    assert before == 3  # the refused ones changed nothing
    other = Paid(token=other_key, base_url=paid_server + "/compat/paid/api/v2")
    with pytest.raises(NotFoundError):
        other.orders.get_order_by_id(first.id)  # another tenant's order
    assert other.orders.list_orders().pagination.total == 0


def test_expected_active_version_guards_the_value_model(client: Paid) -> None:
    hours_metric(client)  # the value model's version 1
    edit = {"minutes_saved": ValueMetricVariableEdit(value=45)}
    with pytest.raises(ConflictError) as stale:
        client.value_metrics.update_value_metric(
            "hours-saved", variables=edit, expected_active_version=0
        )
    assert stale.value.body["code"] == "conflict"
    unchanged = client.value_metrics.get_value_metric("hours-saved")
    assert unchanged.signals[0].defaults == {"minutes_saved": 30.0}  # the 409 changed nothing
    ack = client.value_metrics.update_value_metric(
        "hours-saved", variables=edit, expected_active_version=1
    )
    assert ack.version == 2
    with pytest.raises(ConflictError):
        client.value_metrics.archive_value_metric("hours-saved", expected_active_version=1)
    assert client.value_metrics.archive_value_metric("hours-saved").version == 3
    assert client.value_metrics.list_value_metrics().data == []
