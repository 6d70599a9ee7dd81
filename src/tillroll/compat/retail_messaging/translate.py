"""The retail-messaging documents ↔ the native order services. Money (decimal strings ↔
integer minor units) and time (unix seconds ↔ aware UTC) cross only here.

Each `*_body` returns the native request and collects every problem as a `FieldError` named
the way the document names it (`items[0].price`, `total_cost`), so one answer lists them all.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import msgspec

from tillroll.compat.retail_messaging.schemas import (
    Address,
    ItemRef,
    NotifyMe,
    OrderView,
    ReceiptItem,
    RetailReceipt,
    RetailShipment,
    RetailUpdate,
    ViewChange,
    ViewItem,
    ViewRevision,
    ViewShipment,
)
from tillroll.errors import FieldError, InvalidInput, TillrollError
from tillroll.kit import parse
from tillroll.kit.clock import EARLIEST_YEAR, LATEST_YEAR
from tillroll.kit.money import EXPONENTS, from_decimal_string, is_currency, to_decimal_string
from tillroll.orders.schemas import Order, Revision, Shipment
from tillroll.receipts.schemas import Receipt

_CARD = re.compile(r"(?P<brand>.*\S)\s+(?P<last4>\d{4})")
_MAX_QUANTITY = 1_000_000


class Problems:
    """The field errors of one document."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def add(self, loc: str, message: str) -> None:
        self.errors.append(FieldError(loc, message))

    def required(self, doc: msgspec.Struct, prefix: str, *names: str) -> None:
        for name in names:
            value = getattr(doc, name)
            if value is None or (isinstance(value, str) and not value.strip()):
                self.add(f"{prefix}{name}", "required field missing")

    def check(self) -> None:
        if self.errors:
            raise InvalidInput.fields(self.errors)

    def money(self, loc: str, value: Decimal | None, currency: str | None) -> int | None:
        if value is None or currency is None or not is_currency(currency):
            return None
        try:
            exact = parse.bounded(value, field=loc)
            return from_decimal_string(format(exact, "f"), currency, field=loc)
        except InvalidInput as exc:
            self.errors += exc.errors
            return None

    def quantity(self, loc: str, value: Decimal | None, default: int | None) -> int | None:
        if value is None:
            return default
        if not value.is_finite() or value != value.to_integral_value() or value < 0:
            self.add(loc, f"{value} is not a whole number of items")
        elif value > _MAX_QUANTITY:
            self.add(loc, f"{value} is more than {_MAX_QUANTITY}")
        else:
            return int(value)
        return None

    def moment(self, loc: str, value: str | int | None) -> datetime | None:
        """Unix seconds (`"1423076008"` or `1423076008`) → aware UTC."""
        if value is None:
            return None
        try:
            seconds = value if isinstance(value, int) else parse.integer(value.strip(), field=loc)
            moment = datetime.fromtimestamp(seconds, UTC)
        except InvalidInput as exc:
            self.errors += exc.errors
            return None
        except (OverflowError, OSError, ValueError):
            moment = None
        if moment is None or not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
            self.add(loc, f"{value} is not a unix time between {EARLIEST_YEAR} and {LATEST_YEAR}")
            return None
        return moment

    def address(self, loc: str, address: Address | None, *required: str) -> dict[str, Any] | None:
        if address is None:
            self.add(loc, "required field missing")
            return None
        self.required(address, f"{loc}.", *required)
        fields = msgspec.structs.asdict(address)
        return {k: v.strip() for k, v in fields.items() if v is not None and v.strip()}


def _currency(problems: Problems, loc: str, currency: str | None) -> str | None:
    if currency is not None and not is_currency(currency):
        problems.add(loc, f"{currency[:64]!r} is not an ISO 4217 currency code")
        return None
    return currency


def receipt_bodies(doc: RetailReceipt) -> tuple[dict[str, Any], dict[str, Any]]:
    """The native receipt and order bodies of a `retail_receipts` document."""
    p = Problems()
    p.required(doc, "", "receipt_id", "items", "timestamp", "account_holder_name",
               "structured_address", "payment_method", "subtotal", "shipping_cost",
               "total_tax", "total_cost", "currency")  # fmt: skip
    recipient = _recipient(p, doc)
    currency = _currency(p, "currency", doc.currency)
    issued_at = p.moment("timestamp", doc.timestamp)
    address = p.address("structured_address", doc.structured_address,
                        "street_1", "city", "state", "postal_code", "country")  # fmt: skip
    lines, details = _lines(p, doc.items or [], currency)
    totals = {
        name: p.money(source, getattr(doc, source), currency)
        for name, source in (("subtotal", "subtotal"), ("shipping_total", "shipping_cost"),
                             ("tax_total", "total_tax"), ("total", "total_cost"))
    }  # fmt: skip
    if doc.items == []:
        p.add("items", "an order has at least one item")
    p.check()
    receipt = {
        "external_id": doc.receipt_id, "type": "online", "issued_at": issued_at,
        "currency": currency, "prices_include_tax": False, "lines": lines, **totals,
        "payments": [_payment(doc.payment_method or "", totals["total"] or 0)],
    }  # fmt: skip
    order = {
        "account_holder_name": doc.account_holder_name, "recipient_name": recipient,
        "shipping_address": address, "shipping_method": doc.shipping_method or None,
        "payment_method": doc.payment_method, "order_url": doc.order_url or None,
        "cancellation_url": doc.cancellation_url or None, "items": details,
    }  # fmt: skip
    return receipt, order


def _recipient(p: Problems, doc: RetailReceipt) -> str | None:
    """`recipient_name` (the example's spelling) or `receipt_name` (the field table's)."""
    names = {n for n in (doc.recipient_name, doc.receipt_name) if n is not None and n.strip()}
    if len(names) > 1:
        p.add("recipient_name", "differs from receipt_name; give one of them")
    elif not names:
        p.add("recipient_name", "required field missing")
    return names.pop() if len(names) == 1 else None


def _lines(
    p: Problems, items: list[ReceiptItem], currency: str | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    lines, details = [], []
    seen: set[str] = set()
    for index, item in enumerate(items):
        loc = f"items[{index}]"
        p.required(item, f"{loc}.", "id", "name", "currency", "price", "item_url")
        if item.id is not None and item.id in seen:
            p.add(f"{loc}.id", f"{item.id!r} is given twice")
        seen.add(item.id or "")
        if item.currency is not None and currency is not None and item.currency != currency:
            p.add(f"{loc}.currency", f"{item.currency!r} is not the order's {currency}")
        price = p.money(f"{loc}.price", item.price, currency)
        quantity = p.quantity(f"{loc}.quantity", item.quantity, 1)
        if quantity == 0:
            p.add(f"{loc}.quantity", "an ordered item has a quantity of at least 1")
        total = (price or 0) * (quantity or 0)
        lines.append({
            "sku": item.id, "name": item.name, "quantity": str(quantity), "unit_price": price,
            "total": total, "metadata": item.metadata,
        })  # fmt: skip
        details.append({
            "line_no": index + 1, "item_id": item.id, "item_url": item.item_url or None,
            "thumb_url": item.thumb_url or None, "metadata": item.metadata,
        })  # fmt: skip
    return lines, details


def _payment(method: str, total: int) -> dict[str, Any]:
    """`"Visa 1234"` → a card payment (brand Visa, last four 1234) of the whole total."""
    match = _CARD.fullmatch(method.strip())
    if match:
        return {"method": "card", "amount": total, "card_brand": match["brand"][:64],
                "card_last4": match["last4"]}  # fmt: skip
    return {"method": method.strip()[:64] or "unknown", "amount": total}


def item_lines(p: Problems, refs: list[ItemRef], order: Order, receipt_id: str) -> list[int]:
    """The line number of each referenced item id (unknown ids are field errors)."""
    by_id = {i.item_id: i.line_no for i in order.items}
    lines = []
    for index, ref in enumerate(refs):
        p.required(ref, f"items[{index}].", "id")
        line_no = by_id.get(ref.id or "")
        if ref.id and line_no is None:
            p.add(f"items[{index}].id", f"receipt {receipt_id!r} has no item {ref.id!r}")
        lines.append(line_no or 0)
    return lines


def shipment_body(doc: RetailShipment, order: Order) -> dict[str, Any]:
    p = Problems()
    p.required(doc, "", "carrier", "items", "ship_date")
    refs = doc.items or []
    lines = item_lines(p, refs, order, doc.receipt_id or "")
    quantities = [p.quantity(f"items[{i}].quantity", r.quantity, None) for i, r in enumerate(refs)]
    for index, (ref, quantity) in enumerate(zip(refs, quantities, strict=True)):
        if ref.quantity is None:
            p.add(f"items[{index}].quantity", "required field missing")
        elif quantity == 0:
            p.add(f"items[{index}].quantity", "a shipment carries at least 1 of an item")
    ship_date = p.moment("ship_date", doc.ship_date)
    origin = p.address("origin", doc.origin, "city", "state", "postal_code", "country")
    destination = p.address("destination", doc.destination,
                            "street_1", "city", "state", "postal_code", "country")  # fmt: skip
    if doc.items == []:
        p.add("items", "a shipment carries at least one item")
    p.check()
    body: dict[str, Any] = {
        "carrier": doc.carrier, "tracking_number": doc.tracking_number or None,
        "tracking_url": doc.carrier_tracking_url or None,
        "items": [{"line_no": n, "quantity": q} for n, q in zip(lines, quantities, strict=True)],
        "ship_date": ship_date, "origin": origin, "destination": destination,
    }  # fmt: skip
    if doc.weight is not None:
        body["weight"] = format(doc.weight, "f")
    if doc.weight_unit is not None:
        body["weight_unit"] = doc.weight_unit
    return body


def update_body(doc: RetailUpdate, order: Order) -> dict[str, Any]:
    p = Problems()
    p.required(doc, "", "update_type", "items", "timestamp")
    if doc.currency is not None and doc.currency != order.currency:
        p.add("currency", f"{doc.currency[:64]!r} is not the order's {order.currency}")
    refs = doc.items or []
    lines = item_lines(p, refs, order, doc.receipt_id or "")
    quantities = [p.quantity(f"items[{i}].quantity", r.quantity, None) for i, r in enumerate(refs)]
    timestamp = p.moment("timestamp", doc.timestamp)
    totals = {
        name: p.money(source, getattr(doc, source), order.currency)
        for name, source in (("subtotal", "updated_sub_total"),
                             ("shipping_total", "updated_shipping_cost"),
                             ("tax_total", "updated_total_tax"), ("total", "updated_total"))
    }  # fmt: skip
    p.check()
    return {
        "update_type": doc.update_type, "update_id": doc.update_id or None,
        "timestamp": timestamp,
        "items": [{"line_no": n, "quantity": q} for n, q in zip(lines, quantities, strict=True)],
        **{k: v for k, v in totals.items() if v is not None},
    }  # fmt: skip


def notify_fields(doc: NotifyMe) -> dict[str, Any]:
    """The product and notification fields of a `notifyme` document."""
    p = Problems()
    p.required(doc, "", "notification_id", "name", "url", "thumb_url", "category")
    currency = _currency(p, "currency", doc.currency)
    if doc.price is not None and currency is None:
        p.add("currency", "is required with a price")
    price = p.money("price", doc.price, currency)
    p.check()
    return {
        "external_id": doc.notification_id, "name": doc.name, "url": doc.url,
        "thumb_url": doc.thumb_url, "category": doc.category, "currency": currency,
        "price": price, "description": doc.desc, "metadata": doc.metadata,
    }  # fmt: skip


# --- native → facade ----------------------------------------------------------------------


def _unix(moment: datetime) -> str:
    return str(int(moment.timestamp()))


def view(
    receipt: Receipt, order: Order | None, revisions: list[Revision], shipments: list[Shipment]
) -> OrderView:
    currency = receipt.currency

    def money(amount: int) -> str:
        return to_decimal_string(amount, currency)

    totals = order.totals if order else None
    ids = {i.line_no: i.item_id for i in order.items} if order else {}
    return OrderView(
        receipt_id=receipt.external_id, status=order.status if order else "", currency=currency,
        subtotal=money(totals.subtotal if totals else receipt.subtotal),
        shipping_cost=money(totals.shipping_total if totals else receipt.shipping_total),
        total_tax=money(totals.tax_total if totals else receipt.tax_total),
        total_cost=money(totals.total if totals else receipt.total),
        items=[
            ViewItem(id=i.item_id, name=i.name, price=_price(i.unit_price, currency),
                     quantity=str(i.quantity), ordered=str(i.ordered), shipped=str(i.shipped))
            for i in (order.items if order else [])
        ],
        revisions=[
            ViewRevision(
                revision=r.revision, update_id=r.update_id, update_type=r.update_type,
                timestamp=_unix(r.happened_at),
                items=[ViewChange(id=c.item_id, quantity_before=str(c.quantity_before),
                                  quantity_after=str(c.quantity_after)) for c in r.changes],
                sub_total=money(r.totals_after.subtotal),
                shipping_cost=money(r.totals_after.shipping_total),
                total_tax=money(r.totals_after.tax_total), total=money(r.totals_after.total),
            )
            for r in revisions
        ],
        shipments=[
            ViewShipment(
                carrier=s.carrier, tracking_number=s.tracking_number,
                carrier_tracking_url=s.tracking_url,
                items=[ItemRef(id=ids.get(i.line_no, str(i.line_no)),
                               quantity=Decimal(i.quantity)) for i in s.items],
                ship_date=_unix(s.ship_date), status=s.status,
            )
            for s in shipments
        ],
    )  # fmt: skip


def _price(unit_price: str, currency: str) -> str:
    """A unit price in minor units (`"1500"`) as the document wrote it (`"15.00"`)."""
    whole = Decimal(unit_price)
    if whole == whole.to_integral_value():
        return to_decimal_string(int(whole), currency)
    return format(whole.scaleb(-EXPONENTS[currency]), "f")


RENAMES = {
    "external_id": "receipt_id", "issued_at": "timestamp", "lines": "items",
    "shipping_total": "shipping_cost", "tax_total": "total_tax", "total": "total_cost",
    "shipping_address": "structured_address", "tracking_url": "carrier_tracking_url",
    "line_no": "id",
}  # fmt: skip
NOTIFY_RENAMES = {
    "external_id": "notification_id", "image_url": "thumb_url", "description": "desc",
}  # fmt: skip
UPDATE_RENAMES = {
    **RENAMES, "subtotal": "updated_sub_total", "shipping_total": "updated_shipping_cost",
    "tax_total": "updated_total_tax", "total": "updated_total",
}  # fmt: skip


def renamed(exc: TillrollError, names: dict[str, str]) -> TillrollError:
    """A native error with its field names as the document names them."""
    exc.errors = [
        FieldError(
            "".join(names.get(part, part) for part in re.split(r"(\.|\[\d+\])", e.loc)), e.message
        )
        for e in exc.errors
    ]
    return exc
