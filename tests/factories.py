"""Request bodies and small helpers shared by the tests. Everything goes through the real API."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any

import httpx

EXAMPLE: dict[str, Any] = json.loads(
    (Path(__file__).parents[1] / "docs/examples/receipt.json").read_text()
)


def receipt(external_id: str = "R-1", **changes: Any) -> dict[str, Any]:
    """The documented example receipt under another `external_id`, with `changes` applied."""
    body = copy.deepcopy(EXAMPLE)
    body["external_id"] = external_id
    body.update(changes)
    return body


def line_total(unit_price: int, quantity: str) -> int:
    """round(unit_price × quantity) in minor units, without floats."""
    return int((Decimal(quantity) * unit_price).to_integral_value(ROUND_HALF_EVEN))


def iso(moment: datetime) -> str:
    return moment.isoformat()


def simple_receipt(
    external_id: str,
    *,
    issued_at: datetime | str = "2026-11-21T15:09:26+01:00",
    quantity: str = "3",
    unit_price: int = 1000,
    **changes: Any,
) -> dict[str, Any]:
    """A one-line receipt (prices include tax, no payments) whose numbers are easy to follow."""
    total = line_total(unit_price, quantity)
    body: dict[str, Any] = {
        "external_id": external_id,
        "issued_at": iso(issued_at) if isinstance(issued_at, datetime) else issued_at,
        "currency": "EUR",
        "lines": [
            {"sku": "SHIRT", "name": "Shirt", "quantity": quantity, "unit_price": unit_price,
             "total": total},
        ],
        "subtotal": total,
        "total": total,
    }  # fmt: skip
    body.update(changes)
    return body


def return_line(
    quantity: str, unit_price: int = 1000, line_no: int = 1, **of: Any
) -> dict[str, Any]:
    """A return line giving back `quantity` (negative) of line `line_no` of the receipt in `of`."""
    return {
        "sku": "SHIRT",
        "name": "Shirt (returned)",
        "quantity": quantity,
        "unit_price": unit_price,
        "total": line_total(unit_price, quantity),
        "return_of": {"line_no": line_no, **of},
    }


def with_lines(external_id: str, lines: list[dict[str, Any]], **changes: Any) -> dict[str, Any]:
    """A receipt made of `lines`, its subtotal and total summed from them."""
    total = sum(line["total"] for line in lines)
    body: dict[str, Any] = {
        "external_id": external_id,
        "issued_at": "2026-11-22T10:00:00+01:00",
        "currency": "EUR",
        "lines": lines,
        "subtotal": total,
        "total": total,
    }
    body.update(changes)
    return body


def now() -> datetime:
    return datetime.now(UTC)


async def created(response: httpx.Response, status: int = 201) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


async def make_branch(client: httpx.AsyncClient, code: str = "AMS-01", **fields: Any) -> Any:
    body = {"code": code, "name": f"Branch {code}", **fields}
    return await created(await client.post("/v1/branches", json=body))


async def make_customer(client: httpx.AsyncClient, **fields: Any) -> Any:
    return await created(await client.post("/v1/customers", json=fields))


async def make_product(client: httpx.AsyncClient, external_id: str = "SKU-1", **fields: Any) -> Any:
    body = {"external_id": external_id, "name": f"Product {external_id}", **fields}
    return await created(await client.post("/v1/products", json=body))


async def make_receipt(client: httpx.AsyncClient, body: dict[str, Any]) -> dict[str, Any]:
    return await created(await client.post("/v1/receipts", json=body))


async def make_key(client: httpx.AsyncClient, *scopes: str) -> Any:
    """A new API key of the client's merchant (its secret is in `["secret"]`)."""
    body = {"name": "key " + "+".join(scopes), "scopes": list(scopes)}
    return await created(await client.post("/v1/keys", json=body))


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


async def all_pages(
    client: httpx.AsyncClient, path: str, limit: int, **params: Any
) -> list[list[dict[str, Any]]]:
    """Every page of a keyset-paginated list, following `next_cursor` to the end."""
    pages: list[list[dict[str, Any]]] = []
    cursor: str | None = None
    while True:
        query = {**params, "limit": limit, **({"cursor": cursor} if cursor else {})}
        response = await client.get(path, params=query)
        assert response.status_code == 200, response.text
        page = response.json()
        pages.append(page["data"])
        cursor = page["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 1000, "pagination does not end"


def locs(response: httpx.Response) -> list[str]:
    """The `loc` of every field error of a problem response."""
    return [e["loc"] for e in response.json()["errors"]]


async def make_session(client: httpx.AsyncClient, customer_id: str, **body: Any) -> Any:
    """A shopper session token for one customer (`["token"]` is `tr_ss_…`)."""
    return await created(await client.post(f"/v1/customers/{customer_id}/sessions", json=body))
