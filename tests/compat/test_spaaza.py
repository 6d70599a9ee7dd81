"""The Spaaza facade replays seed 001: field names, nesting and types of its examples, every
get-receipts parameter, Spaaza auth and error envelope, and add-basket."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.compat import spaaza_examples as ex
from tests.conftest import Tenant
from tests.factories import (
    bearer,
    make_branch,
    make_customer,
    make_key,
    make_receipt,
    make_session,
    receipt,
    simple_receipt,
)

BASE = "/compat/spaaza"
T0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)

# Fields of the newer receipt object (seed-systems §2.4) the facade adds to the seed's.
NEWER = {
    "$": {"retailer_basket_code", "currency", "shipping_charge", "payment_methods", "employee",
          "notes", "template_content", "loyalty_status"},
    "$.chain": {"currency_code"},
    "$.chain.business": {"branch_code"},
    "$.line_items[]": {"quantity_unit"},
}  # fmt: skip
# Documented as possibly null: wallets and loyalty status until wallets exist.
NULLABLE = {"$.monetary_wallet", "$.points_wallet", "$.loyalty_status"}
# The get-receipts variant shows unknown values as null (its example does: `size`, `business`).
EXPORT_NULLABLE = {
    "$.chain.business", "$.shopper", "$.shopper.address_housenumber",
    "$.shopper.address_housenumber_extension", "$.line_items[].barcode",
    "$.line_items[].metadata.barcode", "$.line_items[].description",
}  # fmt: skip


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def assert_shape(
    actual: Any,
    example: Any,
    path: str = "$",
    *,
    extra: dict[str, set[str]] | None = None,
    nullable: set[str] | None = None,
) -> None:
    """`actual` has every key of `example` (and only documented extras), with the same types,
    recursively; a null in the example says nothing about the type."""
    extra, nullable = extra or {}, nullable or set()
    if example is None:
        return
    if actual is None:
        assert path in nullable, f"{path} is null; the example has {example!r}"
        return
    assert _kind(actual) == _kind(example), f"{path}: {actual!r} vs example {example!r}"
    if isinstance(example, dict):
        missing = set(example) - set(actual)
        assert not missing, f"{path} lacks {sorted(missing)}"
        unexpected = set(actual) - set(example) - extra.get(path, set())
        assert not unexpected, f"{path} has undocumented {sorted(unexpected)}"
        for key, value in example.items():
            assert_shape(actual[key], value, f"{path}.{key}", extra=extra, nullable=nullable)
    elif isinstance(example, list) and example:
        for item in actual:
            assert_shape(item, example[0], f"{path}[]", extra=extra, nullable=nullable)


def chain_headers(tenant: Tenant, chain: int | None = None) -> dict[str, str]:
    return {**tenant.headers, "Session-Chain-Id": str(tenant.number if chain is None else chain)}


async def spaaza_get(tenant: Tenant, path: str, **params: Any) -> httpx.Response:
    return await tenant.client.get(BASE + path, params=params, headers=chain_headers(tenant))


def error_of(response: httpx.Response, status: int, name: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["result"] == {"code": 2, "status": "error"}
    assert set(body["error"]) == {"code", "name", "description"}
    assert body["error"]["name"] == name, body
    assert isinstance(body["error"]["code"], int)
    description: str = body["error"]["description"]
    return description


async def shop(tenant: Tenant) -> tuple[dict[str, Any], dict[str, Any]]:
    """Branding, a branch with an address and a member: what a receipt object shows."""
    settings = {
        "default_currency": "EUR", "email": "support@acme.test",
        "logo_url": "https://acme.test/logo.png", "website_url": "https://acme.test",
        "email_subject": "Your ACME receipt", "background_color": "#112233",
    }  # fmt: skip
    response = await tenant.client.patch("/v1/merchant", json={"settings": settings})
    assert response.status_code == 200, response.text
    branch = await make_branch(
        tenant.client, "0192", phone="+31201234567", email="alkmaar@acme.test",
        address={"lines": ["Maastrichtstraat 1"], "city": "Alkmaar", "postal_code": "1701 AB",
                 "country": "NL", "lat": 52.863478, "lon": 4.749566},
    )  # fmt: skip
    customer = await make_customer(
        tenant.client, member_number="1090043", external_id="661196", first_name="Mark",
        last_name="Jansen", email="mark@example.test", gender="M", birthday="1988-02-01",
        country="NL", registered=True, send_email_receipt=True,
        billing_address={"lines": ["Utrechtsestraat 23"], "city": "Lisse",
                         "postal_code": "2148 AB", "country": "NL"},
    )  # fmt: skip
    return branch, customer


def member_receipt(external_id: str, **changes: Any) -> dict[str, Any]:
    return receipt(
        external_id, branch={"code": "0192"}, customer={"member_number": "1090043"}, **changes
    )


class TestReceiptObject:
    async def test_get_receipt_replays_the_documented_object(self, tenant: Tenant) -> None:
        branch, _ = await shop(tenant)
        stored = await make_receipt(tenant.client, member_receipt("T-1"))
        response = await spaaza_get(tenant, f"/receipts/{stored['number']}")
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/json"
        got = response.json()
        for example in (ex.RECEIPT_OBJECT, ex.GET_RECEIPT, ex.SHOPPER_RECEIPTS[1]):
            assert_shape(got, example, extra=NEWER, nullable=NULLABLE)
        assert got["id"] == stored["number"]
        assert got["retailer_basket_code"] == "T-1"
        assert got["timestamp"] == "2026-11-21T14:09:26Z"
        assert got["chain"]["id"] == tenant.number
        assert got["chain"]["currency"] == "Euro" and got["chain"]["currency_symbol"] == "€"
        assert got["chain"]["receipts_service_active"] is True
        business = got["chain"]["business"]
        assert business["id"] == branch["number"] and business["branch_code"] == "0192"
        assert business["address"]["location"] == {"lat": 52.863478, "lon": 4.749566}
        assert got["shopper"]["id"] == 1090043 and got["shopper"]["entity_code"] == "1090043"
        assert got["shopper"]["billing_address"]["towncity"] == "Lisse"
        assert got["monetary_wallet"] is None and got["points_wallet"] is None
        assert got["basket_vouchers"] == [] and got["loyalty_status"] is None
        assert got["template_content"] == {
            "subject": "Your ACME receipt",
            "background_color": "#112233",
        }
        assert got["payment_method"] == "multiple"
        assert got["employee"] == {"code": "E07", "name": "Sanne"}

    async def test_money_is_exact_decimal_numbers(self, tenant: Tenant) -> None:
        await shop(tenant)
        stored = await make_receipt(tenant.client, member_receipt("T-2"))
        response = await spaaza_get(tenant, f"/receipts/{stored['number']}")
        raw = response.text
        assert '"total_value":31.40' in raw  # 3140 cents, no float noise
        assert '"subtotal":26.24' in raw  # without VAT: 3140 - 516
        got = response.json(parse_float=Decimal)
        [shirt, apples, bag] = got["line_items"]
        assert shirt["original_price"] == Decimal("18.00")
        assert shirt["sale_price"] == Decimal("14.00") and shirt["sale_discount"] == "2.00"
        assert shirt["metadata"] == {"color": "white", "size": "L", "image": ""}
        assert shirt["type"] == "Clothing > T-shirts"
        assert apples["quantity"] == Decimal("1.055") and apples["quantity_unit"] == "kg"
        assert got["quantity"] == Decimal("4.055")
        assert got["tax_lines"][0] == {
            "tax_value": Decimal("4.90"),
            "order_value": Decimal("23.35"),
            "rate": Decimal("0.21"),
        }
        assert got["payment_methods"] == [
            {"payment_method": "card", "payment_amount": Decimal("20.00")},
            {"payment_method": "cash", "payment_amount": Decimal("11.40")},
        ]
        assert bag["sale_price"] == Decimal("0.25")

    async def test_anonymous_receipt_without_branch(self, tenant: Tenant) -> None:
        stored = await make_receipt(tenant.client, receipt("ANON"))
        got = (await spaaza_get(tenant, f"/receipts/{stored['number']}")).json()
        assert got["shopper"] is None and got["chain"]["business"] is None

    async def test_unknown_or_foreign_receipt_is_not_found(
        self, tenant: Tenant, other: Tenant
    ) -> None:
        theirs = await make_receipt(other.client, receipt("THEIRS"))
        mine = await make_receipt(tenant.client, receipt("MINE"))
        assert mine["number"] == theirs["number"] == 1
        assert (await spaaza_get(tenant, "/receipts/1")).json()["retailer_basket_code"] == "MINE"
        error_of(await spaaza_get(tenant, "/receipts/2"), 404, "not_found")
        error_of(await spaaza_get(tenant, "/receipts/abc"), 404, "receipt_not_found")


class TestShopperReceipts:
    async def test_bare_array_newest_first(self, tenant: Tenant) -> None:
        await shop(tenant)
        await make_receipt(tenant.client, member_receipt("OLD", issued_at="2026-01-01T10:00:00Z"))
        await make_receipt(tenant.client, member_receipt("NEW", issued_at="2026-02-01T10:00:00Z"))
        await make_receipt(tenant.client, receipt("ANON"))
        response = await spaaza_get(tenant, "/receipts", shopper_id=1090043)
        assert response.status_code == 200, response.text
        got = response.json()
        assert isinstance(got, list)
        assert [r["retailer_basket_code"] for r in got] == ["NEW", "OLD"]
        for item in got:
            for example in ex.SHOPPER_RECEIPTS:
                assert_shape(item, example, extra=NEWER, nullable=NULLABLE)
        assert (await spaaza_get(tenant, "/receipts", shopper_id=999)).json() == []

    async def test_shopper_id_is_own_number_without_numeric_member_number(
        self, tenant: Tenant
    ) -> None:
        await make_customer(tenant.client, member_number="7")  # customer number 1
        anna = await make_customer(tenant.client, member_number="ANNA-1")  # number 2
        await make_receipt(tenant.client, receipt("A", customer={"member_number": "ANNA-1"}))
        got = (await spaaza_get(tenant, "/receipts", shopper_id=anna["number"])).json()
        assert [r["shopper"]["id"] for r in got] == [anna["number"]]
        assert got[0]["shopper"]["entity_code"] == "ANNA-1"
        # customer 1's shopper id is its member number 7, not its own number
        assert (await spaaza_get(tenant, "/receipts", shopper_id=1)).json() == []

    async def test_shopper_session_reads_only_its_own(self, tenant: Tenant) -> None:
        await shop(tenant)
        other = await make_customer(tenant.client, member_number="2000")
        await make_receipt(tenant.client, member_receipt("MINE"))
        await make_receipt(tenant.client, receipt("THEIRS", customer={"member_number": "2000"}))
        me = await make_customer(tenant.client, member_number="3000")
        session = (await make_session(tenant.client, me["id"]))["token"]
        headers = {**bearer(session), "Session-Chain-Id": str(tenant.number)}
        response = await tenant.client.get(
            BASE + "/receipts", params={"shopper_id": 2000}, headers=headers
        )
        assert response.status_code == 200 and response.json() == [], other
        denied = await tenant.client.get(
            BASE + "/get-receipts", params={"chain_id": tenant.number}, headers=headers
        )
        error_of(denied, 403, "no_access")

    async def test_malformed_and_missing_shopper_id(self, tenant: Tenant) -> None:
        error_of(await spaaza_get(tenant, "/receipts", shopper_id="x"), 400, "invalid_parameter")
        error_of(await spaaza_get(tenant, "/receipts"), 400, "missing_parameter")


async def numbered(tenant: Tenant, count: int, start: datetime = T0) -> None:
    """`count` receipts R-000… one minute apart, through the batch endpoint."""
    bodies = [
        simple_receipt(f"R-{i:03d}", issued_at=start + timedelta(minutes=i)) for i in range(count)
    ]
    for first in range(0, count, 500):
        response = await tenant.client.post(
            "/v1/receipts/batch", json={"receipts": bodies[first : first + 500]}
        )
        assert response.status_code == 200, response.text


async def codes(tenant: Tenant, suffix: str = "", **params: Any) -> list[str]:
    response = await spaaza_get(tenant, f"/get-receipts{suffix}", chain_id=tenant.number, **params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["result"] == {"code": 1, "status": "ok"}
    return [r["retailer_basket_code"] for r in body["results"]["receipts"]]


class TestGetReceipts:
    async def test_envelope_and_shapes_replay_the_example(self, tenant: Tenant) -> None:
        await shop(tenant)
        await make_receipt(
            tenant.client, member_receipt("A", shipping_total=326, total=3466, payments=[])
        )
        await make_receipt(tenant.client, receipt("B", issued_at="2026-11-22T10:00:00Z"))
        for suffix in ("", ".json"):
            response = await spaaza_get(tenant, f"/get-receipts{suffix}", chain_id=tenant.number)
            assert response.status_code == 200, response.text
            body = response.json()
            assert set(body) == {"result", "results"} and set(body["results"]) == {"receipts"}
            [a, b] = body["results"]["receipts"]
            for got in (a, b):
                for example in ex.GET_RECEIPTS["results"]["receipts"]:
                    assert_shape(got, example, nullable=EXPORT_NULLABLE)
            assert a["chain"]["business"]["branch_code"] == "0192"
            assert a["shopper"]["member_number"] == "1090043"
            assert a["shopper"]["member_program"] == {
                "program_name": "spaaza",
                "member_number": "1090043",
            }
            assert a["shopper"]["address_towncity"] == "Lisse"
            assert a["currency"] == {
                "currency_id": 978,
                "currency_code": "EUR",
                "currency_name_en": "Euro",
                "currency_symbol": "€",
            }
            assert b["shopper"] is None and b["chain"]["business"] is None
            assert '"shipping_charge":3.26' in response.text
            assert '"total_value":34.66' in response.text

    async def test_every_parameter(self, tenant: Tenant) -> None:
        branch, _ = await shop(tenant)
        await make_branch(tenant.client, "UTR")
        specs: list[tuple[str, dict[str, Any]]] = [
            ("p0", {"customer": {"member_number": "1090043"}, "branch": {"code": "0192"}}),
            ("p1", {"branch": {"code": "UTR"}}),
            ("p2", {"customer": {"member_number": "1090043"}}),
            ("p3", {"branch": {"code": "0192"}, "type": "online"}),
        ]
        for i, (code, extra) in enumerate(specs):
            body = simple_receipt(code, issued_at=T0 + timedelta(hours=i), **extra)
            await make_receipt(tenant.client, body)
        assert await codes(tenant) == ["p0", "p1", "p2", "p3"]  # oldest first
        assert await codes(tenant, user_id=1090043) == ["p0", "p2"]
        assert await codes(tenant, user_id=424242) == []
        assert await codes(tenant, branch_business_id=branch["number"]) == ["p0", "p3"]
        assert await codes(tenant, branch_business_id=99) == []
        assert await codes(tenant, branch_business_owner_code="UTR") == ["p1"]
        assert await codes(tenant, branch_business_owner_code="NOPE") == []
        assert await codes(tenant, retailer_basket_code="p2") == ["p2"]
        assert await codes(tenant, min_created_datetime="2026-03-01T11:00:00Z") == [
            "p1", "p2", "p3",
        ]  # fmt: skip
        assert await codes(tenant, max_created_datetime="2026-03-01T06:00:00-06:00") == [
            "p0", "p1", "p2",
        ]  # fmt: skip
        assert await codes(
            tenant,
            min_created_datetime="2026-03-01T12:00:00+01:00",
            max_created_datetime="2026-03-01T12:00:00+00:00",
        ) == ["p1", "p2"]
        assert await codes(tenant, number_results=2) == ["p0", "p1"]
        assert await codes(tenant, number_results=2, results_offset=1) == ["p1", "p2"]
        assert await codes(tenant, results_offset=3) == ["p3"]
        assert await codes(tenant, results_offset=4) == []
        assert await codes(tenant, results_offset=400) == []
        assert await codes(tenant, user_id=1090043, branch_business_owner_code="0192") == ["p0"]

    async def test_relative_windows_override_absolute_ones(self, tenant: Tenant) -> None:
        now = datetime.now(UTC)
        for code, age in (("d10", 10), ("d3", 3), ("d0", 0)):
            issued = now - timedelta(days=age, minutes=1)
            await make_receipt(tenant.client, simple_receipt(code, issued_at=issued))
        assert await codes(tenant, min_created_datetime_relative="-5 days") == ["d3", "d0"]
        assert await codes(tenant, max_created_datetime_relative="-2 days") == ["d10", "d3"]
        assert await codes(
            tenant,
            min_created_datetime_relative="-2 weeks",
            max_created_datetime_relative="-6 days -23 hours",
        ) == ["d10"]
        far_future = (now + timedelta(days=365)).isoformat()
        assert await codes(
            tenant, min_created_datetime=far_future, min_created_datetime_relative="-1 months"
        ) == ["d10", "d3", "d0"]
        bad = await spaaza_get(
            tenant, "/get-receipts", chain_id=tenant.number, min_created_datetime_relative="soon"
        )
        assert "min_created_datetime_relative" in error_of(bad, 400, "invalid_parameter")

    async def test_both_branch_parameters_are_an_error(self, tenant: Tenant) -> None:
        response = await spaaza_get(
            tenant, "/get-receipts", chain_id=tenant.number, branch_business_id=1,
            branch_business_owner_code="0192",
        )  # fmt: skip
        assert "not both" in error_of(response, 400, "branch_parameters_conflict")
        csv_response = await spaaza_get(
            tenant, "/get-receipts.csv", chain_id=tenant.number, branch_business_id=1,
            branch_business_owner_code="0192",
        )  # fmt: skip
        error_of(csv_response, 400, "branch_parameters_conflict")

    async def test_json_is_capped_at_500_and_csv_returns_all(self, tenant: Tenant) -> None:
        await numbered(tenant, 501)
        assert len(await codes(tenant)) == 500
        capped = await codes(tenant, number_results=501)
        assert len(capped) == 500 and capped[-1] == "R-499"
        assert await codes(tenant, results_offset=500) == ["R-500"]
        response = await spaaza_get(tenant, "/get-receipts.csv", chain_id=tenant.number)
        rows = list(csv.DictReader(io.StringIO(response.text)))
        assert len(rows) == 501 and rows[-1]["retailer_basket_code"] == "R-500"

    async def test_unknown_parameters_are_ignored_malformed_ones_refused(
        self, tenant: Tenant
    ) -> None:
        await make_receipt(tenant.client, simple_receipt("X"))
        assert await codes(tenant, foo="bar", results_per_page="x", chain_name="ACME") == ["X"]
        for params in (
            {"chain_id": "abc"},
            {"chain_id": tenant.number, "min_created_datetime": "yesterday"},
            {"chain_id": tenant.number, "max_created_datetime": "2026-03-01T10:00:00"},
            {"chain_id": tenant.number, "number_results": -1},
            {"chain_id": tenant.number, "results_offset": "first"},
            {"chain_id": tenant.number, "user_id": "anna"},
        ):
            response = await spaaza_get(tenant, "/get-receipts", **params)
            error_of(response, 400, "invalid_parameter")
        missing = await spaaza_get(tenant, "/get-receipts")
        assert "chain_id" in error_of(missing, 400, "missing_parameter")


class TestCsv:
    async def test_streamed_download_with_spaazas_columns(self, tenant: Tenant) -> None:
        await shop(tenant)
        await make_customer(
            tenant.client, member_number="55", first_name="Marcella",
            last_name='van der "Jansen", Jr', email="m@example.test",
        )  # fmt: skip
        await make_receipt(
            tenant.client,
            receipt("C-1", customer={"member_number": "55"}, notes="=HYPERLINK(1)"),
        )
        await make_receipt(tenant.client, member_receipt("C-2", notes="@SUM(A1), twice"))
        response = await spaaza_get(tenant, "/get-receipts.csv", chain_id=tenant.number)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/force-download")
        assert 'filename="receipts.csv"' in response.headers["content-disposition"]
        assert response.text.splitlines()[0] == ex.CSV_HEADER
        rows = list(csv.DictReader(io.StringIO(response.text)))
        assert [r["retailer_basket_code"] for r in rows] == ["C-1", "C-2"]
        assert rows[0]["shopper_lastname"] == 'van der "Jansen", Jr'
        assert '"van der ""Jansen"", Jr"' in response.text
        assert rows[0]["notes"] == "'=HYPERLINK(1)"
        assert rows[1]["notes"] == "'@SUM(A1), twice"
        assert rows[1]["shopper_id"] == "1090043"
        assert rows[1]["chain_business_owner_code"] == "0192"
        assert rows[0]["total_value"] == "31.40"
        sample = next(csv.DictReader(io.StringIO(ex.CSV_HEADER + "\n" + ex.CSV_ROW)))
        assert set(sample) == set(rows[0])

    async def test_csv_honours_offset_number_and_filters(self, tenant: Tenant) -> None:
        await numbered(tenant, 12)
        response = await spaaza_get(
            tenant, "/get-receipts.csv", chain_id=tenant.number, results_offset=3,
            number_results=4,
        )  # fmt: skip
        rows = list(csv.DictReader(io.StringIO(response.text)))
        assert [r["retailer_basket_code"] for r in rows] == ["R-003", "R-004", "R-005", "R-006"]
        past = await spaaza_get(
            tenant, "/get-receipts.csv", chain_id=tenant.number, results_offset=50
        )
        assert past.text.splitlines() == [ex.CSV_HEADER]
        one = await spaaza_get(
            tenant, "/get-receipts.csv", chain_id=tenant.number, retailer_basket_code="R-007"
        )
        assert [r["id"] for r in csv.DictReader(io.StringIO(one.text))] == ["8"]


class TestAuth:
    async def test_other_chain_ids_get_no_access(self, tenant: Tenant, other: Tenant) -> None:
        await make_receipt(tenant.client, receipt("A"))
        wrong = other.number
        response = await spaaza_get(tenant, "/get-receipts", chain_id=wrong)
        assert str(wrong) in error_of(response, 403, "no_access")
        for header in ("Session-Chain-Id", "X-Spaaza-Session-Chain-Id"):
            headers = {**tenant.headers, header: str(wrong)}
            for path, params in (
                ("/receipts/1", {}),
                ("/receipts", {"shopper_id": 1}),
                ("/get-receipts", {"chain_id": tenant.number}),
                ("/get-receipts.csv", {"chain_id": tenant.number}),
            ):
                response = await tenant.client.get(BASE + path, params=params, headers=headers)
                error_of(response, 403, "no_access")
        # the other merchant's key with our chain id: no access either
        theirs = await other.client.get(
            BASE + "/get-receipts", params={"chain_id": tenant.number}, headers=other.headers
        )
        error_of(theirs, 403, "no_access")
        ok = await tenant.client.get(
            BASE + "/receipts/1",
            headers={**tenant.headers, "X-Spaaza-Session-Chain-Id": str(tenant.number)},
        )
        assert ok.status_code == 200

    async def test_missing_or_bad_credentials(self, client: httpx.AsyncClient) -> None:
        response = await client.get(BASE + "/get-receipts", params={"chain_id": 1})
        error_of(response, 401, "not_authenticated")
        response = await client.get(
            BASE + "/receipts/1", headers={"Authorization": "Bearer tr_sk_nope"}
        )
        error_of(response, 401, "not_authenticated")

    async def test_read_key_cannot_add_baskets(self, tenant: Tenant) -> None:
        key = await make_key(tenant.client, "read")
        response = await tenant.client.post(
            BASE + "/auth/add-basket", json=basket("RK"), headers=bearer(key["secret"])
        )
        error_of(response, 403, "no_access")


def basket(code: str, *items: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A Spaaza add-basket document (seed-systems §2.7)."""
    body: dict[str, Any] = {
        "entity": {"entity_type": "chain", "branch_business_owner_code": "0192",
                   "employee_code": "E1", "employee_name": "Kim"},
        "user": {"member_programme": "spaaza", "member_number": "1090043"},
        "basket": {
            "basket_platform_type": "in_store", "retailer_basket_code": code,
            "basket_total_price": 64.85, "basket_timestamp_iso8601": "2026-03-01T11:00:00",
            "basket_timezone_name": "Europe/Amsterdam", "basket_notes": "Thanks!",
            "shipping_charge": 0, "basket_currency": {"currency_code": "EUR"},
            "payment_methods": [{"payment_method": "card", "payment_amount": 64.85}],
            "basket_tax": [{"tax_rate": 0.21, "tax_total": 11.25}],
            "basket_items": list(items) or [
                {"retailer_item_code": "TEE-L", "item_barcode": "3385100168687",
                 "retailer_product_code": "TEE", "item_name": "Stick up tee",
                 "item_description": "Black tee", "item_colour": "black", "item_size": "L",
                 "item_brand": "ACME", "item_category": "Clothing > Tees",
                 "item_image_url": "https://acme.test/tee.png", "item_quantity": 2,
                 "item_price": 19.95, "item_original_price": 24.95, "item_subtotal": 39.9},
                {"retailer_item_code": "APPLE", "item_name": "Apples", "item_quantity": 1.055,
                 "item_quantity_unit": "kg", "item_price": 23.65},
            ],
        },
    }  # fmt: skip
    body["basket"].update(changes)
    return body


async def add_basket(tenant: Tenant, body: dict[str, Any]) -> httpx.Response:
    return await tenant.client.post(
        BASE + "/auth/add-basket", json=body, headers=chain_headers(tenant)
    )


class TestAddBasket:
    async def test_happy_path_creates_the_receipt(self, tenant: Tenant) -> None:
        branch, _ = await shop(tenant)
        response = await add_basket(tenant, basket("B-1"))
        assert response.status_code == 200, response.text
        body = response.json(parse_float=Decimal)
        assert body["result"] == {"code": 1, "status": "ok"} and "warnings" not in body
        got = body["results"]["receipt"]
        assert_shape(json.loads(json.dumps(got, default=float)), ex.RECEIPT_OBJECT,
                     extra=NEWER, nullable=NULLABLE)  # fmt: skip
        assert got["id"] == body["results"]["basket_id"]
        assert got["retailer_basket_code"] == "B-1"
        assert got["timestamp"] == "2026-03-01T10:00:00Z"  # Amsterdam local time
        assert got["total_value"] == Decimal("64.85")
        assert got["chain"]["business"]["id"] == branch["number"]
        assert got["shopper"]["id"] == 1090043
        assert got["employee"] == {"code": "E1", "name": "Kim"}
        tee, apples = got["line_items"]
        assert tee["sku"] == "TEE-L" and tee["sale_price"] == Decimal("19.95")
        assert tee["original_price"] == Decimal("24.95")
        assert tee["metadata"] == {
            "color": "black",
            "size": "L",
            "image": "https://acme.test/tee.png",
        }
        assert apples["quantity"] == Decimal("1.055")
        assert apples["sale_price"] == Decimal("23.65")  # 24.95 / 1.055, rounded
        assert got["tax_lines"] == [
            {"tax_value": Decimal("11.25"), "order_value": Decimal("53.57"),
             "rate": Decimal("0.21")}
        ]  # fmt: skip
        native = await tenant.client.get("/v1/receipts", params={"external_id": "B-1"})
        [stored] = native.json()["data"]
        assert stored["total"] == 6485 and stored["lines"][1]["total"] == 2495
        assert stored["lines"][0]["metadata"]["retailer_product_code"] == "TEE"
        again = await add_basket(tenant, basket("B-1"))
        assert again.status_code == 200
        assert again.json()["results"]["receipt"]["id"] == got["id"]
        fetched = await spaaza_get(tenant, f"/receipts/{got['id']}")
        assert fetched.json()["retailer_basket_code"] == "B-1"

    async def test_return_basket_links_the_original_line(self, tenant: Tenant) -> None:
        await shop(tenant)
        assert (await add_basket(tenant, basket("ORIG"))).status_code == 200
        back = {
            "retailer_item_code": "TEE-L", "item_name": "Stick up tee", "item_quantity": 1,
            "item_price": -19.95, "item_subtotal": -19.95, "return_item": True,
            "original_retailer_basket_code": "ORIG", "original_retailer_item_code": "TEE-L",
        }  # fmt: skip
        ret = basket(
            "RET-1", back, basket_total_price=-19.95, basket_tax=[], basket_currency=None,
            payment_methods=[{"payment_method": "card", "payment_amount": -19.95}],
        )  # fmt: skip
        response = await add_basket(tenant, ret)
        assert response.status_code == 200, response.text
        assert "warnings" not in response.json()
        native = await tenant.client.get("/v1/receipts", params={"external_id": "RET-1"})
        [stored] = native.json()["data"]
        assert stored["is_return"] is True and stored["currency"] == "EUR"
        [line] = stored["lines"]
        assert line["quantity"] == "-1" and line["total"] == -1995
        assert line["return_of"]["line_no"] == 1
        # the second unit comes back too; a third is more than was bought
        assert (await add_basket(tenant, {**ret, "basket": {**ret["basket"],
                "retailer_basket_code": "RET-2"}})).status_code == 200  # fmt: skip
        over = await add_basket(
            tenant, {**ret, "basket": {**ret["basket"], "retailer_basket_code": "RET-3"}}
        )
        assert "already returned" in error_of(over, 409, "conflict")

    async def test_return_of_unknown_original_is_a_negative_item(self, tenant: Tenant) -> None:
        await shop(tenant)
        back = {
            "retailer_item_code": "GHOST", "item_name": "Unknown", "item_quantity": 1,
            "item_price": -5, "return_item": True, "original_retailer_basket_code": "NOPE",
            "original_retailer_item_code": "GHOST",
        }  # fmt: skip
        response = await add_basket(
            tenant, basket("RET-X", back, basket_total_price=-5, basket_tax=[],
                           payment_methods=None),
        )  # fmt: skip
        assert response.status_code == 200, response.text
        [warning] = response.json()["warnings"]
        assert warning["name"] == "original_basket_item_not_found"
        native = await tenant.client.get("/v1/receipts", params={"external_id": "RET-X"})
        [line] = native.json()["data"][0]["lines"]
        assert line["quantity"] == "1" and line["total"] == -500
        assert line["metadata"]["excluded_from_spaaza"] is True

    async def test_unit_prices_with_more_decimals_than_the_currency(self, tenant: Tenant) -> None:
        await shop(tenant)
        fuel = {
            "retailer_item_code": "E95",
            "item_name": "Euro 95",
            "item_quantity": 42.37,
            "item_quantity_unit": "l",
            "item_price": 1.859,
        }  # 78.76583 → 78.77
        body = basket(
            "FUEL-1",
            fuel,
            basket_total_price=78.77,
            basket_tax=[],
            payment_methods=[{"payment_method": "card", "payment_amount": 78.77}],
        )
        response = await add_basket(tenant, body)  # fmt: skip
        assert response.status_code == 200, response.text
        [item] = response.json(parse_float=Decimal)["results"]["receipt"]["line_items"]
        assert item["original_price"] == Decimal("1.859")
        assert item["quantity"] == Decimal("42.37")
        native = await tenant.client.get("/v1/receipts", params={"external_id": "FUEL-1"})
        [line] = native.json()["data"][0]["lines"]
        assert (line["unit_price"], line["quantity"], line["total"]) == ("185.9", "42.37", 7877)
        listed = await spaaza_get(tenant, "/get-receipts", chain_id=tenant.number)
        [receipt] = listed.json(parse_float=Decimal)["results"]["receipts"]
        assert receipt["line_items"][0]["original_price"] == Decimal("1.859")
        assert receipt["line_items"][0]["item_is_promotional"] is False

    @pytest.mark.parametrize(
        ("item", "where"),
        [
            ({"item_price": "1.859000001"}, "item_price"),  # 7 decimals of a cent
            ({"item_price": 1e13}, "item_price"),
            ({"item_price": "1E+999990"}, "item_price"),
            ({"item_quantity": "0.0000001"}, "item_quantity"),
            ({"item_quantity": "1E+999990"}, "item_quantity"),
        ],
    )
    async def test_unit_prices_and_quantities_are_bounded(
        self, tenant: Tenant, item: dict[str, Any], where: str
    ) -> None:
        await shop(tenant)
        fuel = {"retailer_item_code": "E95", "item_quantity": 1, "item_price": 2, **item}
        response = await add_basket(tenant, basket("BIG", fuel, basket_total_price=2))
        assert f"basket.basket_items[0].{where}" in error_of(response, 400, "invalid_parameter")

    @pytest.mark.parametrize(
        ("changes", "where"),
        [
            ({"basket_total_price": 64.855}, "basket.basket_total_price"),
            ({"shipping_charge": "1.001"}, "basket.shipping_charge"),
            ({"basket_tax": [{"tax_rate": 0.21, "tax_total": 1.234}]}, "basket.basket_tax[0]"),
        ],
    )
    async def test_too_many_decimals_are_refused(
        self, tenant: Tenant, changes: dict[str, Any], where: str
    ) -> None:
        await shop(tenant)
        response = await add_basket(tenant, basket("BAD", **changes))
        assert where in error_of(response, 400, "invalid_parameter")
        native = await tenant.client.get("/v1/receipts", params={"external_id": "BAD"})
        assert native.json()["data"] == []

    async def test_bad_items_name_the_spaaza_field(self, tenant: Tenant) -> None:
        await shop(tenant)
        item = {"retailer_item_code": "X", "item_quantity": 1, "item_price": 1.999999999}
        response = await add_basket(tenant, basket("BAD-1", item, basket_total_price=2))
        assert "basket.basket_items[0].item_price" in error_of(response, 400, "invalid_parameter")
        item = {"retailer_item_code": "X", "item_quantity": 1, "item_price": 2}
        wrong_total = await add_basket(tenant, basket("BAD-2", item, basket_total_price=3))
        assert "basket.basket_total_price" in error_of(wrong_total, 400, "invalid_parameter")
        nobody = basket("BAD-3", item, basket_total_price=2, basket_tax=[], payment_methods=None)
        nobody["user"] = {"member_number": "nobody"}
        assert "user.member_number" in error_of(
            await add_basket(tenant, nobody), 400, "invalid_parameter"
        )
        malformed = await tenant.client.post(
            BASE + "/auth/add-basket",
            content=b"{nope",
            headers={**chain_headers(tenant), "content-type": "application/json"},
        )
        error_of(malformed, 400, "malformed_request")

    async def test_anonymous_basket_and_wrong_entity(self, tenant: Tenant, other: Tenant) -> None:
        item = {"retailer_item_code": "X", "item_quantity": 1, "item_price": 2}
        body = basket("ANON", item, basket_total_price=2, basket_tax=[], payment_methods=None,
                      basket_timestamp_iso8601="2026-03-01T11:00:00+01:00")  # fmt: skip
        del body["user"]
        body["entity"] = {"entity_type": "chain", "entity_id": tenant.number}
        response = await add_basket(tenant, body)
        assert response.status_code == 200, response.text
        got = response.json()["results"]["receipt"]
        assert got["shopper"] is None and got["chain"]["business"] is None
        body["entity"]["entity_id"] = other.number
        error_of(await add_basket(tenant, body), 403, "no_access")


async def test_unrouted_paths_answer_in_the_spaaza_envelope(tenant: Tenant) -> None:
    """A path or method no facade endpoint has is still answered the way Spaaza answers."""
    unknown = await tenant.client.get(f"{BASE}/no-such-thing")
    assert unknown.status_code == 404
    assert unknown.json()["result"]["status"] == "error"
    wrong_method = await tenant.client.delete(f"{BASE}/get-receipts")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["result"]["status"] == "error"
    assert "GET" in wrong_method.headers["allow"]
