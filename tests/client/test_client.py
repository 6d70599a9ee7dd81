"""The client against a real server: uvicorn on a free local port, in a background thread,
serving the app on the session's database (SQLite, or TILLROLL_TEST_DATABASE_URL)."""

from __future__ import annotations

import copy
import json
import socket
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest

import tillroll.client
from tillroll.auth.principals import Scope
from tillroll.auth.schemas import ApiKeyCreate, ApiKeyCreated, ShopperSessionToken
from tillroll.b2b.schemas import Deleted, Invoice, LinePage, Payment
from tillroll.b2b.schemas import Receipt as PaymentReceipt
from tillroll.branches.schemas import Branch, BranchCreate, BranchUpdate
from tillroll.client import (
    APIConnectionError,
    APIStatusError,
    AsyncTillroll,
    AuthenticationError,
    BadRequest,
    ConflictError,
    NotFoundError,
    PermissionDenied,
    RateLimited,
    ServerError,
    Tillroll,
    TillrollError,
    UnprocessableEntity,
)
from tillroll.customers.schemas import Customer, CustomerCreate, CustomerUpdate
from tillroll.kit.schemas import Page, ProblemError
from tillroll.merchants.schemas import Merchant
from tillroll.products.schemas import Product
from tillroll.receipts.schemas import BatchResult, CustomerRef, Receipt, ReceiptCreate

EXAMPLE_PATH = Path(__file__).parents[2] / "docs/examples/receipt.json"
EXAMPLE: dict[str, Any] = json.loads(EXAMPLE_PATH.read_text())


def receipt(external_id: str = "R-1", **changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(EXAMPLE)
    body["external_id"] = external_id
    body.update(changes)
    return body


# --- the package surface -----------------------------------------------------------------


def test_all_is_exactly_the_public_names_sorted() -> None:
    public = {name for name in vars(tillroll.client) if not name.startswith("_")}
    assert set(tillroll.client.__all__) == public
    assert tillroll.client.__all__ == sorted(tillroll.client.__all__)
    assert public == {
        "Tillroll",
        "AsyncTillroll",
        "TillrollError",
        "APIConnectionError",
        "APIStatusError",
        "BadRequest",
        "AuthenticationError",
        "PermissionDenied",
        "NotFoundError",
        "ConflictError",
        "UnprocessableEntity",
        "RateLimited",
        "ServerError",
    }


def test_exception_tree() -> None:
    assert issubclass(APIConnectionError, TillrollError)
    assert issubclass(APIStatusError, TillrollError)
    for kind in (
        BadRequest,
        AuthenticationError,
        PermissionDenied,
        NotFoundError,
        ConflictError,
        UnprocessableEntity,
        RateLimited,
        ServerError,
    ):
        assert issubclass(kind, APIStatusError)


# --- receipts ----------------------------------------------------------------------------


def test_create_and_get_the_example_receipt(api: Tillroll) -> None:
    body = msgspec.json.decode(EXAMPLE_PATH.read_bytes(), type=ReceiptCreate)
    created = api.receipts.create(body)
    assert isinstance(created, Receipt)
    assert created.number == 1
    assert created.total == 3140
    assert created.lines[1].quantity == "1.055"
    assert created.lines[0].metadata == {"colour": "white", "size": "L"}
    assert created.issued_at == datetime(2026, 11, 21, 14, 9, 26, tzinfo=UTC)
    assert api.receipts.get(created.id) == created
    assert api.receipts.get(str(created.id)) == created


def test_dict_and_struct_bodies_are_the_same_receipt(api: Tillroll) -> None:
    from_struct = api.receipts.create(msgspec.convert(receipt("R-7"), ReceiptCreate))
    from_dict = api.receipts.create(receipt("R-7"))  # stored already: answered with it
    assert from_dict == from_struct


def test_unit_prices_are_exact_decimal_strings(api: Tillroll) -> None:
    fuel = {"name": "Euro 95", "quantity": "42.37", "unit": "l", "unit_price": "185.90",
            "total": 7877}  # fmt: skip
    bag = {"name": "Paper bag", "unit_price": 25, "total": 25}
    body = receipt("FUEL-1", lines=[fuel, bag], subtotal=7902, total=7902, taxes=[], payments=[])
    created = api.receipts.create(msgspec.convert(body, ReceiptCreate))
    assert [line.unit_price for line in created.lines] == ["185.9", "25"]
    assert api.receipts.get(created.id) == created
    with pytest.raises(UnprocessableEntity) as refused:
        api.receipts.create(receipt("FUEL-2", lines=[{**fuel, "unit_price": "1.8590001"}]))
    assert [e.loc for e in refused.value.errors] == ["lines[0].unit_price"]


def test_idempotency_key_replays_the_first_answer(api: Tillroll) -> None:
    first = api.receipts.create(receipt("I-1"), idempotency_key="till-7-0001")
    again = api.receipts.create(receipt("I-1"), idempotency_key="till-7-0001")
    assert again == first
    with pytest.raises(UnprocessableEntity) as caught:
        api.receipts.create(receipt("I-2"), idempotency_key="till-7-0001")
    assert [e.loc for e in caught.value.errors] == ["Idempotency-Key"]


def test_idempotency_key_replays_a_branch_that_would_conflict(api: Tillroll) -> None:
    body = BranchCreate(code="AMS-1", name="Amsterdam Centraal")
    first = api.branches.create(body, idempotency_key="branch-ams-1")
    assert api.branches.create(body, idempotency_key="branch-ams-1") == first
    with pytest.raises(ConflictError):
        api.branches.create(body)  # no key: a second branch with the same code


def test_iter_follows_next_cursor_over_several_pages(server_url: str, admin_key: str) -> None:
    requests: list[httpx.Request] = []
    http = httpx.Client(event_hooks={"request": [requests.append]})
    with Tillroll(base_url=server_url, api_key=admin_key, http_client=http) as api:
        ids = [api.receipts.create(receipt(f"P-{i}")).id for i in range(5)]
        requests.clear()

        first = api.receipts.list(limit=2)
        assert isinstance(first, Page)
        assert len(first.data) == 2 and first.next_cursor is not None
        second = api.receipts.list(limit=2, cursor=first.next_cursor)
        assert {r.id for r in first.data}.isdisjoint(r.id for r in second.data)

        requests.clear()
        every = list(api.receipts.iter(limit=2))
        assert [r.id for r in every] == ids[::-1]  # newest first
        assert len(requests) == 3  # 2 + 2 + 1
        assert all(r.url.params["limit"] == "2" for r in requests)
        assert "cursor" not in requests[0].url.params
    assert not http.is_closed  # the client leaves an http_client it was given to its owner
    http.close()


def test_filters_are_sent_as_query_parameters(api: Tillroll) -> None:
    stored = api.receipts.create(receipt("F-1"))
    since = datetime(2026, 11, 21, 14, 0, tzinfo=UTC)
    assert [r.id for r in api.receipts.list(issued_from=since).data] == [stored.id]
    assert api.receipts.list(issued_from=datetime(2026, 11, 22, tzinfo=UTC)).data == []
    listed = api.receipts.list(external_id="F-1", type="in_store", branch_code=None)
    assert [r.id for r in listed.data] == [stored.id]
    assert list(api.receipts.iter(external_id="nope")) == []


def test_batch(api: Tillroll) -> None:
    result = api.receipts.create_batch([receipt("B-1"), receipt("B-2", subtotal=1)])
    assert isinstance(result, BatchResult)
    assert [item.status for item in result.results] == [201, 422]
    assert result.results[0].receipt is not None
    assert result.results[1].error is not None


# --- the other resources ----------------------------------------------------------------


def test_merchant_keys_branches_products_customers(api: Tillroll, server_url: str) -> None:
    merchant = api.merchant.get()
    assert isinstance(merchant, Merchant)
    renamed = api.merchant.update({"name": "Renamed"})
    assert renamed.name == "Renamed" and renamed.id == merchant.id

    key = api.keys.create(ApiKeyCreate(name="till", scopes=[Scope.write]))
    assert isinstance(key, ApiKeyCreated) and key.secret
    assert key.id in {k.id for k in api.keys.list().data}
    first = api.keys.list(limit=1)
    assert len(first.data) == 1 and first.next_cursor is not None
    assert [k.id for k in api.keys.iter(limit=1)] == [k.id for k in api.keys.list().data]
    assert api.keys.revoke(key.id).revoked_at is not None
    with (
        Tillroll(base_url=server_url, api_key=key.secret) as revoked,
        pytest.raises(AuthenticationError),
    ):
        revoked.merchant.get()

    branch = api.branches.create({"code": "UTR", "name": "Utrecht"})
    assert isinstance(branch, Branch)
    assert api.branches.update(branch.id, BranchUpdate(name="Utrecht CS")).name == "Utrecht CS"
    assert api.branches.get(branch.id).code == "UTR"
    assert [b.id for b in api.branches.iter(limit=1)] == [branch.id]
    api.branches.delete(branch.id)
    with pytest.raises(NotFoundError):
        api.branches.get(branch.id)

    product = api.products.create({"external_id": "TS-KIT-L-W", "name": "T-shirt"})
    assert isinstance(product, Product)
    assert api.products.update(product.id, {"brand": "Kitten"}).brand == "Kitten"
    assert api.products.list().data == [api.products.get(product.id)]
    api.products.delete(product.id)
    assert list(api.products.iter()) == []

    customer = api.customers.create(CustomerCreate(external_id="C-1", first_name="Sanne"))
    assert isinstance(customer, Customer)
    changed = api.customers.update(customer.id, CustomerUpdate(last_name="Jansen"))
    assert (changed.first_name, changed.last_name) == ("Sanne", "Jansen")
    assert [c.id for c in api.customers.iter()] == [customer.id]
    assert api.customers.list(limit=1).data[0] == api.customers.get(customer.id)
    api.customers.delete(customer.id)
    with pytest.raises(NotFoundError):
        api.customers.get(customer.id)


def test_claim_and_customer_receipts(api: Tillroll, server_url: str) -> None:
    customer = api.customers.create({"external_id": "C-9"})
    anonymous = api.receipts.create(receipt("A-1"))
    assert anonymous.customer is None
    claimed = api.receipts.claim(anonymous.id, customer=CustomerRef(external_id="C-9"))
    assert claimed.customer is not None and claimed.customer.id == customer.id
    with pytest.raises(ConflictError):
        api.receipts.claim(anonymous.id, customer={"id": str(customer.id)})

    api.receipts.create(receipt("A-2"))  # someone else's (anonymous)
    assert [r.id for r in api.customers.receipts(customer.id).data] == [claimed.id]
    assert [r.id for r in api.customers.iter_receipts(customer.id, limit=1)] == [claimed.id]
    assert [r.id for r in api.receipts.list(customer_id=customer.id).data] == [claimed.id]

    session = api.customers.create_session(customer.id, ttl_seconds=120)
    assert isinstance(session, ShopperSessionToken)
    with Tillroll(base_url=server_url, api_key=session.token) as shopper:
        assert [r.id for r in shopper.receipts.iter()] == [claimed.id]
        with pytest.raises(PermissionDenied):
            shopper.customers.list()


# --- errors ------------------------------------------------------------------------------


def test_401_unknown_key(server_url: str) -> None:
    with (
        Tillroll(base_url=server_url, api_key="tr_sk_unknown") as api,
        pytest.raises(AuthenticationError) as caught,
    ):
        api.merchant.get()
    error = caught.value
    assert (error.status, error.code) == (401, "unauthorized")
    assert error.detail and error.errors == []
    assert error.response is not None and error.response.status_code == 401


def test_403_read_key_may_not_write(api: Tillroll, server_url: str) -> None:
    read_key = api.keys.create({"name": "dashboard", "scopes": ["read"]})
    with Tillroll(base_url=server_url, api_key=read_key.secret) as reader:
        assert reader.receipts.list().data == []
        with pytest.raises(PermissionDenied) as caught:
            reader.receipts.create(receipt())
    assert (caught.value.status, caught.value.code) == (403, "forbidden")


def test_404_unknown_receipt(api: Tillroll) -> None:
    with pytest.raises(NotFoundError) as caught:
        api.receipts.get(uuid.uuid4())
    assert (caught.value.status, caught.value.code) == (404, "not_found")
    with pytest.raises(NotFoundError):
        api.receipts.get("not-a-uuid")


def test_409_same_external_id_other_content(api: Tillroll) -> None:
    api.receipts.create(receipt("X-1"))
    with pytest.raises(ConflictError) as caught:
        api.receipts.create(receipt("X-1", notes="changed"))
    assert (caught.value.status, caught.value.code) == (409, "conflict")


def test_422_names_the_fields(api: Tillroll) -> None:
    with pytest.raises(UnprocessableEntity) as caught:
        api.receipts.create(receipt(subtotal=3000))
    error = caught.value
    assert (error.status, error.code) == (422, "invalid_input")
    assert all(isinstance(e, ProblemError) for e in error.errors)
    messages = {e.loc: e.message for e in error.errors}
    assert "3000" in messages["subtotal"] and "3140" in messages["subtotal"]
    assert "subtotal" in str(error)

    with pytest.raises(UnprocessableEntity) as unknown:
        api.receipts.create(receipt(merchant_id="x"))
    assert unknown.value.errors[0].loc == "merchant_id"


def _answering(status: int, body: bytes, headers: dict[str, str] | None = None) -> Tillroll:
    def handler(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=body, headers=headers)

    return Tillroll(base_url="http://t.test", api_key="k", transport=httpx.MockTransport(handler))


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, BadRequest),
        (401, AuthenticationError),
        (403, PermissionDenied),
        (404, NotFoundError),
        (409, ConflictError),
        (413, APIStatusError),
        (422, UnprocessableEntity),
        (429, RateLimited),
        (500, ServerError),
        (503, ServerError),
    ],
)
def test_status_maps_to_its_class(status: int, kind: type[APIStatusError]) -> None:
    problem = {
        "type": "https://tillroll.dev/problems/x",
        "title": "T",
        "status": status,
        "detail": "what happened",
        "code": "some_code",
        "errors": [{"loc": "a.b", "message": "bad"}],
    }
    with _answering(status, json.dumps(problem).encode()) as api, pytest.raises(kind) as caught:
        api.merchant.get()
    assert type(caught.value) is kind
    assert (caught.value.status, caught.value.code) == (status, "some_code")
    assert caught.value.detail == "what happened"
    assert caught.value.errors == [ProblemError(loc="a.b", message="bad")]


def test_non_problem_error_body_and_retry_after() -> None:
    with _answering(502, b"Bad gateway") as api, pytest.raises(ServerError) as caught:
        api.receipts.list()
    assert (caught.value.code, caught.value.detail) == ("http_502", "Bad gateway")
    with (
        _answering(429, b"{}", {"Retry-After": "7"}) as api,
        pytest.raises(RateLimited) as limited,
    ):
        api.receipts.list()
    assert limited.value.retry_after == 7.0


def test_unreachable_server_is_a_connection_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # bound, never listening: refused
        with (
            Tillroll(base_url=f"http://127.0.0.1:{port}", api_key="k") as api,
            pytest.raises(APIConnectionError) as caught,
        ):
            api.merchant.get()
    assert caught.value.status is None and caught.value.response is None


def test_transport_and_http_client_are_exclusive() -> None:
    with pytest.raises(ValueError, match="either"):
        Tillroll(
            api_key="k",
            transport=httpx.MockTransport(lambda r: httpx.Response(204)),
            http_client=httpx.Client(),
        )


# --- async -------------------------------------------------------------------------------


async def test_async_client(async_api: AsyncTillroll, server_url: str) -> None:
    created = await async_api.receipts.create(receipt("AS-1"), idempotency_key="as-1")
    assert isinstance(created, Receipt)
    assert await async_api.receipts.get(created.id) == created
    assert await async_api.receipts.create(receipt("AS-1"), idempotency_key="as-1") == created
    for i in range(2, 6):
        await async_api.receipts.create(receipt(f"AS-{i}"))

    page = await async_api.receipts.list(limit=2)
    assert len(page.data) == 2 and page.next_cursor is not None
    numbers = [r.number async for r in async_api.receipts.iter(limit=2)]
    assert numbers == [5, 4, 3, 2, 1]

    with pytest.raises(NotFoundError):
        await async_api.receipts.get(uuid.uuid4())
    with pytest.raises(ConflictError):
        await async_api.receipts.create(receipt("AS-1", notes="changed"))
    with pytest.raises(UnprocessableEntity) as caught:
        await async_api.receipts.create(receipt("AS-9", currency="euro"))
    assert caught.value.errors[0].loc == "currency"

    customer = await async_api.customers.create({"external_id": "AC-1"})
    await async_api.receipts.claim(created.id, customer={"id": str(customer.id)})
    session = await async_api.customers.create_session(customer.id)
    async with AsyncTillroll(base_url=server_url, api_key=session.token) as shopper:
        mine = [r.id async for r in shopper.customers.iter_receipts(customer.id)]
        assert mine == [created.id]
        with pytest.raises(PermissionDenied):
            await shopper.receipts.create(receipt("AS-10"))

    async with AsyncTillroll(base_url=server_url, api_key="tr_sk_nope") as stranger:
        with pytest.raises(AuthenticationError):
            await stranger.merchant.get()


# --- B2B invoices, payments and payment receipts -----------------------------------------


def test_b2b_payment_round_trip(api: Tillroll) -> None:
    company = api.customers.create({"external_id": "5707", "first_name": "Acme"})
    invoices = [
        api.invoices.create(
            {"invoice_number": f"C-{n}", "customer_id": company.id, "currency": "USD",
             "amount": 10000}
        )
        for n in (1, 2)
    ]  # fmt: skip
    assert all(isinstance(i, Invoice) and i.status == "open" for i in invoices)
    body = {
        "customer_id": str(company.id), "currency": "USD", "total": 12500,
        "reference_number": "375026",
        "allocations": [{"invoice_id": str(invoices[0].id), "amount": 10000},
                        {"invoice_id": str(invoices[1].id), "amount": 2500}],
    }  # fmt: skip
    paid = api.payments.record(body, idempotency_key="client-pay-1")
    assert isinstance(paid, Payment) and paid.total == 12500 and paid.receipt_id is not None
    assert api.payments.record(body, idempotency_key="client-pay-1").id == paid.id  # replayed
    assert api.invoices.get(invoices[0].id).status == "completed"
    receipt = api.payment_receipts.get(paid.receipt_id)
    assert isinstance(receipt, PaymentReceipt) and receipt.customer_ref == "5707"
    lines = api.payment_receipts.lines(paid.receipt_id, sort="amount", order="asc")
    assert isinstance(lines, LinePage) and [x.amount for x in lines.data] == [2500, 10000]
    found = api.payment_receipts.lines(q="3750", search_by="reference_number", payment_status=[3])
    assert found.meta.total_count == 2 and found.meta.totals[0].amount == 12500
    assert api.payment_receipts.list(payment_status=[1, 4]).meta.total_count == 0
    refunded = api.payments.set_status(paid.id, 4)
    assert not refunded.applied and api.invoices.get(invoices[0].id).open_balance == 10000
    api.payments.set_status(paid.id, 3)
    moved = api.payments.reallocate(
        paid.id,
        {"total": 3000, "allocations": [{"invoice_id": str(invoices[1].id), "amount": 3000}]},
    )
    assert [x.amount for x in moved.lines] == [3000]
    assert api.invoices.get(invoices[0].id).open_balance == 10000
    line = api.payment_receipts.lines(paid.receipt_id).data[0]
    assert api.payment_receipts.line(paid.receipt_id, line.id).amount == 3000
    assert isinstance(api.payment_receipts.delete_line(paid.receipt_id, line.id), Deleted)
    assert api.invoices.get(invoices[1].id).open_balance == 10000
    with pytest.raises(UnprocessableEntity) as refused:
        api.payments.record({**body, "total": 1}, idempotency_key="client-pay-2")
    assert refused.value.errors[0].loc == "total"


async def test_b2b_async_resources(async_api: AsyncTillroll) -> None:
    company = await async_api.customers.create({"first_name": "Async BV"})
    invoice = await async_api.invoices.create(
        {"invoice_number": "A-1", "customer_id": company.id, "currency": "EUR", "amount": 700}
    )
    body = {"customer_id": str(company.id), "currency": "EUR", "total": 700,
            "allocations": [{"invoice_id": str(invoice.id), "amount": 700}]}  # fmt: skip
    paid = await async_api.payments.record(body, idempotency_key="async-pay-1")
    assert (await async_api.invoices.get(invoice.id)).status == "completed"
    reverted = await async_api.payments.operate(paid.id, "revert")
    assert not reverted.applied
    assert (await async_api.payments.list(processing_status=[3])).meta.total_count == 1
    assert paid.receipt_id is not None
    await async_api.payment_receipts.delete(paid.receipt_id)
    with pytest.raises(NotFoundError):
        await async_api.payment_receipts.get(paid.receipt_id)
