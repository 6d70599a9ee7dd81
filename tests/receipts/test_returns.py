from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.conftest import Tenant
from tests.factories import (
    locs,
    make_receipt,
    receipt,
    return_line,
    simple_receipt,
    with_lines,
)


async def original(client: httpx.AsyncClient, external_id: str = "O-1") -> dict[str, Any]:
    """A sale of 3 shirts (line 1) and 1.5 kg of apples (line 2)."""
    body = with_lines(
        external_id,
        [
            {"sku": "SHIRT", "name": "Shirt", "quantity": "3", "unit_price": 1000, "total": 3000},
            {"sku": "APL", "name": "Apples", "quantity": "1.5", "unit": "kg",
             "unit_price": 200, "total": 300},
        ],
    )  # fmt: skip
    created: dict[str, Any] = await make_receipt(client, body)
    return created


async def post_return(
    client: httpx.AsyncClient, external_id: str, *lines: dict[str, Any], **changes: Any
) -> httpx.Response:
    return await client.post("/v1/receipts", json=with_lines(external_id, list(lines), **changes))


class TestAccepted:
    async def test_return_by_receipt_id(self, tenant: Tenant) -> None:
        sale = await original(tenant.client)
        response = await post_return(
            tenant.client, "RET-1", return_line("-1", receipt_id=sale["id"])
        )
        assert response.status_code == 201, response.text
        stored = response.json()
        assert stored["is_return"] is True
        assert stored["total"] == -1000
        assert stored["lines"][0]["quantity"] == "-1"
        assert stored["lines"][0]["return_of"] == {"receipt_id": sale["id"], "line_no": 1}
        assert sale["is_return"] is False

    async def test_return_by_external_id_with_refund_payment(self, tenant: Tenant) -> None:
        await original(tenant.client, "O-EXT")
        line = return_line("-0.5", unit_price=200, line_no=2, receipt_external_id="O-EXT")
        response = await post_return(
            tenant.client, "RET-1", line, payments=[{"method": "cash", "amount": -100}]
        )
        assert response.status_code == 201, response.text
        assert response.json()["lines"][0]["return_of"]["line_no"] == 2
        assert response.json()["payments"][0]["amount"] == -100

    async def test_exchange_mixes_a_return_and_a_sale(self, tenant: Tenant) -> None:
        sale = await original(tenant.client)
        new_shirt = {"sku": "SHIRT-M", "name": "Shirt M", "unit_price": 1000, "total": 1000}
        response = await post_return(
            tenant.client, "EXCH-1", return_line("-1", receipt_id=sale["id"]), new_shirt
        )
        assert response.status_code == 201, response.text
        assert response.json()["is_return"] is True
        assert response.json()["total"] == 0
        assert response.json()["lines"][1]["return_of"] is None

    async def test_return_line_adds_back_its_discount(self, tenant: Tenant) -> None:
        sale = await make_receipt(tenant.client, receipt("O-EX"))  # line 1: 2 × 1500 − 200
        line = {
            "name": "T-shirt back", "quantity": "-1", "unit_price": 1500, "discount": 100,
            "total": -1400, "return_of": {"receipt_id": sale["id"], "line_no": 1},
        }  # fmt: skip
        response = await post_return(tenant.client, "RET-1", line)
        assert response.status_code == 201, response.text

    async def test_posting_the_same_return_again_is_a_replay(self, tenant: Tenant) -> None:
        sale = await original(tenant.client)
        line = return_line("-3", receipt_id=sale["id"])
        first = await post_return(tenant.client, "RET-1", line)
        again = await post_return(tenant.client, "RET-1", line)
        assert (first.status_code, again.status_code) == (201, 200)
        assert again.json() == first.json()


class TestQuantities:
    async def test_more_than_bought_is_409(self, tenant: Tenant) -> None:
        sale = await original(tenant.client)
        response = await post_return(
            tenant.client, "RET-1", return_line("-4", receipt_id=sale["id"])
        )
        assert response.status_code == 409
        detail = response.json()["detail"]
        assert "returns 4" in detail and "3 were bought" in detail
        listing = (await tenant.client.get("/v1/receipts")).json()["data"]
        assert [r["external_id"] for r in listing] == ["O-1"]

    async def test_partial_returns_across_receipts(self, tenant: Tenant) -> None:
        sale = await original(tenant.client)
        ref = {"receipt_id": sale["id"]}
        assert (await post_return(tenant.client, "R1", return_line("-2", **ref))).status_code == 201
        over = await post_return(tenant.client, "R2", return_line("-2", **ref))
        assert over.status_code == 409
        assert "2 already returned" in over.json()["detail"]
        assert (await post_return(tenant.client, "R3", return_line("-1", **ref))).status_code == 201
        last = await post_return(tenant.client, "R4", return_line("-1", **ref))
        assert last.status_code == 409

    async def test_two_lines_of_one_receipt_count_together(self, tenant: Tenant) -> None:
        sale = await original(tenant.client)
        ref = {"receipt_id": sale["id"]}
        response = await post_return(
            tenant.client, "R1", return_line("-2", **ref), return_line("-2", **ref)
        )
        assert response.status_code == 409

    async def test_fractional_quantities(self, tenant: Tenant) -> None:
        await original(tenant.client)
        for i in range(3):
            line = return_line("-0.5", unit_price=200, line_no=2, receipt_external_id="O-1")
            response = await post_return(tenant.client, f"R{i}", line)
            assert response.status_code == 201, response.text
        line = return_line("-0.001", unit_price=200, line_no=2, receipt_external_id="O-1")
        assert (await post_return(tenant.client, "R9", line)).status_code == 409

    async def test_returns_earlier_in_a_batch_count(self, tenant: Tenant) -> None:
        sale = await original(tenant.client)
        ref = {"receipt_id": sale["id"]}
        batch = {
            "receipts": [
                with_lines("B1", [return_line("-2", **ref)]),
                with_lines("B2", [return_line("-2", **ref)]),
                with_lines("B3", [return_line("-1", **ref)]),
            ]
        }
        response = await tenant.client.post("/v1/receipts/batch", json=batch)
        assert [r["status"] for r in response.json()["results"]] == [201, 409, 201]

    async def test_concurrent_returns_never_over_return(self, tenant: Tenant) -> None:
        sale = await original(tenant.client)
        ref = {"receipt_id": sale["id"]}
        responses = await asyncio.gather(
            *(post_return(tenant.client, f"C{i}", return_line("-1", **ref)) for i in range(8))
        )
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [201] * 3 + [409] * 5, [r.text for r in responses]
        assert (
            await post_return(tenant.client, "AFTER", return_line("-1", **ref))
        ).status_code == 409

    async def test_concurrent_mixed_quantities_stay_within_the_line(self, tenant: Tenant) -> None:
        await original(tenant.client)
        lines = [
            return_line(q, unit_price=200, line_no=2, receipt_external_id="O-1")
            for q in ("-0.5", "-1", "-0.25", "-0.75", "-0.5", "-1.5")
        ]
        responses = await asyncio.gather(
            *(post_return(tenant.client, f"M{i}", line) for i, line in enumerate(lines))
        )
        accepted = [
            float(r.json()["lines"][0]["quantity"]) for r in responses if r.status_code == 201
        ]
        assert all(r.status_code in (201, 409) for r in responses)
        assert accepted and -sum(accepted) <= 1.5


class TestRefused:
    async def test_return_of_a_return_line_is_422(self, tenant: Tenant) -> None:
        sale = await original(tenant.client)
        first = await post_return(tenant.client, "R1", return_line("-1", receipt_id=sale["id"]))
        response = await post_return(
            tenant.client, "R2", return_line("-1", receipt_id=first.json()["id"])
        )
        assert response.status_code == 422
        assert locs(response) == ["lines[0].return_of"]

    async def test_positive_quantity_on_a_return_line_is_422(self, tenant: Tenant) -> None:
        sale = await original(tenant.client)
        line = return_line("1", receipt_id=sale["id"])
        response = await post_return(tenant.client, "R1", line)
        assert response.status_code == 422
        assert locs(response) == ["lines[0].quantity"]

    async def test_negative_quantity_without_return_of_is_422(self, tenant: Tenant) -> None:
        line = {"name": "Refund?", "quantity": "-1", "unit_price": 1000, "total": -1000}
        response = await post_return(tenant.client, "R1", line)
        assert response.status_code == 422
        assert locs(response) == ["lines[0].quantity"]

    async def test_unknown_line_or_receipt_is_422(self, tenant: Tenant) -> None:
        sale = await original(tenant.client)
        for external_id, line in [
            ("R1", return_line("-1", line_no=3, receipt_id=sale["id"])),
            ("R2", return_line("-1", receipt_external_id="NOPE")),
            ("R3", return_line("-1", receipt_id="0190a1b2-0000-7000-8000-000000000000")),
        ]:
            response = await post_return(tenant.client, external_id, line)
            assert response.status_code == 422, response.text
            assert locs(response) == ["lines[0].return_of"]

    async def test_both_or_neither_reference_is_422(self, tenant: Tenant) -> None:
        sale = await original(tenant.client)
        both = return_line("-1", receipt_id=sale["id"], receipt_external_id="O-1")
        response = await post_return(tenant.client, "R1", both)
        assert response.status_code == 422
        assert locs(response) == ["lines[0].return_of"]
        neither = return_line("-1")
        response = await post_return(tenant.client, "R2", neither)
        assert response.status_code == 422

    async def test_other_currency_is_422(self, tenant: Tenant) -> None:
        sale = await original(tenant.client)
        response = await post_return(
            tenant.client, "R1", return_line("-1", receipt_id=sale["id"]), currency="USD"
        )
        assert response.status_code == 422
        assert locs(response) == ["currency"]

    async def test_another_merchants_receipt_cannot_be_returned(
        self, tenant: Tenant, other: Tenant
    ) -> None:
        theirs = await original(other.client)
        for line in (
            return_line("-1", receipt_id=theirs["id"]),
            return_line("-1", receipt_external_id="O-1"),
        ):
            response = await post_return(tenant.client, "R1", line)
            assert response.status_code == 422
        ref = {"receipt_id": theirs["id"]}
        assert (await post_return(other.client, "R1", return_line("-3", **ref))).status_code == 201

    async def test_refused_return_leaves_the_original_returnable(self, tenant: Tenant) -> None:
        sale = await original(tenant.client)
        ref = {"receipt_id": sale["id"]}
        bad = await post_return(tenant.client, "R1", return_line("-1", **ref), subtotal=5)
        assert bad.status_code == 422
        ok = await post_return(tenant.client, "R1", return_line("-3", **ref))
        assert ok.status_code == 201


def test_simple_receipt_helper_is_valid() -> None:
    body = simple_receipt("X", quantity="1.5", unit_price=300)
    assert body["lines"][0]["total"] == body["subtotal"] == body["total"] == 450


class TestRefunds:
    async def test_refund_above_what_was_paid_is_422(self, tenant: Tenant) -> None:
        await tenant.client.post(
            "/v1/receipts", json=simple_receipt("PAID", quantity="2", unit_price=500)
        )
        greedy = with_lines(
            "GREEDY", [return_line("-2", unit_price=1_000_000, receipt_external_id="PAID")]
        )
        response = await tenant.client.post("/v1/receipts", json=greedy)
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["loc"] == "lines[0].total"

    async def test_a_return_that_charges_is_422(self, tenant: Tenant) -> None:
        await tenant.client.post(
            "/v1/receipts", json=simple_receipt("PAID2", quantity="2", unit_price=500)
        )
        charging = with_lines(
            "CHARGE", [return_line("-1", unit_price=-500, receipt_external_id="PAID2")]
        )
        response = await tenant.client.post("/v1/receipts", json=charging)
        assert response.status_code == 422, response.text

    async def test_refunds_add_up_to_at_most_the_line(self, tenant: Tenant) -> None:
        await tenant.client.post(
            "/v1/receipts", json=simple_receipt("THREE", quantity="3", unit_price=333)
        )
        for n in range(3):
            back = with_lines(
                f"BACK-{n}", [return_line("-1", unit_price=333, receipt_external_id="THREE")]
            )
            assert (await tenant.client.post("/v1/receipts", json=back)).status_code == 201


class TestRefundsAddUp:
    """All refunds of a line ≤ ceil(line total × quantity returned so far / quantity bought)."""

    async def sale_of_one(self, tenant: Tenant, external_id: str) -> None:
        body = simple_receipt(external_id, quantity="1", unit_price=100)  # 1.00 for 1 item
        assert (await tenant.client.post("/v1/receipts", json=body)).status_code == 201

    @staticmethod
    def tiny(n: int, of: str, unit_price: int = 1_000_000) -> dict[str, Any]:
        """A return of a millionth of the item, refunding 1 cent (0 with unit_price 100)."""
        line = return_line("-0.000001", unit_price=unit_price, receipt_external_id=of)
        return with_lines(f"{of}-BACK-{n}", [line])

    async def refunded(self, tenant: Tenant, of: str) -> int:
        listing = await tenant.client.get("/v1/receipts", params={"limit": 500})
        return -sum(
            int(r["total"]) for r in listing.json()["data"] if r["external_id"].startswith(f"{of}-")
        )

    async def test_many_tiny_returns_one_by_one_gain_at_most_a_cent(self, tenant: Tenant) -> None:
        await self.sale_of_one(tenant, "ONE")
        statuses = [
            (await tenant.client.post("/v1/receipts", json=self.tiny(n, "ONE"))).status_code
            for n in range(100)
        ]
        assert statuses == [201] + [422] * 99
        assert await self.refunded(tenant, "ONE") == 1
        free = await tenant.client.post("/v1/receipts", json=self.tiny(100, "ONE", 100))
        assert free.status_code == 201, free.text  # refunding 0 stays allowed
        refused = await tenant.client.post("/v1/receipts", json=self.tiny(101, "ONE"))
        message = refused.json()["errors"][0]["message"]
        assert "returning 0.000003 of it refunds at most 1 in all" in message
        assert "1 was already refunded" in message

    async def test_many_tiny_returns_in_a_batch_gain_at_most_a_cent(self, tenant: Tenant) -> None:
        await self.sale_of_one(tenant, "TWO")
        batch = {"receipts": [self.tiny(n, "TWO") for n in range(100)]}
        response = await tenant.client.post("/v1/receipts/batch", json=batch)
        assert [r["status"] for r in response.json()["results"]] == [201] + [422] * 99
        refused = response.json()["results"][1]["error"]["errors"]
        assert [e["loc"] for e in refused] == ["lines[0].total"]
        assert await self.refunded(tenant, "TWO") == 1

    async def test_tiny_lines_in_one_receipt_count_together(self, tenant: Tenant) -> None:
        await self.sale_of_one(tenant, "THREE")
        line = return_line("-0.000001", unit_price=1_000_000, receipt_external_id="THREE")
        response = await tenant.client.post(
            "/v1/receipts", json=with_lines("THREE-BACK", [line, line])
        )
        assert response.status_code == 422
        assert locs(response) == ["lines[1].total"]

    async def test_a_full_return_in_parts_refunds_exactly_the_line(self, tenant: Tenant) -> None:
        sale = simple_receipt("THIRDS", quantity="3", unit_price=333)  # 999 for 3
        assert (await tenant.client.post("/v1/receipts", json=sale)).status_code == 201

        def back(n: int, total: int) -> dict[str, Any]:
            line = return_line("-1.5", unit_price=333, receipt_external_id="THIRDS")
            return with_lines(f"THIRDS-{n}", [{**line, "total": total}])  # 499.5: either

        first = await tenant.client.post("/v1/receipts", json=back(1, -500))  # ceil(499.5)
        assert first.status_code == 201, first.text
        over = await tenant.client.post("/v1/receipts", json=back(2, -500))  # 1000 > 999
        assert over.status_code == 422
        assert locs(over) == ["lines[0].total"]
        rest = await tenant.client.post("/v1/receipts", json=back(3, -499))
        assert rest.status_code == 201, rest.text
        assert await self.refunded(tenant, "THIRDS") == 999

    async def test_a_later_return_may_use_what_an_earlier_one_left(self, tenant: Tenant) -> None:
        await original(tenant.client, "APPLES")  # line 2: 1.5 kg for 300

        def half_kg(n: int, unit_price: int) -> dict[str, Any]:
            line = return_line("-0.5", unit_price, line_no=2, receipt_external_id="APPLES")
            return with_lines(f"APPLES-{n}", [line])

        async def status(body: dict[str, Any]) -> int:
            return (await tenant.client.post("/v1/receipts", json=body)).status_code

        assert await status(half_kg(1, 198)) == 201  # refunds 99 of at most 100
        assert await status(half_kg(2, 204)) == 422  # 99 + 102 > 200
        assert await status(half_kg(3, 202)) == 201  # 99 + 101 ≤ 200
        assert await status(half_kg(4, 202)) == 422  # 200 + 101 > 300
        assert await status(half_kg(5, 200)) == 201  # exactly 300 in all
        assert await self.refunded(tenant, "APPLES") == 300

    async def test_fuel_returned_in_two_parts_refunds_exactly_the_line(
        self, tenant: Tenant
    ) -> None:
        fuel = {"name": "Euro 95", "quantity": "42.37", "unit": "l", "unit_price": "185.9",
                "total": 7877}  # fmt: skip
        await make_receipt(tenant.client, with_lines("FUEL", [fuel]))

        def back(n: int, litres: str, total: int) -> dict[str, Any]:
            line = {**fuel, "quantity": f"-{litres}", "total": total,
                    "return_of": {"receipt_external_id": "FUEL", "line_no": 1}}  # fmt: skip
            return with_lines(f"FUEL-{n}", [line])

        first = await tenant.client.post("/v1/receipts", json=back(1, "10", -1859))
        assert first.status_code == 201, first.text  # cap ceil(7877 × 10 / 42.37) = 1860
        rest = await tenant.client.post("/v1/receipts", json=back(2, "32.37", -6018))
        assert rest.status_code == 201, rest.text  # 6017.583 → 6018: 7877 in all
        assert await self.refunded(tenant, "FUEL") == 7877
