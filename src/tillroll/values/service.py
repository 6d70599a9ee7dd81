"""Value receipts: one customer's delivered value over `[start, end)`, optionally for one
product or one order, as stored lines per metric (seed 000's lifecycle).

A receipt is an aggregate of the values stored with each signal (two `GROUP BY`s), never a
recomputation of formulas. Money: a line's value is its total quantity times the metric's
`value_per_unit` (a monetary metric is money already), converted to minor units of the
receipt's currency once per line, rounding half to even. A metric in another currency than
the receipt shows its quantity with no value. Sealing (`draft` → `posted`) freezes it.
"""

from __future__ import annotations

import builtins
import uuid
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Context, Decimal, localcontext
from typing import Any

import msgspec

from tillroll.customers.service import customer as customer_service
from tillroll.errors import Conflict, FieldError, InvalidInput, NotFound
from tillroll.events.catalog import EventType
from tillroll.events.service import emit
from tillroll.kit.clock import check_moment, utc_now
from tillroll.kit.db import Connection
from tillroll.kit.ids import token, uuid7
from tillroll.kit.money import EXPONENTS
from tillroll.kit.repository import next_number
from tillroll.merchants.service import merchant as merchant_service
from tillroll.products.service import product as product_service
from tillroll.values.events import (
    VALUE_RECEIPT_CREATED,
    VALUE_RECEIPT_PUBLISHED,
    VALUE_RECEIPT_SEALED,
    ValueReceiptEvent,
)
from tillroll.values.metrics import metric as metric_service
from tillroll.values.repository import ReceiptRepository, SignalRepository
from tillroll.values.schemas import (
    CustomerRef,
    Line,
    Point,
    ReceiptList,
    ReceiptQuery,
    ReceiptRequest,
    Revoked,
    Unit,
    ValueReceipt,
)

SHARE_PATH = "/p/value-receipts/"
_EXACT = Context(prec=60)


def share_token() -> str:
    """192 random bits, URL-safe."""
    return token("vr_", 24)


def plain(value: Decimal) -> Decimal:
    """Without trailing zeros or an exponent: `20.500000` → `20.5`, `1E+2` → `100`."""
    return Decimal(format(value.normalize(), "f"))


def line_value(metric: dict[str, Any], quantity_micro: int, currency: str) -> int | None:
    """Minor units of `currency` for `quantity_micro` of the metric's unit (half-even)."""
    if metric["currency"] != currency:
        return None
    with localcontext(_EXACT):
        quantity = Decimal(quantity_micro).scaleb(-6)
        if metric["unit"]["type"] == "monetary":
            amount = quantity
        elif metric["value_per_unit"] is not None:
            amount = quantity * Decimal(metric["value_per_unit"])
        else:
            return None
        return int(amount.scaleb(EXPONENTS[currency]).quantize(Decimal(1), ROUND_HALF_EVEN))


class ValueReceiptService:
    async def create(
        self, conn: Connection, merchant_id: uuid.UUID, request: ReceiptRequest
    ) -> ValueReceipt:
        key, currency = await self._key(conn, merchant_id, request)
        now = utc_now()
        row: dict[str, Any] = {
            "merchant_id": merchant_id,
            "id": uuid7(),
            "status": "draft",
            **key,
            "currency": currency,
            "share_token": share_token(),
            "is_published": False,
            "published_at": None,
            "publish_expires_at": None,
            "archived_at": None,
            "sealed_at": None,
            "created_at": now,
            "updated_at": now,
        }
        lines = await self._populate(conn, row, now)
        await ReceiptRepository.of(conn).insert(row)
        await ReceiptRepository.of(conn).replace_lines(merchant_id, row["id"], lines)
        created = await self._view(conn, row, lines)
        await _emit(conn, merchant_id, VALUE_RECEIPT_CREATED, created)
        return created

    async def sync(
        self, conn: Connection, merchant_id: uuid.UUID, request: ReceiptRequest
    ) -> tuple[ValueReceipt, bool]:
        """The receipt with this natural key, refreshed if a draft, as-is if sealed; created
        (True) when there is none."""
        key, _ = await self._key(conn, merchant_id, request)
        # the merchant's counter row, locked until commit, serialises its syncs: two at once
        # cannot both find nothing and create two receipts for one natural key
        await next_number(conn, merchant_id, "value_receipt_sync")
        found = await ReceiptRepository.of(conn).by_key(merchant_id, key)
        if found is None:
            return await self.create(conn, merchant_id, request), True
        if found["status"] == "posted":
            return await self._load(conn, found), False
        return await self.refresh(conn, merchant_id, found["id"]), False

    async def get(
        self, conn: Connection, merchant_id: uuid.UUID, receipt_id: uuid.UUID
    ) -> ValueReceipt:
        return await self._load(conn, await self._row(conn, merchant_id, receipt_id))

    async def list(
        self, conn: Connection, merchant_id: uuid.UUID, query: ReceiptQuery
    ) -> ReceiptList:
        customer_id = query.customer_id
        if query.external_customer_id is not None:
            found = await customer_service.find(
                conn, merchant_id, "external_id", query.external_customer_id
            )
            if found is None or customer_id not in (None, found.id):
                return ReceiptList(data=[], total=0)
            customer_id = found.id
        filters = {
            "customer_id": customer_id,
            "product_id": query.product_id,
            "order_id": query.order_id,
        }
        rows, total = await ReceiptRepository.of(conn).page(
            merchant_id, filters, query.archived, query.limit, query.offset
        )
        return ReceiptList(data=await self._views(conn, merchant_id, rows), total=total)

    async def refresh(
        self, conn: Connection, merchant_id: uuid.UUID, receipt_id: uuid.UUID
    ) -> ValueReceipt:
        row = await self._row(conn, merchant_id, receipt_id, lock=True)
        if row["status"] == "posted":
            raise Conflict(f"Value receipt {receipt_id} is sealed; it cannot be refreshed.")
        now = utc_now()
        lines = await self._populate(conn, row, now)
        row["updated_at"] = now
        changed = {
            k: row[k] for k in ("total_delivered_value", "series", "generated_at", "updated_at")
        }
        await ReceiptRepository.of(conn).update(merchant_id, receipt_id, changed)
        await ReceiptRepository.of(conn).replace_lines(merchant_id, receipt_id, lines)
        return await self._view(conn, row, lines)

    async def seal(
        self, conn: Connection, merchant_id: uuid.UUID, receipt_id: uuid.UUID
    ) -> ValueReceipt:
        row = await self._row(conn, merchant_id, receipt_id, lock=True)
        if row["status"] == "posted":
            raise Conflict(f"Value receipt {receipt_id} is already sealed.")
        now = utc_now()
        sealed = await self._change(conn, row, {"status": "posted", "sealed_at": now})
        await _emit(conn, merchant_id, VALUE_RECEIPT_SEALED, sealed)
        return sealed

    async def publish(
        self,
        conn: Connection,
        merchant_id: uuid.UUID,
        receipt_id: uuid.UUID,
        expires: datetime | None,
    ) -> ValueReceipt:
        row = await self._row(conn, merchant_id, receipt_id, lock=True)
        if row["archived_at"] is not None:
            raise Conflict(f"Value receipt {receipt_id} is archived; unarchive it first.")
        now = utc_now()
        check_moment("publish_expires_at", expires)
        if expires is not None and expires <= now:
            raise InvalidInput.field("publish_expires_at", "must be in the future")
        changes = {"is_published": True, "published_at": now, "publish_expires_at": expires}
        published = await self._change(conn, row, changes)
        await _emit(conn, merchant_id, VALUE_RECEIPT_PUBLISHED, published)
        return published

    async def unpublish(
        self, conn: Connection, merchant_id: uuid.UUID, receipt_id: uuid.UUID
    ) -> ValueReceipt:
        row = await self._row(conn, merchant_id, receipt_id, lock=True)
        return await self._change(conn, row, {"is_published": False})

    async def archive(
        self, conn: Connection, merchant_id: uuid.UUID, receipt_id: uuid.UUID
    ) -> ValueReceipt:
        row = await self._row(conn, merchant_id, receipt_id, lock=True)
        return await self._change(conn, row, {"archived_at": row["archived_at"] or utc_now()})

    async def unarchive(
        self, conn: Connection, merchant_id: uuid.UUID, receipt_id: uuid.UUID
    ) -> ValueReceipt:
        row = await self._row(conn, merchant_id, receipt_id, lock=True)
        if row["archived_at"] is None:
            raise Conflict(f"Value receipt {receipt_id} is not archived.")
        return await self._change(conn, row, {"archived_at": None})

    async def rotate_token(
        self, conn: Connection, merchant_id: uuid.UUID, receipt_id: uuid.UUID
    ) -> ValueReceipt:
        """A new share token: links with the old one stop working at once."""
        row = await self._row(conn, merchant_id, receipt_id, lock=True)
        return await self._change(conn, row, {"share_token": share_token()})

    async def revoke_all(self, conn: Connection, merchant_id: uuid.UUID) -> Revoked:
        """Unpublish every receipt of the merchant."""
        count = await ReceiptRepository.of(conn).unpublish_all(merchant_id, utc_now())
        return Revoked(unpublished=count)

    async def by_token(self, conn: Connection, share: str) -> ValueReceipt | None:
        """Any merchant's receipt by share token (the public pages decide who may see it)."""
        if not share.startswith("vr_") or len(share) > 64:
            return None
        row = await ReceiptRepository.of(conn).by_token(share)
        return None if row is None else await self._load(conn, row)

    async def merchant_of(self, conn: Connection, share: str) -> uuid.UUID | None:
        row = await ReceiptRepository.of(conn).by_token(share) if share.startswith("vr_") else None
        return None if row is None else row["merchant_id"]

    # --- inside ---------------------------------------------------------------------------

    async def _key(
        self, conn: Connection, merchant_id: uuid.UUID, request: ReceiptRequest
    ) -> tuple[dict[str, Any], str]:
        errors: builtins.list[FieldError] = []
        if (request.customer_id is None) == (request.external_customer_id is None):
            errors.append(
                FieldError(
                    "customer_id", "give exactly one of customer_id and external_customer_id"
                )
            )
        if request.product_id is not None and request.order_id is not None:
            errors.append(FieldError("order_id", "scope to a product or an order, not both"))
        for loc in ("start", "end"):
            try:
                check_moment(loc, getattr(request, loc))
            except InvalidInput as exc:
                errors += exc.errors
        if request.end <= request.start:
            errors.append(FieldError("end", "must be after start"))
        if request.currency is not None and request.currency not in EXPONENTS:
            errors.append(
                FieldError("currency", f"{request.currency!r} is not an ISO 4217 currency")
            )
        if errors:
            raise InvalidInput.fields(errors)
        if request.customer_id is not None:
            customer_id = (await customer_service.get(conn, merchant_id, request.customer_id)).id
        else:
            found = await customer_service.find(
                conn, merchant_id, "external_id", str(request.external_customer_id)
            )
            if found is None:
                raise NotFound(f"No customer with external id {request.external_customer_id!r}.")
            customer_id = found.id
        if request.product_id is not None:
            await product_service.get(conn, merchant_id, request.product_id)
        currency = request.currency
        if currency is None:
            currency = (await merchant_service.get(conn, merchant_id)).settings.default_currency
        key = {
            "customer_id": customer_id,
            "product_id": request.product_id,
            "order_id": request.order_id,
            "start_at": request.start,
            "end_at": request.end,
        }
        return key, currency

    async def _populate(
        self, conn: Connection, row: dict[str, Any], now: datetime
    ) -> builtins.list[dict[str, Any]]:
        """Fill `row`'s total, series and generated time; return its lines."""
        merchant_id = row["merchant_id"]
        scope = {k: row[k] for k in ("customer_id", "product_id", "order_id")}
        per_day = await SignalRepository.of(conn).totals(
            merchant_id, scope, row["start_at"], row["end_at"]
        )
        totals: dict[uuid.UUID, list[int]] = {}  # metric → [occurrences, quantity]
        for point in per_day:
            total = totals.setdefault(point["metric_id"], [0, 0])
            total[0] += int(point["n"])
            total[1] += int(point["q"])
        found = await metric_service.rows(conn, merchant_id, list(totals))
        metrics = {m["id"]: m for m in found}
        lines = [
            _line_row(row, number + 1, metrics[metric_id], *totals[metric_id])
            for number, metric_id in enumerate(sorted(totals))
        ]
        days: dict[int, int] = {}
        for point in per_day:
            value = line_value(metrics[point["metric_id"]], int(point["q"]), row["currency"])
            days[point["day"]] = days.get(point["day"], 0) + (value or 0)
        row["total_delivered_value"] = sum(line["value"] or 0 for line in lines)
        row["series"] = [[date.fromordinal(d).isoformat(), v] for d, v in sorted(days.items())]
        row["generated_at"] = now
        return lines

    async def _row(
        self, conn: Connection, merchant_id: uuid.UUID, receipt_id: uuid.UUID, *, lock: bool = False
    ) -> dict[str, Any]:
        found = await ReceiptRepository.of(conn).get(
            merchant_id, receipt_id, conn.for_update() if lock else ""
        )
        if found is None:
            raise NotFound(f"No value receipt {receipt_id}.")
        return found

    async def _change(
        self, conn: Connection, row: dict[str, Any], changes: dict[str, Any]
    ) -> ValueReceipt:
        changes["updated_at"] = utc_now()
        await ReceiptRepository.of(conn).update(row["merchant_id"], row["id"], changes)
        return await self._load(conn, {**row, **changes})

    async def _load(self, conn: Connection, row: dict[str, Any]) -> ValueReceipt:
        return (await self._views(conn, row["merchant_id"], [row]))[0]

    async def _view(
        self, conn: Connection, row: dict[str, Any], lines: builtins.list[dict[str, Any]]
    ) -> ValueReceipt:
        customers = await customer_service.get_many(conn, row["merchant_id"], [row["customer_id"]])
        return _view(row, lines, customers)

    async def _views(
        self, conn: Connection, merchant_id: uuid.UUID, rows: builtins.list[dict[str, Any]]
    ) -> builtins.list[ValueReceipt]:
        ids = [r["id"] for r in rows]
        lines = await ReceiptRepository.of(conn).lines(merchant_id, ids)
        customers = await customer_service.get_many(
            conn, merchant_id, list({r["customer_id"] for r in rows})
        )
        return [_view(r, lines[r["id"]], customers) for r in rows]


def _view(
    row: dict[str, Any], lines: builtins.list[dict[str, Any]], customers: dict[uuid.UUID, Any]
) -> ValueReceipt:
    customer = customers.get(row["customer_id"])
    name = " ".join(p for p in (customer.first_name, customer.last_name) if p) if customer else ""
    return ValueReceipt(
        id=row["id"],
        status=row["status"],
        customer=CustomerRef(
            id=row["customer_id"],
            external_id=customer.external_id if customer else None,
            name=name or None,
        ),
        product_id=row["product_id"],
        order_id=row["order_id"],
        currency=row["currency"],
        start=row["start_at"],
        end=row["end_at"],
        total_delivered_value=row["total_delivered_value"],
        lines=[_line(line) for line in lines],
        series=[Point(day=d, value=v) for d, v in row["series"]],
        share_token=row["share_token"],
        share_url=SHARE_PATH + row["share_token"],
        is_published=row["is_published"],
        published_at=row["published_at"],
        publish_expires_at=row["publish_expires_at"],
        archived_at=row["archived_at"],
        sealed_at=row["sealed_at"],
        generated_at=row["generated_at"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _line_row(
    row: dict[str, Any], number: int, metric: dict[str, Any], occurrences: int, quantity: int
) -> dict[str, Any]:
    """A stored line: the metric as it is now (name, version, unit) and its totals."""
    return {
        "merchant_id": row["merchant_id"],
        "receipt_id": row["id"],
        "line_no": number,
        "metric_id": metric["id"],
        "slug": metric["slug"],
        "version": metric["version"],
        "name": metric["name"],
        "unit": metric["unit"],
        "occurrences": occurrences,
        "quantity_micro": quantity,
        "value": line_value(metric, quantity, row["currency"]),
    }


async def _emit(
    conn: Connection, merchant_id: uuid.UUID, event: EventType, receipt: ValueReceipt
) -> None:
    """The receipt's event, in the caller's transaction."""
    data = ValueReceiptEvent(
        id=receipt.id,
        customer_id=receipt.customer.id,
        status=receipt.status,
        currency=receipt.currency,
        start=receipt.start,
        end=receipt.end,
        total_delivered_value=receipt.total_delivered_value,
        is_published=receipt.is_published,
    )
    await emit(conn, merchant_id, event, data)


def _line(line: dict[str, Any]) -> Line:
    return Line(
        metric_id=line["metric_id"],
        slug=line["slug"],
        version=line["version"],
        name=line["name"],
        unit=msgspec.convert(line["unit"], Unit),
        occurrences=line["occurrences"],
        quantity=plain(Decimal(line["quantity_micro"]).scaleb(-6)),
        value=line["value"],
    )


value_receipt = ValueReceiptService()
