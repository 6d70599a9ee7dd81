from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.conftest import Tenant
from tests.factories import created, locs, make_customer, make_product
from tests.orders.helpers import events
from tillroll.jobs import worker
from tillroll.kit.db import Database
from tillroll.orders import stock


async def out_of_stock(tenant: Tenant, sku: str = "TEE") -> str:
    product = await make_product(tenant.client, sku, available=False, image_url="https://x.example/t.png",
                                 metadata={"brand": "Comedy"})  # fmt: skip
    return str(product["id"])


async def subscribe(tenant: Tenant, product_id: str, **who: Any) -> Any:
    return await tenant.client.post(f"/v1/products/{product_id}/subscriptions", json=who)


class TestSubscriptions:
    async def test_subscribing_is_idempotent_per_subscriber(self, tenant: Tenant) -> None:
        product_id = await out_of_stock(tenant)
        customer = await make_customer(tenant.client, email="ann@example.com")
        first = await created(await subscribe(tenant, product_id, email="Bob@Example.com"))
        again = await subscribe(tenant, product_id, email="bob@example.com")
        assert again.status_code == 200 and again.json() == first
        by_customer = await created(await subscribe(tenant, product_id, customer_id=customer["id"]))
        assert by_customer["id"] != first["id"] and by_customer["status"] == "open"

    async def test_bad_subscriptions(self, tenant: Tenant) -> None:
        product_id = await out_of_stock(tenant)
        both = await subscribe(tenant, product_id, email="a@b.co", customer_id=product_id)
        assert both.status_code == 422 and locs(both) == ["customer_id"]
        assert locs(await subscribe(tenant, product_id, email="nope")) == ["email"]
        unknown = await subscribe(tenant, product_id, customer_id=product_id)
        assert unknown.status_code == 422 and locs(unknown) == ["customer_id"]
        in_stock = await make_product(tenant.client, "MUG")
        assert (await subscribe(tenant, in_stock["id"], email="a@b.co")).status_code == 409

    async def test_another_tenants_product_is_404(self, tenant: Tenant, other: Tenant) -> None:
        product_id = await out_of_stock(tenant)
        sub = await created(await subscribe(tenant, product_id, email="a@b.co"))
        assert (await subscribe(other, product_id, email="a@b.co")).status_code == 404
        path = f"/v1/products/{product_id}/subscriptions/{sub['id']}"
        assert (await other.client.delete(path)).status_code == 404
        assert (await other.client.post(f"/v1/products/{product_id}/restock")).status_code == 404
        assert (await tenant.client.get(path)).json()["status"] == "open"


class TestRestock:
    async def test_each_subscriber_is_notified_exactly_once(
        self, tenant: Tenant, db: Database
    ) -> None:
        await tenant.client.put("/v1/back-in-stock/settings",
                                json={"landing_url": "https://shop.example/cart"})  # fmt: skip
        product_id = await out_of_stock(tenant)
        subs = [await created(await subscribe(tenant, product_id, email=f"s{n}@example.com"))
                for n in range(3)]  # fmt: skip
        gone = subs.pop()
        path = f"/v1/products/{product_id}/subscriptions"
        assert (await tenant.client.delete(f"{path}/{gone['id']}")).status_code == 204
        offer = {"url": "https://shop.example/tee", "price": 3500, "currency": "USD"}
        result = (await tenant.client.post(f"/v1/products/{product_id}/restock", json=offer)).json()
        assert result == {"product_id": product_id, "available": True, "notifying": 2}
        assert await events(db, tenant.id, "product.back_in_stock") == []  # the worker sends
        await worker.run_once(db)
        sent = await events(db, tenant.id, "product.back_in_stock")
        assert sorted(e["email"] for e in sent) == ["s0@example.com", "s1@example.com"]
        offers = {(e["price"], e["currency"], e["url"], e["landing_url"], e["thumb_url"])
                  for e in sent}  # fmt: skip
        assert offers == {
            (3500, "USD", "https://shop.example/tee", "https://shop.example/cart",
             "https://x.example/t.png")
        }  # fmt: skip
        assert sent[0]["metadata"] == {"brand": "Comedy"}
        for sub in subs:
            assert (await tenant.client.get(f"{path}/{sub['id']}")).json()["status"] == "notified"
        again = (await tenant.client.post(f"/v1/products/{product_id}/restock")).json()
        assert again["notifying"] == 0
        await tenant.client.patch(f"/v1/products/{product_id}", json={"available": False})
        await tenant.client.patch(f"/v1/products/{product_id}", json={"available": True})
        await worker.run_once(db)
        assert len(await events(db, tenant.id, "product.back_in_stock")) == 2

    async def test_patching_availability_on_notifies_in_batches(
        self, tenant: Tenant, db: Database, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(stock, "BATCH", 4)
        product_id = await out_of_stock(tenant)
        await asyncio.gather(*(subscribe(tenant, product_id, email=f"p{n}@example.com")
                               for n in range(10)))  # fmt: skip
        await tenant.client.patch(f"/v1/products/{product_id}", json={"available": True})
        await worker.run_once(db)
        sent = await events(db, tenant.id, "product.back_in_stock")
        assert sorted(e["email"] for e in sent) == sorted(f"p{n}@example.com" for n in range(10))

    async def test_a_product_out_of_stock_again_keeps_its_subscribers_waiting(
        self, tenant: Tenant, db: Database
    ) -> None:
        product_id = await out_of_stock(tenant)
        sub = await created(await subscribe(tenant, product_id, email="w@example.com"))
        await tenant.client.post(f"/v1/products/{product_id}/restock")
        await tenant.client.patch(f"/v1/products/{product_id}", json={"available": False})
        await worker.run_once(db)
        assert await events(db, tenant.id, "product.back_in_stock") == []
        path = f"/v1/products/{product_id}/subscriptions/{sub['id']}"
        assert (await tenant.client.get(path)).json()["status"] == "open"
