"""`Tillroll` and `AsyncTillroll`: the same API, sent with `httpx.Client` or `httpx.AsyncClient`.

Both build requests and decode answers in `BaseClient`; they differ only in how a request is
sent. Use them as context managers, or call `close()` / `aclose()`, to release connections.
"""

from __future__ import annotations

from types import TracebackType
from typing import Self, TypeVar

import httpx

from tillroll.client._b2b import (
    AsyncInvoicesResource,
    AsyncPaymentReceiptsResource,
    AsyncPaymentsResource,
    InvoicesResource,
    PaymentReceiptsResource,
    PaymentsResource,
)
from tillroll.client._base import DEFAULT_TIMEOUT, BaseClient, Call
from tillroll.client._orders import (
    AsyncBackInStockResource,
    AsyncOrdersResource,
    AsyncShipmentsResource,
    BackInStockResource,
    OrdersResource,
    ShipmentsResource,
)
from tillroll.client._resources import (
    AsyncBranchesResource,
    AsyncCustomersResource,
    AsyncKeysResource,
    AsyncMerchantResource,
    AsyncProductsResource,
    AsyncReceiptsResource,
    BranchesResource,
    CustomersResource,
    KeysResource,
    MerchantResource,
    ProductsResource,
    ReceiptsResource,
)
from tillroll.client._values import (
    AsyncSignalsResource,
    AsyncValueMetricsResource,
    AsyncValueReceiptsResource,
    SignalsResource,
    ValueMetricsResource,
    ValueReceiptsResource,
)

T = TypeVar("T")

Timeout = float | httpx.Timeout | None


class Tillroll(BaseClient):
    """A synchronous Tillroll client.

    `base_url` defaults to `$TILLROLL_BASE_URL` (else `http://127.0.0.1:8000`) and `api_key`
    to `$TILLROLL_API_KEY`; a shopper session token works as `api_key` too. `timeout` (seconds
    or an `httpx.Timeout`) applies to every request. Pass `transport` to swap httpx's network
    layer (e.g. `httpx.MockTransport` in tests), or `http_client` to use your own
    `httpx.Client` (proxies, TLS, limits); the client does not close one it did not create.
    """

    def __init__(
        self,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: Timeout = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
        http_client: httpx.Client | None = None,
    ) -> None:
        super().__init__(
            base_url=base_url,
            api_key=api_key,
            timeout=timeout,
            has_transport=transport is not None,
            has_http_client=http_client is not None,
        )
        self._owns_http = http_client is None
        self._http = http_client or httpx.Client(transport=transport, timeout=timeout)
        self.merchant = MerchantResource(self)
        self.keys = KeysResource(self)
        self.branches = BranchesResource(self)
        self.customers = CustomersResource(self)
        self.products = ProductsResource(self)
        self.receipts = ReceiptsResource(self)
        self.orders = OrdersResource(self)
        self.shipments = ShipmentsResource(self)
        self.back_in_stock = BackInStockResource(self)
        self.signals = SignalsResource(self)
        self.value_metrics = ValueMetricsResource(self)
        self.value_receipts = ValueReceiptsResource(self)
        self.invoices = InvoicesResource(self)
        self.payments = PaymentsResource(self)
        self.payment_receipts = PaymentReceiptsResource(self)

    def _send(self, call: Call[T], /) -> T:
        request = self._request(self._http, call)
        try:
            response = self._http.send(request)
        except httpx.TransportError as exc:
            raise self._connection_error(exc, call) from exc
        return self._parse(call, response)

    def close(self) -> None:
        """Close the connections (of an `http_client` passed in: left to its owner)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncTillroll(BaseClient):
    """An asyncio Tillroll client: `Tillroll`'s API with awaitable methods.

    `iter(...)` methods are async iterators (`async for receipt in client.receipts.iter()`).
    Takes the same arguments as `Tillroll`, with `httpx.AsyncBaseTransport` and
    `httpx.AsyncClient`.
    """

    def __init__(
        self,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: Timeout = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        super().__init__(
            base_url=base_url,
            api_key=api_key,
            timeout=timeout,
            has_transport=transport is not None,
            has_http_client=http_client is not None,
        )
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient(transport=transport, timeout=timeout)
        self.merchant = AsyncMerchantResource(self)
        self.keys = AsyncKeysResource(self)
        self.branches = AsyncBranchesResource(self)
        self.customers = AsyncCustomersResource(self)
        self.products = AsyncProductsResource(self)
        self.receipts = AsyncReceiptsResource(self)
        self.orders = AsyncOrdersResource(self)
        self.shipments = AsyncShipmentsResource(self)
        self.back_in_stock = AsyncBackInStockResource(self)
        self.signals = AsyncSignalsResource(self)
        self.value_metrics = AsyncValueMetricsResource(self)
        self.value_receipts = AsyncValueReceiptsResource(self)
        self.invoices = AsyncInvoicesResource(self)
        self.payments = AsyncPaymentsResource(self)
        self.payment_receipts = AsyncPaymentReceiptsResource(self)

    async def _send(self, call: Call[T], /) -> T:
        request = self._request(self._http, call)
        try:
            response = await self._http.send(request)
        except httpx.TransportError as exc:
            raise self._connection_error(exc, call) from exc
        return self._parse(call, response)

    async def aclose(self) -> None:
        """Close the connections (of an `http_client` passed in: left to its owner)."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
