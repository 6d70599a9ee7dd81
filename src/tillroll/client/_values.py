"""Signals, value metrics and value receipts (docs/values.md): call builders and resources,
made by `_resources`' helpers as every other resource is."""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, TypedDict, Unpack

from tillroll.client._base import Call, Id, path
from tillroll.client._resources import (
    AsyncResource,
    SyncResource,
    _async,
    _async_pages,
    _sync,
    _sync_pages,
)
from tillroll.kit.schemas import Page
from tillroll.values.schemas import (
    EmbedSettings,
    EmbedSettingsUpdate,
    IngestResult,
    Metric,
    MetricCreate,
    MetricList,
    MetricUpdate,
    ReceiptList,
    ReceiptRequest,
    Revoked,
    Signal,
    SignalCreate,
    ValueReceipt,
)


class SignalFilters(TypedDict, total=False):
    """Filters of `GET /v1/signals`; None is no filter."""

    event_name: str | None
    customer_id: Id | None
    external_customer_id: str | None
    product_id: Id | None
    order_id: str | None
    occurred_from: datetime | str | None
    occurred_to: datetime | str | None
    limit: int | None
    cursor: str | None


class ValueReceiptFilters(TypedDict, total=False):
    """Filters of `GET /v1/value-receipts` (offset pages with the total)."""

    customer_id: Id | None
    external_customer_id: str | None
    order_id: str | None
    product_id: Id | None
    archived: bool | None
    limit: int | None
    offset: int | None


class _SignalCalls:
    @staticmethod
    def create(body: SignalCreate | Mapping[str, Any]) -> Call[IngestResult]:
        """Ingest one signal; its idempotency key seen before counts it as a duplicate."""
        return Call("POST", "/v1/signals", IngestResult, body=body)

    @staticmethod
    def create_bulk(signals: Sequence[SignalCreate | Mapping[str, Any]]) -> Call[IngestResult]:
        """Ingest up to 1,000 signals; each is stored, a duplicate, or refused on its own."""
        body = {"signals": builtins.list(signals)}
        return Call("POST", "/v1/signals/bulk", IngestResult, body=body)

    @staticmethod
    def get(signal_id: Id) -> Call[Signal]:
        """One signal."""
        return Call("GET", path("/v1/signals/{}", signal_id), Signal)

    @staticmethod
    def list(**filters: Unpack[SignalFilters]) -> Call[Page[Signal]]:
        """One page of signals, newest first; pass `next_cursor` as `cursor` for the next."""
        return Call("GET", "/v1/signals", Page[Signal], params=dict(filters))


class _MetricCalls:
    @staticmethod
    def create(
        body: MetricCreate | Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> Call[Metric]:
        """Create a value metric; its event's past signals are valued at once."""
        return Call("POST", "/v1/value-metrics", Metric, body=body, idempotency_key=idempotency_key)

    @staticmethod
    def get(metric_id: Id) -> Call[Metric]:
        """One value metric."""
        return Call("GET", path("/v1/value-metrics/{}", metric_id), Metric)

    @staticmethod
    def list(
        *, limit: int | None = None, offset: int | None = None, include_archived: bool = False
    ) -> Call[MetricList]:
        """Value metrics, oldest first, with the total."""
        params = {"limit": limit, "offset": offset, "include_archived": include_archived}
        return Call("GET", "/v1/value-metrics", MetricList, params=params)

    @staticmethod
    def update(metric_id: Id, body: MetricUpdate | Mapping[str, Any]) -> Call[Metric]:
        """Change a value metric (a new version); `{"archived": True}` archives it."""
        return Call("PATCH", path("/v1/value-metrics/{}", metric_id), Metric, body=body)


def _act(value_receipt_id: Id, action: str) -> Call[ValueReceipt]:
    url = path("/v1/value-receipts/{}/", value_receipt_id) + action
    return Call("POST", url, ValueReceipt)


class _ValueReceiptCalls:
    @staticmethod
    def create(
        body: ReceiptRequest | Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> Call[ValueReceipt]:
        """A new value receipt for a customer and period (always a new one)."""
        return Call(
            "POST", "/v1/value-receipts", ValueReceipt, body=body, idempotency_key=idempotency_key
        )

    @staticmethod
    def sync(body: ReceiptRequest | Mapping[str, Any]) -> Call[ValueReceipt]:
        """The receipt with this customer, period and scope: a draft refreshed, a sealed one
        as it is; created when there is none."""
        return Call("POST", "/v1/value-receipts/sync", ValueReceipt, body=body)

    @staticmethod
    def get(value_receipt_id: Id) -> Call[ValueReceipt]:
        """One value receipt, with its lines and publish state."""
        return Call("GET", path("/v1/value-receipts/{}", value_receipt_id), ValueReceipt)

    @staticmethod
    def list(**filters: Unpack[ValueReceiptFilters]) -> Call[ReceiptList]:
        """Value receipts, newest first, with the total."""
        return Call("GET", "/v1/value-receipts", ReceiptList, params=dict(filters))

    @staticmethod
    def pdf(value_receipt_id: Id) -> Call[bytes]:
        """The receipt as PDF bytes."""
        return Call("GET", path("/v1/value-receipts/{}.pdf", value_receipt_id), bytes)

    @staticmethod
    def publish(
        value_receipt_id: Id, *, publish_expires_at: datetime | str | None = None
    ) -> Call[ValueReceipt]:
        """Make the share link public (until `publish_expires_at`, if given)."""
        url = path("/v1/value-receipts/{}/publish", value_receipt_id)
        return Call("POST", url, ValueReceipt, body={"publish_expires_at": publish_expires_at})

    @staticmethod
    def refresh(value_receipt_id: Id) -> Call[ValueReceipt]:
        """Recompute a draft (sealed: `ConflictError`)."""
        return _act(value_receipt_id, "refresh")

    @staticmethod
    def seal(value_receipt_id: Id) -> Call[ValueReceipt]:
        """Seal a draft: `posted`, immutable (twice: `ConflictError`)."""
        return _act(value_receipt_id, "seal")

    @staticmethod
    def unpublish(value_receipt_id: Id) -> Call[ValueReceipt]:
        """Make the share link private again (JWT-gated)."""
        return _act(value_receipt_id, "unpublish")

    @staticmethod
    def archive(value_receipt_id: Id) -> Call[ValueReceipt]:
        """Hide the receipt from lists (restorable)."""
        return _act(value_receipt_id, "archive")

    @staticmethod
    def unarchive(value_receipt_id: Id) -> Call[ValueReceipt]:
        """Restore an archived receipt."""
        return _act(value_receipt_id, "unarchive")

    @staticmethod
    def rotate_token(value_receipt_id: Id) -> Call[ValueReceipt]:
        """A new share token; old links stop working at once."""
        return _act(value_receipt_id, "rotate-token")

    @staticmethod
    def revoke_all() -> Call[Revoked]:
        """Unpublish every value receipt of the merchant (admin key)."""
        return Call("POST", "/v1/value-receipts/revoke-all", Revoked)

    @staticmethod
    def get_embedding() -> Call[EmbedSettings]:
        """The embed settings (admin key; the signing key is never shown again)."""
        return Call("GET", "/v1/value-receipt-embedding", EmbedSettings)

    @staticmethod
    def set_embedding(body: EmbedSettingsUpdate | Mapping[str, Any]) -> Call[EmbedSettings]:
        """Set the embed settings; the signing key is made (or rotated) and shown once."""
        return Call("POST", "/v1/value-receipt-embedding", EmbedSettings, body=body)


class SignalsResource(SyncResource):
    """`/v1/signals`: usage events that feed the value metrics."""

    create = _sync(_SignalCalls.create)
    create_bulk = _sync(_SignalCalls.create_bulk)
    get = _sync(_SignalCalls.get)
    list = _sync(_SignalCalls.list)
    iter = _sync_pages(_SignalCalls.list)


class AsyncSignalsResource(AsyncResource):
    """`/v1/signals`: usage events that feed the value metrics."""

    create = _async(_SignalCalls.create)
    create_bulk = _async(_SignalCalls.create_bulk)
    get = _async(_SignalCalls.get)
    list = _async(_SignalCalls.list)
    iter = _async_pages(_SignalCalls.list)


class ValueMetricsResource(SyncResource):
    """`/v1/value-metrics`: what each occurrence of a signal is worth."""

    create = _sync(_MetricCalls.create)
    get = _sync(_MetricCalls.get)
    list = _sync(_MetricCalls.list)
    update = _sync(_MetricCalls.update)


class AsyncValueMetricsResource(AsyncResource):
    """`/v1/value-metrics`: what each occurrence of a signal is worth."""

    create = _async(_MetricCalls.create)
    get = _async(_MetricCalls.get)
    list = _async(_MetricCalls.list)
    update = _async(_MetricCalls.update)


class ValueReceiptsResource(SyncResource):
    """`/v1/value-receipts`: delivered value per customer and period, shared and embedded."""

    create = _sync(_ValueReceiptCalls.create)
    sync = _sync(_ValueReceiptCalls.sync)
    get = _sync(_ValueReceiptCalls.get)
    list = _sync(_ValueReceiptCalls.list)
    pdf = _sync(_ValueReceiptCalls.pdf)
    publish = _sync(_ValueReceiptCalls.publish)
    refresh = _sync(_ValueReceiptCalls.refresh)
    seal = _sync(_ValueReceiptCalls.seal)
    unpublish = _sync(_ValueReceiptCalls.unpublish)
    archive = _sync(_ValueReceiptCalls.archive)
    unarchive = _sync(_ValueReceiptCalls.unarchive)
    rotate_token = _sync(_ValueReceiptCalls.rotate_token)
    revoke_all = _sync(_ValueReceiptCalls.revoke_all)
    get_embedding = _sync(_ValueReceiptCalls.get_embedding)
    set_embedding = _sync(_ValueReceiptCalls.set_embedding)


class AsyncValueReceiptsResource(AsyncResource):
    """`/v1/value-receipts`: delivered value per customer and period, shared and embedded."""

    create = _async(_ValueReceiptCalls.create)
    sync = _async(_ValueReceiptCalls.sync)
    get = _async(_ValueReceiptCalls.get)
    list = _async(_ValueReceiptCalls.list)
    pdf = _async(_ValueReceiptCalls.pdf)
    publish = _async(_ValueReceiptCalls.publish)
    refresh = _async(_ValueReceiptCalls.refresh)
    seal = _async(_ValueReceiptCalls.seal)
    unpublish = _async(_ValueReceiptCalls.unpublish)
    archive = _async(_ValueReceiptCalls.archive)
    unarchive = _async(_ValueReceiptCalls.unarchive)
    rotate_token = _async(_ValueReceiptCalls.rotate_token)
    revoke_all = _async(_ValueReceiptCalls.revoke_all)
    get_embedding = _async(_ValueReceiptCalls.get_embedding)
    set_embedding = _async(_ValueReceiptCalls.set_embedding)
