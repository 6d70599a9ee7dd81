"""The BC B2B routes: BC's parameters and bodies → the native b2b services → BC's
`{code, data, meta}` envelope (docs/compat-bigcommerce-b2b.md)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable
from typing import Any, TypeVar

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from tillroll.b2b import schemas as native
from tillroll.b2b.audit import who
from tillroll.b2b.invoices import invoice as invoice_service
from tillroll.b2b.payments import payment as payment_service
from tillroll.b2b.receipts import receipt as receipt_service
from tillroll.branches.service import branch as branch_service
from tillroll.compat.bigcommerce import translate
from tillroll.compat.bigcommerce.schemas import (
    Id,
    InvoiceCreate,
    InvoicesQuery,
    LineItem,
    LinesQuery,
    OfflinePayment,
    OfflinePaymentUpdate,
    OperationCode,
    PaymentsQuery,
    ProcessingStatus,
    ReceiptsQuery,
)
from tillroll.compat.bigcommerce.translate import Refs, minor_units, store_hash
from tillroll.customers.schemas import Customer
from tillroll.customers.service import customer as customer_service
from tillroll.errors import Forbidden, InvalidInput, NotFound, TillrollError
from tillroll.kit.db import Connection
from tillroll.kit.http import Access, Call, Router
from tillroll.kit.money import is_currency

PREFIX = "/compat/bigcommerce-b2b/api/v3/io/ip"
MESSAGES = {
    400: "Bad Request Error",
    401: "Unauthorized Error",
    403: "Forbidden Error",
    404: "Not Found Error",
    409: "Conflict Error",
    422: "Validation Error",
}
_ENCODER = msgspec.json.Encoder()
T = TypeVar("T")


class Envelope(msgspec.Struct):
    code: int
    data: Any
    meta: dict[str, Any]


def _loc(loc: str) -> str:
    """A native field path in BC's names: `allocations[0].invoice_id` → `lineItems[0].invoiceId`."""
    loc = loc.removeprefix("query.").replace("allocations", "lineItems")
    return re.sub(r"_([a-z])", lambda m: m.group(1).upper(), loc)


def render_error(exc: TillrollError) -> Response:
    """BC's error body: `{"code": 404, "data": {"errMsg": …}, "meta": {"message": …}}`."""
    data: dict[str, Any] = {"errMsg": exc.detail}
    if exc.errors:
        data["errMsg"] = "; ".join(f"{_loc(e.loc)}: {e.message}" for e in exc.errors)
        data["errors"] = {_loc(e.loc): e.message for e in exc.errors}
    meta = {"message": MESSAGES.get(exc.status, exc.title)}
    body = {"code": exc.status, "data": data, "meta": meta}
    return Response(
        _ENCODER.encode(body), exc.status, exc.headers or None, media_type="application/json"
    )


def credential(request: Request) -> str | None:
    """BC's credentials (`authToken`, or `X-Auth-Token` with `X-Store-Hash`) as the API key
    they carry; an `Authorization` header sent as well wins."""
    if "authorization" in request.headers:
        return None
    token = request.headers.get("x-auth-token") or request.headers.get("authtoken")
    return token.strip() if token else None


router = Router(
    PREFIX, tag="compat: bigcommerce-b2b", render_error=render_error, credential=credential
)


# --- helpers -----------------------------------------------------------------------------


def _store(call: Call) -> str:
    """The merchant's store hash; an `X-Store-Hash` naming another store is a 403."""
    store = store_hash(call.principal.merchant_id)
    asked = call.request.headers.get("x-store-hash")
    if asked is not None and asked.strip() != store:
        raise Forbidden(f"This credential has no access to store {asked.strip()[:64]!r}.")
    return store


def _ok(data: Any, **meta: Any) -> Envelope:
    return Envelope(code=200, data=data, meta={**meta, "message": "SUCCESS"})


def _listed(data: list[Any], meta: native.ListMeta) -> Envelope:
    counts = {"totalCount": meta.total_count, "offset": meta.offset, "limit": meta.limit}
    return _ok(data, pagination=counts)


_EMPTY = native.ListMeta(total_count=0, offset=0, limit=0, totals=[])


async def _exists(found: Awaitable[T], what: str) -> T:
    """`found`, or BC's 404 (`Receipt does not exist`)."""
    try:
        return await found
    except NotFound:
        raise NotFound(f"{what} does not exist") from None


async def _customer(conn: Connection, merchant_id: uuid.UUID, ref: str) -> Customer | None:
    """The customer a BC `customerId` names: its external id, else its number."""
    found = await customer_service.find(conn, merchant_id, "external_id", ref)
    if found is None and ref.isascii() and ref.isdigit() and len(ref) < 10:
        found = await customer_service.by_number(conn, merchant_id, int(ref))
    return found


async def _known_customer(
    conn: Connection, merchant_id: uuid.UUID, ref: str, field: str
) -> Customer:
    found = await _customer(conn, merchant_id, ref)
    if found is None:
        raise InvalidInput.field(field, f"no customer {ref[:64]!r}")
    return found


async def _invoice_id(
    conn: Connection, merchant_id: uuid.UUID, seq: int, field: str
) -> native.Invoice:
    try:
        return await invoice_service.by_number(conn, merchant_id, seq)
    except NotFound:
        raise InvalidInput.field(field, f"no invoice {seq}") from None


_RECEIPT_SORT = {
    "customerId": "customer_ref",
    "externalCustomerId": "external_customer_id",
    "paymentId": "payment_number",
    "total": "total",
    "transactionType": "transaction_type",
    "referenceNumber": "reference_number",
    "createdAt": "created_at",
    "updatedAt": "updated_at",
}
_LINE_SORT = {
    **{k: v for k, v in _RECEIPT_SORT.items() if k in ("customerId", "externalCustomerId")},
    "receiptId": "receipt_number",
    "invoiceId": "invoice_seq",
    "amount": "amount",
    "createdAt": "created_at",
    "updatedAt": "updated_at",
}
_TEXT_SEARCH = {
    "payerName": "payer_name",
    "referenceNumber": "reference_number",
    "externalId": "external_id",
    "externalCustomerId": "external_customer_id",
    "customerId": "customer_ref",
}


async def _search(
    conn: Connection, merchant_id: uuid.UUID, q: str | None, by: str | None, *, lines: bool
) -> dict[str, Any] | None:
    """BC's `q` + `searchBy` as native query fields; None when it can match nothing (an
    unknown payer or invoice). No `searchBy` searches every field BC lists for it: the
    text fields, and on lines the payer and the invoice `q` names too (`also`)."""
    if q is None:
        return {}
    if by is None or by in _TEXT_SEARCH:
        found: dict[str, Any] = {"q": q, "search_by": _TEXT_SEARCH.get(by) if by else None}
        if by is None and lines:
            payer, invoice = (
                await _customer(conn, merchant_id, q),
                await _invoice(conn, merchant_id, q),
            )
            also = {"payer_customer_id": payer.id if payer else None,
                    "invoice_id": invoice.id if invoice else None}  # fmt: skip
            found["also"] = {k: v for k, v in also.items() if v is not None}
        return found
    if by == "invoiceId":
        invoice = await _invoice(conn, merchant_id, q)
        return None if invoice is None else {"invoice_id": invoice.id}
    customer = await _customer(conn, merchant_id, q)
    return None if customer is None else {"payer_customer_id": customer.id}


async def _invoice(conn: Connection, merchant_id: uuid.UUID, q: str) -> native.Invoice | None:
    """The invoice whose BC id (its number) is `q`."""
    if not (q.isascii() and q.isdigit() and len(q) < 10):
        return None
    try:
        return await invoice_service.by_number(conn, merchant_id, int(q))
    except NotFound:
        return None


def _paging(query: Any, sorts: dict[str, str]) -> dict[str, Any]:
    return {
        "offset": query.offset,
        "limit": query.limit,
        "order": query.order_by.lower(),
        "sort": sorts[query.sort_by],
    }


# --- receipts and lines ------------------------------------------------------------------


@router.get("/receipts", access=Access.read, errors=(422,))
async def list_receipts(call: Call, query: ReceiptsQuery) -> Envelope:
    """Receipts, with BC's pagination, sort, search and payment-status filter."""
    store, m = _store(call), call.principal.merchant_id
    search = await _search(call.conn, m, query.q, query.search_by, lines=False)
    if search is None:
        return _listed([], _EMPTY)
    native_query = native.ReceiptQuery(
        **_paging(query, _RECEIPT_SORT), **search, payment_status=query.payment_status
    )
    page = await receipt_service.list(call.conn, m, native_query)
    refs = await Refs.load(call.conn, m, _customers(page.data))
    return _listed([translate.receipt(r, refs, store) for r in page.data], page.meta)


def _customers(rows: list[Any]) -> list[uuid.UUID | None]:
    return [i for r in rows for i in (r.customer_id, getattr(r, "payer_customer_id", None))]


@router.get("/receipts/{receipt_id}", access=Access.read, errors=(404,))
async def get_receipt(call: Call, receipt_id: Id) -> Envelope:
    """One receipt."""
    store, m = _store(call), call.principal.merchant_id
    found = await _exists(receipt_service.by_number(call.conn, m, receipt_id), "Receipt")
    refs = await Refs.load(call.conn, m, _customers([found]))
    return _ok(translate.receipt(found, refs, store))


@router.delete("/receipts/{receipt_id}", access=Access.admin, errors=(404,))
async def delete_receipt(call: Call, receipt_id: Id) -> Envelope:
    """Delete a receipt (recorded; the invoice balances it held are given back)."""
    _store(call)
    m = call.principal.merchant_id
    found = await _exists(receipt_service.by_number(call.conn, m, receipt_id), "Receipt")
    await receipt_service.delete(call.conn, m, who(call.principal), found.id)
    return _ok({"id": receipt_id})


async def _lines(call: Call, query: LinesQuery, receipt: uuid.UUID | None) -> Envelope:
    store, m = _store(call), call.principal.merchant_id
    search = await _search(call.conn, m, query.q, query.search_by, lines=True)
    if search is None:
        return _listed([], _EMPTY)
    also = search.pop("also", None)
    native_query = native.LineQuery(
        **_paging(query, _LINE_SORT), **search, payment_status=query.payment_status
    )
    page = await receipt_service.lines(call.conn, m, native_query, receipt, also=also)
    refs = await Refs.load(call.conn, m, _customers(page.data))
    return _listed([translate.line(x, refs, store) for x in page.data], page.meta)


@router.get("/receipt-lines", access=Access.read, errors=(422,))
async def list_lines(call: Call, query: LinesQuery) -> Envelope:
    """Lines of every receipt."""
    return await _lines(call, query, None)


@router.get("/receipts/{receipt_id}/lines", access=Access.read, errors=(404, 422))
async def list_receipt_lines(call: Call, receipt_id: Id, query: LinesQuery) -> Envelope:
    """Lines of one receipt."""
    m = call.principal.merchant_id
    found = await _exists(receipt_service.by_number(call.conn, m, receipt_id), "Receipt")
    return await _lines(call, query, found.id)


async def _line(call: Call, receipt_id: Id, line_id: Id) -> native.ReceiptLine:
    m = call.principal.merchant_id
    found = await _exists(receipt_service.by_number(call.conn, m, receipt_id), "Receipt")
    return await _exists(
        receipt_service.line(call.conn, m, found.id, number=line_id), "Receipt line"
    )


@router.get("/receipts/{receipt_id}/lines/{line_id}", access=Access.read, errors=(404,))
async def get_line(call: Call, receipt_id: Id, line_id: Id) -> Envelope:
    """One receipt line."""
    store, m = _store(call), call.principal.merchant_id
    found = await _line(call, receipt_id, line_id)
    refs = await Refs.load(call.conn, m, _customers([found]))
    return _ok(translate.line(found, refs, store))


@router.delete("/receipts/{receipt_id}/lines/{line_id}", access=Access.admin, errors=(404,))
async def delete_line(call: Call, receipt_id: Id, line_id: Id) -> Envelope:
    """Delete a receipt line (recorded; its invoice gets the amount back)."""
    _store(call)
    found = await _line(call, receipt_id, line_id)
    m, actor = call.principal.merchant_id, who(call.principal)
    await receipt_service.delete_line(call.conn, m, actor, found.receipt_id, found.id)
    return _ok({"id": line_id})


# --- payments ----------------------------------------------------------------------------


@router.post("/payments/offline", access=Access.write, idempotent=True, errors=(422,))
async def record_offline(call: Call, body: OfflinePayment) -> Envelope:
    """Record an offline payment: its receipt and lines are created, balances move."""
    _store(call)
    m = call.principal.merchant_id
    if not is_currency(body.currency):
        raise InvalidInput.field("currency", f"{body.currency!r} is not an ISO 4217 code")
    company = await _known_customer(call.conn, m, body.customer_id, "customerId")
    payer = company
    if body.payer_customer_id:
        payer = await _known_customer(call.conn, m, body.payer_customer_id, "payerCustomerId")
    allocations = await _allocations(call.conn, m, body.line_items, body.currency)
    create = native.PaymentCreate(
        customer_id=company.id,
        payer_customer_id=payer.id,
        currency=body.currency,
        total=sum(a.amount for a in allocations),
        allocations=allocations,
        processing_status=body.processing_status,
        payer_name=body.payer_name or "Store Offline Payment",
        payment_type=body.payment_type,
        reference_number=body.reference_number,
        memo=body.details.memo,
        external_id=body.external_id or None,
        external_customer_id=body.external_customer_id or None,
        channel_id=body.channel_id,
    )
    recorded = await payment_service.record(call.conn, m, who(call.principal), create)
    return _ok({"paymentId": recorded.number})


async def _payment(call: Call, payment_id: Id) -> native.Payment:
    m = call.principal.merchant_id
    return await _exists(payment_service.by_number(call.conn, m, payment_id), "Payment")


@router.route("PUT", "/payments/offline/{payment_id}", access=Access.write, errors=(404, 409, 422))
async def update_offline(call: Call, payment_id: Id, body: OfflinePaymentUpdate) -> Envelope:
    """Change an offline payment: its descriptive fields, funding and processing status,
    and its invoices and amounts (`lineItems`: lines and balances follow, recorded from →
    to); its currency and customer stay as recorded (422 when a body changes them)."""
    _store(call)
    m, actor = call.principal.merchant_id, who(call.principal)
    current = await _payment(call, payment_id)
    if body.currency is not None and body.currency != current.currency:
        raise InvalidInput.field("currency", f"the payment is in {current.currency}")
    if body.customer_id is not None:
        company = await _customer(call.conn, m, body.customer_id)
        if company is None or company.id != current.customer_id:
            raise InvalidInput.field("customerId", "a recorded payment's customer does not change")
    if body.line_items is not None:
        allocations = await _allocations(call.conn, m, body.line_items, current.currency)
        total = sum(a.amount for a in allocations)
        realloc = native.Reallocation(total=total, allocations=allocations)
        await payment_service.reallocate(call.conn, m, actor, current.id, realloc)
    changes = {
        "payer_name": body.payer_name,
        "reference_number": body.reference_number,
        "memo": body.details.memo if body.details else None,
        "external_id": body.external_id,
        "external_customer_id": body.external_customer_id,
        "funding_status": body.funding_status,
    }
    update = native.PaymentUpdate(**{k: v for k, v in changes.items() if v is not None})  # type: ignore[arg-type]
    await payment_service.update(call.conn, m, actor, current.id, update)
    if body.processing_status is not None:
        await payment_service.set_status(call.conn, m, actor, current.id, body.processing_status)
    return _ok({"paymentId": payment_id})


async def _allocations(
    conn: Connection, merchant_id: uuid.UUID, items: list[LineItem], currency: str
) -> list[native.Allocation]:
    """BC's `lineItems` (invoice ids, decimal amounts) as native allocations."""
    return [
        native.Allocation(
            invoice_id=(
                await _invoice_id(conn, merchant_id, x.invoice_id, f"lineItems[{n}].invoiceId")
            ).id,
            amount=minor_units(x.amount, currency, f"lineItems[{n}].amount"),
        )
        for n, x in enumerate(items)
    ]


_PAYMENT_SORT = {
    "moduleName": "created_at",  # one module (`payments_offline`): ties in creation order
    "processingStatus": "processing_status",
    "appliedStatus": "applied",
    "createdAt": "created_at",
    "customerId": "customer_ref",
    "externalCustomerId": "external_customer_id",
    "fundingStatus": "funding_status",
    "updatedAt": "updated_at",
    "totalAmount": "total",
}
_PAYMENT_SEARCH = {
    "customerId": "customer_ref",
    "externalId": "external_id",
    "externalCustomerId": "external_customer_id",
}


def _payment_search(q: str | None, by: str | None) -> dict[str, Any] | None:
    """BC's `q` + `searchBy` on payments as native `list` arguments (None: matches
    nothing): `id` is the exact payment id; without `searchBy` every field."""
    number = int(q) if q and q.isascii() and q.isdigit() and len(q) < 10 else None
    also = {"number": number} if number is not None else None
    if q is None or by in _PAYMENT_SEARCH:
        return {"q": q, "search_by": _PAYMENT_SEARCH.get(by or "")}
    if by is None:
        return {"q": q, "also": also}
    return None if also is None else {"q": q, "also": also, "searched": ()}


async def _channels(conn: Connection, merchant_id: uuid.UUID, found: list[Any]) -> dict[int, str]:
    """Channel id → the name of the branch with that number (the store it names)."""
    names = {}
    for number in sorted({p.channel_id for p in found if p.channel_id is not None}):
        branch = await branch_service.by_number(conn, merchant_id, number)
        if branch is not None:
            names[number] = branch.name
    return names


@router.get("/payments", access=Access.read, errors=(422,))
async def list_payments(call: Call, query: PaymentsQuery) -> Envelope:
    """Payments with their line items; BC's sort, search and filters."""
    store, m = _store(call), call.principal.merchant_id
    search = _payment_search(query.q, query.search_by)
    invoice = (
        None if query.invoice_id is None else await _invoice(call.conn, m, str(query.invoice_id))
    )
    if search is None or (query.invoice_id is not None and invoice is None):
        return _listed([], _EMPTY)
    options = {k: search.pop(k) for k in ("also", "searched") if k in search}
    native_query = native.PaymentQuery(
        **_paging(query, _PAYMENT_SORT),
        **search,
        processing_status=query.processing_status,
        customer_name=query.customer_name,
        invoice_id=invoice.id if invoice else None,
        channel_id=query.channel_ids,
    )
    page = await payment_service.list(call.conn, m, native_query, **options)
    refs = await Refs.load(call.conn, m, _customers(page.data))
    channels = await _channels(call.conn, m, page.data)
    data = [translate.payment(p, refs, store, channels) for p in page.data]
    return _listed(data, page.meta)


@router.get("/payments/{payment_id}", access=Access.read, errors=(404,))
async def get_payment(call: Call, payment_id: Id) -> Envelope:
    """One payment."""
    store, m = _store(call), call.principal.merchant_id
    found = await _payment(call, payment_id)
    refs = await Refs.load(call.conn, m, _customers([found]))
    channels = await _channels(call.conn, m, [found])
    return _ok(translate.payment(found, refs, store, channels))


@router.get("/payments/{payment_id}/transactions", access=Access.read, errors=(404,))
async def payment_transactions(call: Call, payment_id: Id) -> Envelope:
    """A payment's transactions: an offline payment's one (no gateway data)."""
    _store(call)
    return _ok(translate.transactions(await _payment(call, payment_id)))


@router.route(
    "PUT", "/payments/{payment_id}/processing-status", access=Access.write, errors=(404, 422)
)
async def set_status(call: Call, payment_id: Id, body: ProcessingStatus) -> Envelope:
    """Change the processing status (4 Refunded gives the invoices their balances back)."""
    _store(call)
    m, actor = call.principal.merchant_id, who(call.principal)
    found = await _payment(call, payment_id)
    await payment_service.set_status(call.conn, m, actor, found.id, body.processing_status)
    return _ok({"paymentId": payment_id})


@router.post("/payments/{payment_id}/operations", access=Access.write, errors=(404, 409, 422))
async def operate(call: Call, payment_id: Id, body: OperationCode) -> Envelope:
    """Operation 0 applies the payment to its invoices' balances, 1 reverts it."""
    _store(call)
    m, actor = call.principal.merchant_id, who(call.principal)
    found = await _payment(call, payment_id)
    op = "apply" if body.operation_code == 0 else "revert"
    await payment_service.operate(call.conn, m, actor, found.id, op)
    return _ok({"paymentId": payment_id})


# --- invoices ----------------------------------------------------------------------------


@router.post("/invoices", access=Access.write, idempotent=True, errors=(409, 422))
async def create_invoice(call: Call, body: InvoiceCreate) -> Envelope:
    """Create an invoice (its open balance is its original balance)."""
    _store(call)
    m = call.principal.merchant_id
    code = body.original_balance.code
    if not is_currency(code):
        raise InvalidInput.field("originalBalance.code", f"{code!r} is not an ISO 4217 code")
    company = await _known_customer(call.conn, m, body.customer_id, "customerId")
    create = native.InvoiceCreate(
        invoice_number=body.invoice_number,
        customer_id=company.id,
        currency=code,
        amount=minor_units(body.original_balance.value, code, "originalBalance.value"),
        due_date=None if body.due_date is None else translate.from_unix(body.due_date),
        external_id=body.external_id or None,
        source="b2b" if body.source == 0 else "external",
    )
    created = await invoice_service.create(call.conn, m, who(call.principal), create)
    return _ok({"id": created.number})


_INVOICE_SORT = {
    "createdAt": "created_at",
    "updatedAt": "updated_at",
    "dueDate": "due_date",
    "originalBalance": "amount",
    "openBalance": "open_balance",
}
_INVOICE_STATUS: list[native.InvoiceStatus] = ["open", "partially_paid", "completed"]


@router.get("/invoices", access=Access.read, errors=(422,))
async def list_invoices(call: Call, query: InvoicesQuery) -> Envelope:
    """Invoices; `q` is a prefix of the invoice number."""
    store, m = _store(call), call.principal.merchant_id
    native_query = native.InvoiceQuery(
        **_paging(query, _INVOICE_SORT),
        q=query.q,
        status=[_INVOICE_STATUS[s] for s in query.status],
    )
    page = await invoice_service.list(call.conn, m, native_query)
    refs = await Refs.load(call.conn, m, _customers(page.data))
    return _listed([translate.invoice(i, refs, store) for i in page.data], page.meta)


@router.get("/invoices/{invoice_id}", access=Access.read, errors=(404,))
async def get_invoice(call: Call, invoice_id: Id) -> Envelope:
    """One invoice."""
    store, m = _store(call), call.principal.merchant_id
    found = await _exists(invoice_service.by_number(call.conn, m, invoice_id), "Invoice")
    refs = await Refs.load(call.conn, m, _customers([found]))
    return _ok(translate.invoice(found, refs, store))
