"""Signals, value metrics and value receipts (docs/values.md)."""

from __future__ import annotations

import uuid

from starlette.responses import Response

from tillroll.errors import FieldError, InvalidInput
from tillroll.kit.http import Access, Call, Reply, Router
from tillroll.kit.schemas import Page
from tillroll.values.document import MEDIA, PdfResponse, pdf_view
from tillroll.values.embed import embed_settings
from tillroll.values.metrics import metric as metric_service
from tillroll.values.schemas import (
    EmbedSettings,
    EmbedSettingsUpdate,
    IngestResult,
    Metric,
    MetricCreate,
    MetricList,
    MetricQuery,
    MetricUpdate,
    PublishBody,
    ReceiptList,
    ReceiptQuery,
    ReceiptRequest,
    Revoked,
    Signal,
    SignalBulk,
    SignalCreate,
    SignalQuery,
    ValueReceipt,
)
from tillroll.values.service import value_receipt as receipts
from tillroll.values.signals import signal as signal_service

signals = Router("/v1/signals", tag="signals")
metrics = Router("/v1/value-metrics", tag="value metrics")
router = Router("/v1/value-receipts", tag="value receipts")
embed = Router("/v1/value-receipt-embedding", tag="value receipts")


def _merchant(call: Call) -> uuid.UUID:
    return call.principal.merchant_id


@signals.post("", access=Access.write, status=201, errors=(422,))
async def create_signal(call: Call, body: SignalCreate) -> IngestResult | Reply:
    """Ingest one signal (201); its idempotency key seen before answers 200, a duplicate."""
    result = await signal_service.ingest(call.conn, _merchant(call), [body])
    if result.failed:
        raise InvalidInput.fields([FieldError(e.loc, e.message) for e in result.errors])
    return result if result.ingested else Reply(result, status=200)


@signals.post("/bulk", access=Access.write, errors=(422,))
async def create_signals(call: Call, body: SignalBulk) -> IngestResult:
    """Ingest up to 1,000 signals; each is stored, a duplicate, or refused on its own."""
    return await signal_service.ingest(call.conn, _merchant(call), body.signals)


@signals.get("", access=Access.read, errors=(422,))
async def list_signals(call: Call, query: SignalQuery) -> Page[Signal]:
    """Signals, newest first, with keyset pagination."""
    return await signal_service.list(call.conn, _merchant(call), query)


@signals.get("/{signal_id}", access=Access.read, errors=(404,))
async def get_signal(call: Call, signal_id: uuid.UUID) -> Signal:
    """Get one signal."""
    return await signal_service.get(call.conn, _merchant(call), signal_id)


@metrics.post("", access=Access.write, status=201, idempotent=True, errors=(409, 422))
async def create_metric(call: Call, body: MetricCreate) -> Metric:
    """Create a value metric; its event's past signals are valued at once."""
    return await metric_service.create(call.conn, _merchant(call), body)


@metrics.get("", access=Access.read, errors=(422,))
async def list_metrics(call: Call, query: MetricQuery) -> MetricList:
    """Value metrics, oldest first (archived ones with `include_archived=true`)."""
    return await metric_service.list(call.conn, _merchant(call), query)


@metrics.get("/{metric_id}", access=Access.read, errors=(404,))
async def get_metric(call: Call, metric_id: uuid.UUID) -> Metric:
    """Get one value metric."""
    return await metric_service.get(call.conn, _merchant(call), metric_id)


@metrics.patch("/{metric_id}", access=Access.write, errors=(404, 422))
async def update_metric(call: Call, metric_id: uuid.UUID, body: MetricUpdate) -> Metric:
    """Change a value metric (a new version); `archived: true` archives it."""
    return await metric_service.update(call.conn, _merchant(call), metric_id, body)


@router.post("", access=Access.write, status=201, idempotent=True, errors=(404, 422))
async def create_receipt(call: Call, body: ReceiptRequest) -> ValueReceipt:
    """Create a value receipt (always a new one) for a customer and period."""
    return await receipts.create(call.conn, _merchant(call), body)


@router.post("/sync", access=Access.write, status=201, errors=(404, 422))
async def sync_receipt(call: Call, body: ReceiptRequest) -> ValueReceipt | Reply:
    """The receipt with this customer, period and scope: refreshed if a draft, as-is if
    sealed (200); created when there is none (201)."""
    found, created = await receipts.sync(call.conn, _merchant(call), body)
    return found if created else Reply(found, status=200)


@router.get("", access=Access.read, errors=(422,))
async def list_receipts(call: Call, query: ReceiptQuery) -> ReceiptList:
    """Value receipts, newest first, with the total (archived ones with `archived=true`)."""
    return await receipts.list(call.conn, _merchant(call), query)


@router.post("/revoke-all", access=Access.admin)
async def revoke_all(call: Call) -> Revoked:
    """Unpublish every value receipt of the merchant."""
    return await receipts.revoke_all(call.conn, _merchant(call))


@router.get("/{value_receipt_id}.pdf", access=Access.read, produces=MEDIA, errors=(404, 503))
async def receipt_pdf(call: Call, value_receipt_id: uuid.UUID) -> Response:
    """The value receipt as a PDF: breakdown, total, chart, in the merchant's branding."""
    receipt = await receipts.get(call.conn, _merchant(call), value_receipt_id)
    view = await pdf_view(call.conn, call.settings, _merchant(call), receipt)
    return PdfResponse(call.settings, view, receipt.id)


@router.get("/{value_receipt_id}", access=Access.read, errors=(404,))
async def get_receipt(call: Call, value_receipt_id: uuid.UUID) -> ValueReceipt:
    """Get one value receipt with its lines and publish state."""
    return await receipts.get(call.conn, _merchant(call), value_receipt_id)


@router.post("/{value_receipt_id}/publish", access=Access.write, errors=(404, 409, 422))
async def publish(call: Call, value_receipt_id: uuid.UUID, body: PublishBody) -> ValueReceipt:
    """Make the share link public (until `publish_expires_at`, if given)."""
    return await receipts.publish(
        call.conn, _merchant(call), value_receipt_id, body.publish_expires_at
    )


def _action(name: str, doc: str, errors: tuple[int, ...] = (404,)) -> None:
    method = getattr(receipts, name.replace("-", "_"))

    async def act(call: Call, value_receipt_id: uuid.UUID) -> ValueReceipt:
        return await method(call.conn, _merchant(call), value_receipt_id)  # type: ignore[no-any-return]

    act.__name__ = act.__qualname__ = name.replace("-", "_")
    act.__doc__ = doc
    router.post(f"/{{value_receipt_id}}/{name}", access=Access.write, errors=errors)(act)


_action("refresh", "Recompute a draft from the stored values (sealed: 409).", (404, 409))
_action("seal", "Seal a draft: `posted`, an immutable snapshot (twice: 409).", (404, 409))
_action("unpublish", "Make the share link private again (JWT-gated).")
_action("archive", "Hide the receipt from lists (restorable).")
_action("unarchive", "Restore an archived receipt (not archived: 409).", (404, 409))
_action("rotate-token", "A new share token; old links stop working at once.")


@embed.get("", access=Access.admin, errors=(404,))
async def get_embedding(call: Call) -> EmbedSettings:
    """The embed settings (the signing key is never shown again)."""
    return await embed_settings.get(call.conn, _merchant(call))


@embed.post("", access=Access.admin, errors=(422,))
async def put_embedding(call: Call, body: EmbedSettingsUpdate) -> EmbedSettings:
    """Set the embed settings; the signing key is made (or rotated) and shown once."""
    return await embed_settings.put(call.conn, _merchant(call), body)
