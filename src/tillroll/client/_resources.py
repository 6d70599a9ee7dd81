"""The API's resources, each written once.

Every endpoint is one *call builder*: a function that takes the endpoint's arguments and
returns a `Call` (method, path, body, query, response type). The sync and async resources
are made from the same builders by `_sync`/`_async` (one request) and `_sync_pages`/
`_async_pages` (every item of a keyset-paginated list), so signatures, docstrings and
request building exist once and only the sending differs.
"""

from __future__ import annotations

import builtins
import inspect
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, Concatenate, ParamSpec, Protocol, TypedDict, TypeVar, Unpack

from tillroll.auth.schemas import (
    ApiKey,
    ApiKeyCreate,
    ApiKeyCreated,
    ShopperSessionToken,
)
from tillroll.branches.schemas import Branch, BranchCreate, BranchUpdate
from tillroll.client._base import Call, Id, path
from tillroll.customers.schemas import CustomerCreate, CustomerUpdate, CustomerView
from tillroll.kit.schemas import Page
from tillroll.merchants.schemas import Merchant, MerchantSettingsUpdate
from tillroll.products.schemas import Product, ProductCreate, ProductUpdate
from tillroll.receipts.schemas import (
    BatchResult,
    CustomerRef,
    Receipt,
    ReceiptCreate,
    ReceiptType,
)

P = ParamSpec("P")
T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

NoContent = type(None)


class CustomerReceiptFilters(TypedDict, total=False):
    """Filters of a customer's receipts (`GET /v1/customers/{id}/receipts`); None is no filter."""

    branch_id: Id | None
    branch_code: str | None
    external_id: str | None
    type: ReceiptType | None
    issued_from: datetime | str | None
    issued_to: datetime | str | None
    issued_from_relative: str | None
    issued_to_relative: str | None
    limit: int | None
    cursor: str | None


class ReceiptFilters(CustomerReceiptFilters, total=False):
    """Filters of `GET /v1/receipts`; see `ReceiptQuery` for their meaning."""

    customer_id: Id | None


# --- call builders: one per endpoint -----------------------------------------------------


class _MerchantCalls:
    @staticmethod
    def get() -> Call[Merchant]:
        """The caller's merchant and its settings."""
        return Call("GET", "/v1/merchant", Merchant)

    @staticmethod
    def update(body: MerchantSettingsUpdate | Mapping[str, Any]) -> Call[Merchant]:
        """Change the merchant's name or settings (admin key)."""
        return Call("PATCH", "/v1/merchant", Merchant, body=body)


class _KeyCalls:
    @staticmethod
    def create(body: ApiKeyCreate | Mapping[str, Any]) -> Call[ApiKeyCreated]:
        """Create an API key (admin key). Its `secret` is only in this answer: store it."""
        return Call("POST", "/v1/keys", ApiKeyCreated, body=body)

    @staticmethod
    def list(*, limit: int | None = None, cursor: str | None = None) -> Call[Page[ApiKey]]:
        """One page of the merchant's API keys, oldest first, without secrets (admin key)."""
        return Call("GET", "/v1/keys", Page[ApiKey], params={"limit": limit, "cursor": cursor})

    @staticmethod
    def revoke(key_id: Id) -> Call[ApiKey]:
        """Revoke an API key; it is refused from the next request on (admin key)."""
        return Call("DELETE", path("/v1/keys/{}", key_id), ApiKey)


class _BranchCalls:
    @staticmethod
    def create(
        body: BranchCreate | Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> Call[Branch]:
        """Create a branch (a store)."""
        return Call("POST", "/v1/branches", Branch, body=body, idempotency_key=idempotency_key)

    @staticmethod
    def get(branch_id: Id) -> Call[Branch]:
        """One branch."""
        return Call("GET", path("/v1/branches/{}", branch_id), Branch)

    @staticmethod
    def list(*, limit: int | None = None, cursor: str | None = None) -> Call[Page[Branch]]:
        """One page of branches, oldest first."""
        return Call("GET", "/v1/branches", Page[Branch], params={"limit": limit, "cursor": cursor})

    @staticmethod
    def update(branch_id: Id, body: BranchUpdate | Mapping[str, Any]) -> Call[Branch]:
        """Change a branch; omitted fields keep their value."""
        return Call("PATCH", path("/v1/branches/{}", branch_id), Branch, body=body)

    @staticmethod
    def delete(branch_id: Id) -> Call[None]:
        """Delete a branch that has no receipts (admin key)."""
        return Call("DELETE", path("/v1/branches/{}", branch_id), NoContent)


class _CustomerCalls:
    @staticmethod
    def create(
        body: CustomerCreate | Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> Call[CustomerView]:
        """Create a customer."""
        return Call(
            "POST", "/v1/customers", CustomerView, body=body, idempotency_key=idempotency_key
        )

    @staticmethod
    def get(customer_id: Id) -> Call[CustomerView]:
        """One customer."""
        return Call("GET", path("/v1/customers/{}", customer_id), CustomerView)

    @staticmethod
    def list(*, limit: int | None = None, cursor: str | None = None) -> Call[Page[CustomerView]]:
        """One page of customers, oldest first."""
        params = {"limit": limit, "cursor": cursor}
        return Call("GET", "/v1/customers", Page[CustomerView], params=params)

    @staticmethod
    def update(customer_id: Id, body: CustomerUpdate | Mapping[str, Any]) -> Call[CustomerView]:
        """Change a customer; omitted fields keep their value, None clears."""
        return Call("PATCH", path("/v1/customers/{}", customer_id), CustomerView, body=body)

    @staticmethod
    def delete(customer_id: Id) -> Call[None]:
        """Delete a customer no receipt refers to (admin key)."""
        return Call("DELETE", path("/v1/customers/{}", customer_id), NoContent)

    @staticmethod
    def receipts(customer_id: Id, **filters: Unpack[CustomerReceiptFilters]) -> Call[Page[Receipt]]:
        """One page of a customer's receipts, newest first."""
        url = path("/v1/customers/{}/receipts", customer_id)
        return Call("GET", url, Page[Receipt], params=dict(filters))

    @staticmethod
    def create_session(
        customer_id: Id, *, ttl_seconds: int | None = None
    ) -> Call[ShopperSessionToken]:
        """Mint a short-lived token that reads only this customer's receipts.

        Use it as the `api_key` of a client; `ttl_seconds` (60 to 86400) defaults to an hour.
        """
        body = {} if ttl_seconds is None else {"ttl_seconds": ttl_seconds}
        url = path("/v1/customers/{}/sessions", customer_id)
        return Call("POST", url, ShopperSessionToken, body=body)


class _ProductCalls:
    @staticmethod
    def create(
        body: ProductCreate | Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> Call[Product]:
        """Add a product to the catalogue."""
        return Call("POST", "/v1/products", Product, body=body, idempotency_key=idempotency_key)

    @staticmethod
    def get(product_id: Id) -> Call[Product]:
        """One product."""
        return Call("GET", path("/v1/products/{}", product_id), Product)

    @staticmethod
    def list(*, limit: int | None = None, cursor: str | None = None) -> Call[Page[Product]]:
        """One page of products, oldest first."""
        params = {"limit": limit, "cursor": cursor}
        return Call("GET", "/v1/products", Page[Product], params=params)

    @staticmethod
    def update(product_id: Id, body: ProductUpdate | Mapping[str, Any]) -> Call[Product]:
        """Change a product; omitted fields keep their value."""
        return Call("PATCH", path("/v1/products/{}", product_id), Product, body=body)

    @staticmethod
    def delete(product_id: Id) -> Call[None]:
        """Delete a product no receipt line points at (admin key)."""
        return Call("DELETE", path("/v1/products/{}", product_id), NoContent)


class _ReceiptCalls:
    @staticmethod
    def create(
        body: ReceiptCreate | Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> Call[Receipt]:
        """Ingest one receipt.

        Posting the same receipt (same `external_id`, same content) again returns the stored
        one; other content under a stored `external_id` raises `ConflictError`. With an
        `idempotency_key`, a retry of the same request replays the first answer.
        """
        return Call("POST", "/v1/receipts", Receipt, body=body, idempotency_key=idempotency_key)

    @staticmethod
    def create_batch(
        receipts: Sequence[ReceiptCreate | Mapping[str, Any]],
        *,
        idempotency_key: str | None = None,
    ) -> Call[BatchResult]:
        """Ingest up to 500 receipts; each is stored or refused on its own, with a result each."""
        body = {"receipts": builtins.list(receipts)}
        return Call(
            "POST", "/v1/receipts/batch", BatchResult, body=body, idempotency_key=idempotency_key
        )

    @staticmethod
    def get(receipt_id: Id) -> Call[Receipt]:
        """One receipt."""
        return Call("GET", path("/v1/receipts/{}", receipt_id), Receipt)

    @staticmethod
    def list(**filters: Unpack[ReceiptFilters]) -> Call[Page[Receipt]]:
        """One page of receipts, newest first; pass `next_cursor` as `cursor` for the next."""
        return Call("GET", "/v1/receipts", Page[Receipt], params=dict(filters))

    @staticmethod
    def claim(receipt_id: Id, *, customer: CustomerRef | Mapping[str, Any]) -> Call[Receipt]:
        """Attach an anonymous receipt to a customer, by `id`, `external_id` or `member_number`."""
        url = path("/v1/receipts/{}/claim", receipt_id)
        return Call("POST", url, Receipt, body={"customer": customer})


# --- turning builders into methods -------------------------------------------------------


class SyncSender(Protocol):
    def _send(self, call: Call[T], /) -> T: ...


class AsyncSender(Protocol):
    async def _send(self, call: Call[T], /) -> T: ...


class _Resource:
    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Name each generated method after its attribute, e.g. `ReceiptsResource.iter`."""
        super().__init_subclass__(**kwargs)
        for name, value in vars(cls).items():
            if inspect.isfunction(value) and "<locals>" in value.__qualname__:
                value.__name__, value.__qualname__ = name, f"{cls.__qualname__}.{name}"


class SyncResource(_Resource):
    def __init__(self, client: SyncSender) -> None:
        self._client = client


class AsyncResource(_Resource):
    def __init__(self, client: AsyncSender) -> None:
        self._client = client


def _adopt(method: F, build: Callable[..., Any], returns: Any) -> F:
    """Give `method` the builder's docstring and signature (plus `self`), for help()."""
    signature = inspect.signature(build)
    own = inspect.Parameter("self", inspect.Parameter.POSITIONAL_ONLY)
    method.__doc__ = build.__doc__
    method.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[own, *signature.parameters.values()], return_annotation=returns
    )
    return method


def _sync(build: Callable[P, Call[T]]) -> Callable[Concatenate[SyncResource, P], T]:
    def method(self: SyncResource, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return self._client._send(build(*args, **kwargs))

    return _adopt(method, build, inspect.Signature.empty)


def _async(
    build: Callable[P, Call[T]],
) -> Callable[Concatenate[AsyncResource, P], Coroutine[Any, Any, T]]:
    async def method(self: AsyncResource, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return await self._client._send(build(*args, **kwargs))

    return _adopt(method, build, inspect.Signature.empty)


def _sync_pages(
    build: Callable[P, Call[Page[T]]],
) -> Callable[Concatenate[SyncResource, P], Iterator[T]]:
    def method(self: SyncResource, /, *args: P.args, **kwargs: P.kwargs) -> Iterator[T]:
        call: Call[Page[T]] | None = build(*args, **kwargs)
        while call is not None:
            page = self._client._send(call)
            yield from page.data
            call = call.next_page(page.next_cursor) if page.next_cursor else None

    _adopt(method, build, "Iterator")
    method.__doc__ = _ITER_DOC
    return method


def _async_pages(
    build: Callable[P, Call[Page[T]]],
) -> Callable[Concatenate[AsyncResource, P], AsyncIterator[T]]:
    async def method(self: AsyncResource, /, *args: P.args, **kwargs: P.kwargs) -> AsyncIterator[T]:
        call: Call[Page[T]] | None = build(*args, **kwargs)
        while call is not None:
            page = await self._client._send(call)
            for item in page.data:
                yield item
            call = call.next_page(page.next_cursor) if page.next_cursor else None

    _adopt(method, build, "AsyncIterator")
    method.__doc__ = _ITER_DOC
    return method


_ITER_DOC = """Every item of the list, page after page, following `next_cursor`.

Takes the same filters as the one-page call; `limit` is then the page size. Pages are
fetched lazily, as iteration reaches them.
"""


# --- the resources -----------------------------------------------------------------------


class MerchantResource(SyncResource):
    """`/v1/merchant`: the caller's merchant."""

    get = _sync(_MerchantCalls.get)
    update = _sync(_MerchantCalls.update)


class AsyncMerchantResource(AsyncResource):
    """`/v1/merchant`: the caller's merchant."""

    get = _async(_MerchantCalls.get)
    update = _async(_MerchantCalls.update)


class KeysResource(SyncResource):
    """`/v1/keys`: API keys (admin key)."""

    create = _sync(_KeyCalls.create)
    list = _sync(_KeyCalls.list)
    iter = _sync_pages(_KeyCalls.list)
    revoke = _sync(_KeyCalls.revoke)


class AsyncKeysResource(AsyncResource):
    """`/v1/keys`: API keys (admin key)."""

    create = _async(_KeyCalls.create)
    list = _async(_KeyCalls.list)
    iter = _async_pages(_KeyCalls.list)
    revoke = _async(_KeyCalls.revoke)


class BranchesResource(SyncResource):
    """`/v1/branches`: the merchant's stores."""

    create = _sync(_BranchCalls.create)
    get = _sync(_BranchCalls.get)
    list = _sync(_BranchCalls.list)
    iter = _sync_pages(_BranchCalls.list)
    update = _sync(_BranchCalls.update)
    delete = _sync(_BranchCalls.delete)


class AsyncBranchesResource(AsyncResource):
    """`/v1/branches`: the merchant's stores."""

    create = _async(_BranchCalls.create)
    get = _async(_BranchCalls.get)
    list = _async(_BranchCalls.list)
    iter = _async_pages(_BranchCalls.list)
    update = _async(_BranchCalls.update)
    delete = _async(_BranchCalls.delete)


class CustomersResource(SyncResource):
    """`/v1/customers`: customers, their receipts and shopper sessions."""

    create = _sync(_CustomerCalls.create)
    get = _sync(_CustomerCalls.get)
    list = _sync(_CustomerCalls.list)
    iter = _sync_pages(_CustomerCalls.list)
    update = _sync(_CustomerCalls.update)
    delete = _sync(_CustomerCalls.delete)
    receipts = _sync(_CustomerCalls.receipts)
    iter_receipts = _sync_pages(_CustomerCalls.receipts)
    create_session = _sync(_CustomerCalls.create_session)


class AsyncCustomersResource(AsyncResource):
    """`/v1/customers`: customers, their receipts and shopper sessions."""

    create = _async(_CustomerCalls.create)
    get = _async(_CustomerCalls.get)
    list = _async(_CustomerCalls.list)
    iter = _async_pages(_CustomerCalls.list)
    update = _async(_CustomerCalls.update)
    delete = _async(_CustomerCalls.delete)
    receipts = _async(_CustomerCalls.receipts)
    iter_receipts = _async_pages(_CustomerCalls.receipts)
    create_session = _async(_CustomerCalls.create_session)


class ProductsResource(SyncResource):
    """`/v1/products`: the product catalogue."""

    create = _sync(_ProductCalls.create)
    get = _sync(_ProductCalls.get)
    list = _sync(_ProductCalls.list)
    iter = _sync_pages(_ProductCalls.list)
    update = _sync(_ProductCalls.update)
    delete = _sync(_ProductCalls.delete)


class AsyncProductsResource(AsyncResource):
    """`/v1/products`: the product catalogue."""

    create = _async(_ProductCalls.create)
    get = _async(_ProductCalls.get)
    list = _async(_ProductCalls.list)
    iter = _async_pages(_ProductCalls.list)
    update = _async(_ProductCalls.update)
    delete = _async(_ProductCalls.delete)


class ReceiptsResource(SyncResource):
    """`/v1/receipts`: ingest, read, query and claim receipts."""

    create = _sync(_ReceiptCalls.create)
    create_batch = _sync(_ReceiptCalls.create_batch)
    get = _sync(_ReceiptCalls.get)
    list = _sync(_ReceiptCalls.list)
    iter = _sync_pages(_ReceiptCalls.list)
    claim = _sync(_ReceiptCalls.claim)


class AsyncReceiptsResource(AsyncResource):
    """`/v1/receipts`: ingest, read, query and claim receipts."""

    create = _async(_ReceiptCalls.create)
    create_batch = _async(_ReceiptCalls.create_batch)
    get = _async(_ReceiptCalls.get)
    list = _async(_ReceiptCalls.list)
    iter = _async_pages(_ReceiptCalls.list)
    claim = _async(_ReceiptCalls.claim)
