"""Native objects ↔ Paid's shapes. Paid-only customer and product fields are kept in the
native row's `metadata` under the key `paid`; money crosses as Paid's float of major units
only here (`major`), from the exact integer of minor units."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import msgspec

from tillroll.compat.paid import schemas as paid
from tillroll.customers.schemas import Customer, CustomerCreate, CustomerUpdate
from tillroll.errors import InvalidInput
from tillroll.kit.address import Address
from tillroll.kit.ids import uuid7
from tillroll.kit.money import EXPONENTS
from tillroll.products.schemas import Product, ProductCreate, ProductUpdate
from tillroll.values import schemas as native

EXTRA = "paid"  # the metadata key of the Paid-only fields
_CUSTOMER_EXTRAS = ("legal_name", "website", "vat_number", "creation_state", "default_currency")


def as_uuid(text: str | None) -> uuid.UUID | None:
    """A Paid id as ours; None when it cannot be one (it then names nothing)."""
    try:
        return None if text is None else uuid.UUID(text)
    except ValueError:
        return None


def major(amount: int, currency: str) -> float:
    return float(Decimal(amount).scaleb(-EXPONENTS[currency]))


def pagination(limit: int, offset: int, total: int) -> paid.Pagination:
    return paid.Pagination(limit=limit, offset=offset, total=total, has_more=offset + limit < total)


def _split(metadata: dict[str, Any] | None) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """(the caller's own metadata, the Paid-only fields)."""
    if not metadata:
        return metadata, {}
    own = {k: v for k, v in metadata.items() if k != EXTRA}
    return (own or None), dict(metadata.get(EXTRA) or {})


def _joined(own: dict[str, Any] | None, extras: dict[str, Any]) -> dict[str, Any] | None:
    extras = {k: v for k, v in extras.items() if v is not None}
    return {**(own or {}), EXTRA: extras} if extras else own


# --- customers ------------------------------------------------------------------------------


def _address(given: paid.BillingAddress | None) -> Address | None:
    if given is None:
        return None
    lines = [x for x in (given.line1, given.line2) if x]
    raw = {"lines": lines, "city": given.city, "postal_code": given.zip_code,
           "region": given.state, "country": given.country}  # fmt: skip
    try:
        return msgspec.convert(raw, Address)
    except msgspec.ValidationError as exc:
        raise InvalidInput.field("billingAddress", str(exc)) from None


def customer_create(body: paid.CustomerIn) -> CustomerCreate:
    if body.name is None:
        raise InvalidInput.field("name", "required field missing")
    extras = {k: getattr(body, k) for k in _CUSTOMER_EXTRAS}
    extras["churn_date"] = body.churn_date.isoformat() if body.churn_date else None
    return CustomerCreate(
        first_name=body.name,
        email=body.email,
        phone=body.phone,
        external_id=body.external_id,
        billing_address=_address(body.billing_address),
        metadata=_joined(body.metadata, extras),
    )


def customer_update(current: Customer, body: paid.CustomerIn) -> CustomerUpdate:
    """A PUT: the fields given replace, the others stay."""
    own, extras = _split(current.metadata)
    given = {f: getattr(body, f) for f in body.__struct_fields__ if getattr(body, f) is not None}
    extras |= {k: v for k, v in given.items() if k in _CUSTOMER_EXTRAS}
    if body.churn_date is not None:
        extras["churn_date"] = body.churn_date.isoformat()
    update = CustomerUpdate(metadata=_joined(given.get("metadata", own), extras))
    if body.name is not None:
        update.first_name = body.name
    for name in ("email", "phone", "external_id"):
        if name in given:
            setattr(update, name, given[name])
    if body.billing_address is not None:
        update.billing_address = _address(body.billing_address)
    return update


def customer_out(c: Customer, currency: str) -> paid.Customer:
    own, extras = _split(c.metadata)
    address = c.billing_address
    billing = None
    if address is not None:
        lines = [*address.lines, None, None]
        billing = {"line1": lines[0], "line2": lines[1], "city": address.city,
                   "state": address.region, "zipCode": address.postal_code,
                   "country": address.country}  # fmt: skip
    churned = extras.get("churn_date")
    name = " ".join(p for p in (c.first_name, c.last_name) if p)
    return paid.Customer(
        id=str(c.id),
        name=name or c.external_id or "",
        legal_name=extras.get("legal_name"),
        email=c.email or "",
        phone=c.phone or "",
        website=extras.get("website") or "",
        external_id=c.external_id,
        billing_address=billing,
        creation_state=extras.get("creation_state") or "active",
        status="churned" if churned else "active",
        churn_date=msgspec.convert(churned, paid.Aware) if churned else None,
        vat_number=extras.get("vat_number"),
        metadata=own,
        default_currency=extras.get("default_currency") or currency,
        connections=paid.Connections(),
        created_at=c.created_at,
        updated_at=c.updated_at,
    )


# --- products -------------------------------------------------------------------------------


def product_create(body: paid.ProductIn) -> ProductCreate:
    if body.name is None:
        raise InvalidInput.field("name", "required field missing")
    generated = body.external_id is None
    sku = body.external_id or f"paid-{uuid7().hex}"
    extras = {"active": body.active, "product_code": body.product_code, "generated": generated}
    return ProductCreate(
        external_id=sku,
        name=body.name,
        description=body.description,
        metadata=_joined(body.metadata, extras),
    )


def product_update(current: Product, body: paid.ProductIn) -> ProductUpdate:
    own, extras = _split(current.metadata)
    for name in ("active", "product_code"):
        if (value := getattr(body, name)) is not None:
            extras[name] = value
    update = ProductUpdate()
    if body.external_id is not None:
        update.external_id, extras["generated"] = body.external_id, False
    if body.name is not None:
        update.name = body.name
    if body.description is not None:
        update.description = body.description
    update.metadata = _joined(body.metadata if body.metadata is not None else own, extras)
    return update


def product_out(p: Product) -> paid.Product:
    own, extras = _split(p.metadata)
    active = extras.get("active")
    return paid.Product(
        id=str(p.id),
        name=p.name,
        description=p.description,
        created_at=p.created_at,
        updated_at=p.updated_at,
        active=True if active is None else bool(active),
        product_code=extras.get("product_code"),
        external_id=None if extras.get("generated") else p.external_id,
        archived_at=None,
        metadata=own,
    )


# --- signals --------------------------------------------------------------------------------


def signal_in(item: paid.SignalIn) -> native.SignalCreate | None:
    """The native signal; None when an id cannot name anything (the item then fails)."""
    customer, attribution = item.customer, item.attribution or paid.Attribution()
    customer_id = as_uuid(customer.customer_id)
    product_id = as_uuid(attribution.product_id)
    if (customer.customer_id and customer_id is None) or (
        attribution.product_id and product_id is None
    ):
        return None
    return native.SignalCreate(
        event_name=item.event_name,
        customer_id=customer_id,
        external_customer_id=customer.external_customer_id,
        product_id=product_id,
        external_product_id=attribution.external_product_id,
        timestamp=item.timestamp,
        data=item.data,
        idempotency_key=item.idempotency_key,
    )


def signal_out(s: native.Signal, skus: dict[uuid.UUID, str]) -> paid.SignalItem:
    return paid.SignalItem(
        id=str(s.id),
        name=s.event_name,
        customer_id=str(s.customer_id),
        external_customer_id=s.external_customer_id,
        product_id=str(s.product_id) if s.product_id else None,
        external_product_id=skus.get(s.product_id) if s.product_id else None,
        trace_id=None,
        data=s.data,
        created_at=s.created_at,
    )


# --- value metrics --------------------------------------------------------------------------


def metric_create(body: paid.MetricCreate) -> native.MetricCreate:
    defaults = body.signal.defaults or {}
    missing = [v.id for v in body.formula.variables if v.id not in defaults]
    if missing:
        raise InvalidInput.field(f"signal.defaults.{missing[0]}", "every variable needs a default")
    variables = [
        native.Variable(id=v.id, default=_decimal(defaults[v.id]), label=v.label)
        for v in body.formula.variables
    ]
    conversion = body.monetary_conversion
    return native.MetricCreate(
        name=body.name,
        slug=body.slug,
        event_name=body.signal.event_name,
        formula=native.Formula(expression=body.formula.expression, variables=variables),
        unit=_unit(body.unit),
        value_per_unit=None if conversion is None else _decimal(conversion.value_per_unit),
        description=body.description,
    )


def metric_update(body: paid.MetricUpdate) -> native.MetricUpdate:
    update = native.MetricUpdate()
    if body.name is not None:
        update.name = body.name
    if body.unit is not None:
        update.unit = _unit(body.unit)
    if body.monetary_conversion is not None:
        update.value_per_unit = _decimal(body.monetary_conversion.value_per_unit)
    if body.variables:
        values = {k: v.value for k, v in body.variables.items() if v.value is not None}
        update.defaults = {k: _decimal(v) for k, v in values.items()}
    if body.description is not None:
        update.description = body.description
    if body.archived_at is not msgspec.UNSET:
        update.archived = body.archived_at is not None
    return update


def _unit(unit: paid.UnitIn) -> native.Unit:
    return native.Unit(type=unit.type, duration_unit=unit.duration_unit, unit=unit.unit,
                       unit_display=unit.unit_display)  # fmt: skip


def _decimal(value: float) -> Decimal:
    return Decimal(repr(value))


def metric_summary(m: native.Metric) -> paid.MetricSummary:
    return paid.MetricSummary(**_summary_fields(m))


def metric_detail(m: native.Metric) -> paid.MetricDetail:
    variables = [paid.FormulaVariable(id=v.id, label=v.label or v.id) for v in m.formula.variables]
    defaults = {v.id: float(v.default) for v in m.formula.variables}
    return paid.MetricDetail(
        **_summary_fields(m),
        formula=paid.FormulaOut(
            id=m.slug, label=m.name, expression=m.formula.expression, variables=variables
        ),
        signals=[paid.BindingOut(event_name=m.event_name, label=None, defaults=defaults)],
    )


def _summary_fields(m: native.Metric) -> dict[str, Any]:
    conversion = None
    if m.value_per_unit is not None:
        rate = float(m.value_per_unit)
        conversion = paid.ConversionOut(
            value_per_unit=rate,
            label="rate",
            expression="unit_value * rate",
            variables=[paid.ConversionVariable(id="rate", label="rate", default=rate)],
        )
    unit = paid.UnitOut(type=m.unit.type, duration_unit=m.unit.duration_unit,
                        unit=m.unit.unit, unit_display=m.unit.unit_display)  # fmt: skip
    return {
        "slug": m.slug,
        "name": m.name,
        "category": None,
        "unit": unit,
        "description": m.description,
        "archived_at": m.archived_at.isoformat() if m.archived_at else None,
        "monetary_conversion": conversion,
    }


# --- value receipts -------------------------------------------------------------------------


def receipt_in(body: paid.ReceiptIn) -> native.ReceiptRequest:
    product = body.product
    product_id = as_uuid(product.product_id) if product else None
    customer_id = as_uuid(body.customer_id)
    if body.customer_id is not None and customer_id is None:
        customer_id = uuid.UUID(int=0)  # names no customer: 404, as Paid answers
    if product is not None and product_id is None:
        product_id = uuid.UUID(int=0)
    return native.ReceiptRequest(
        start=body.start_date,
        end=body.end_date,
        customer_id=customer_id,
        external_customer_id=body.external_customer_id,
        product_id=product_id,
        order_id=body.order_id,
        currency=product.currency if product else None,
    )


def sync_out(r: native.ValueReceipt, base: str) -> paid.SyncResponse:
    return paid.SyncResponse(
        id=str(r.id),
        status=r.status,
        public_url_token=r.share_token,
        public_url=base + r.share_url,
        generated_at=r.generated_at,
    )


def _receipt_fields(r: native.ValueReceipt, base: str) -> dict[str, Any]:
    return {
        "id": str(r.id),
        "status": r.status,
        "public_url_token": r.share_token,
        "public_url": base + r.share_url,
        "is_published": r.is_published,
        "customer_id": str(r.customer.id),
        "customer_name": r.customer.name,
        "customer_external_id": r.customer.external_id,
        "order_id": r.order_id,
        "product_id": str(r.product_id) if r.product_id else None,
        "currency": r.currency,
        "start_date": r.start,
        "end_date": r.end,
        "total_delivered_value": major(r.total_delivered_value, r.currency),
        "archived_at": r.archived_at,
        "created_at": r.created_at,
    }


def receipt_summary(r: native.ValueReceipt, base: str) -> paid.ReceiptSummary:
    return paid.ReceiptSummary(**_receipt_fields(r, base))


def receipt_detail(r: native.ValueReceipt, base: str, allow_embed: bool) -> paid.ReceiptDetail:
    return paid.ReceiptDetail(
        **_receipt_fields(r, base),
        published_at=r.published_at,
        publish_expires_at=r.publish_expires_at,
        allow_embed=allow_embed,
    )
