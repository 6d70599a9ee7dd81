"""Native receipts → Spaaza's receipt objects (the other way, baskets: `baskets.py`).

Money crosses here and only here: `money()` turns integer minor units into an exact `Decimal`
in major units (encoded as a JSON number, never through a float) and `minor()` turns a
Spaaza decimal back into minor units, refusing more decimals than the currency has.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from tillroll.branches.schemas import Branch
from tillroll.customers.schemas import Customer, CustomerView
from tillroll.documents.schemas import Branding
from tillroll.kit.address import Address
from tillroll.kit.money import EXPONENTS, from_decimal_string, symbol, to_decimal_string
from tillroll.merchants.schemas import Merchant
from tillroll.receipts.rules import MICRO, price_micro
from tillroll.receipts.schemas import Line, Receipt
from tillroll.wallets.campaign_schemas import ReceiptWallet

OK = {"code": 1, "status": "ok"}

# ISO 4217 numeric code (Spaaza's `currency_id` here) and English name of common currencies.
CURRENCIES: dict[str, tuple[int, str]] = {
    "EUR": (978, "Euro"), "USD": (840, "US Dollar"), "GBP": (826, "Pound Sterling"),
    "JPY": (392, "Yen"), "CNY": (156, "Yuan Renminbi"), "CHF": (756, "Swiss Franc"),
    "SEK": (752, "Swedish Krona"), "NOK": (578, "Norwegian Krone"), "DKK": (208, "Danish Krone"),
    "PLN": (985, "Zloty"), "CZK": (203, "Czech Koruna"), "HUF": (348, "Forint"),
    "INR": (356, "Indian Rupee"), "KRW": (410, "Won"), "TRY": (949, "Turkish Lira"),
    "ILS": (376, "New Israeli Sheqel"), "BRL": (986, "Brazilian Real"),
    "CAD": (124, "Canadian Dollar"), "AUD": (36, "Australian Dollar"),
    "NZD": (554, "New Zealand Dollar"), "MXN": (484, "Mexican Peso"),
    "ZAR": (710, "South African Rand"), "RUB": (643, "Russian Ruble"), "UAH": (980, "Hryvnia"),
    "THB": (764, "Baht"), "VND": (704, "Dong"), "PHP": (608, "Philippine Peso"),
    "NGN": (566, "Naira"), "KWD": (414, "Kuwaiti Dinar"), "BHD": (48, "Bahraini Dinar"),
}  # fmt: skip
CURRENCY_BY_ID = {number: code for code, (number, _) in CURRENCIES.items()}


def money(amount: int, currency: str) -> Decimal:
    """Minor units → exact major units (`3800, "EUR"` → `Decimal("38.00")`)."""
    return Decimal(to_decimal_string(amount, currency))


def unit_money(price: str, currency: str) -> Decimal:
    """An exact unit price in minor units → major units (`"185.9", "EUR"` → `1.859`)."""
    return Decimal(price).scaleb(-EXPONENTS[currency])


def list_price(line: Line, currency: str) -> Decimal:
    """What one unit cost before promotions: `original_price`, else the exact unit price."""
    if line.original_price:
        return money(line.original_price, currency)
    return unit_money(line.unit_price, currency)


def minor(value: Decimal, currency: str, loc: str) -> int:
    """A Spaaza decimal → minor units; too many decimals is invalid input naming `loc`."""
    return from_decimal_string(str(value), currency, field=loc)


def currency_name(code: str) -> str:
    return CURRENCIES.get(code, (0, code))[1]


def currency_object(code: str) -> dict[str, Any]:
    number, name = CURRENCIES.get(code, (0, code))
    return {
        "currency_id": number,
        "currency_code": code,
        "currency_name_en": name,
        "currency_symbol": symbol(code),
    }


def shopper_id(customer: Customer) -> int:
    """The member number when it is all digits, else the customer's own number."""
    member = customer.member_number
    return int(member) if member and member.isascii() and member.isdigit() else customer.number


def timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class Context:
    """What the receipts reference, loaded once per response."""

    merchant: Merchant
    branches: dict[uuid.UUID, Branch] = field(default_factory=dict)
    customers: dict[uuid.UUID, Customer] = field(default_factory=dict)
    download_urls: dict[uuid.UUID, str] = field(default_factory=dict)  # signed PDF links
    branding: Branding = field(default_factory=Branding)

    def branch(self, receipt: Receipt) -> Branch | None:
        return self.branches.get(receipt.branch.id) if receipt.branch else None

    def customer(self, receipt: Receipt) -> Customer | None:
        return self.customers.get(receipt.customer.id) if receipt.customer else None


# --- native → Spaaza -----------------------------------------------------------------------


def _meta(line: Line, *names: str) -> str:
    data = line.metadata or {}
    for name in names:
        value = data.get(name)
        if value is not None:
            return str(value)
    return ""


def _items(receipt: Receipt) -> Decimal:
    return sum((Decimal(line.quantity) for line in receipt.lines), Decimal(0))


def _sale_price(line: Line, currency: str) -> Decimal:
    """What one unit finally sold for: the line total over its quantity."""
    unit = (Decimal(line.total) / Decimal(line.quantity)).quantize(Decimal(1), ROUND_HALF_EVEN)
    return money(int(unit), currency)


def _payment_method(receipt: Receipt) -> str:
    methods = {p.method for p in receipt.payments}
    return methods.pop() if len(methods) == 1 else ("multiple" if methods else "unknown")


def _address(address: Address | None) -> dict[str, Any]:
    a = address or Address()
    lines = [*a.lines, "", "", ""]
    return {
        "address_1": lines[0],
        "address_2": lines[1],
        "address_3": lines[2],
        "towncity": a.city or "",
        "postal_code": a.postal_code or "",
        "country_code": a.country or "",
        "location": {"lat": a.lat or 0, "lon": a.lon or 0},
    }


def _line_item(line: Line, currency: str) -> dict[str, Any]:
    return {
        "product_id": 0,
        "barcode": line.barcode or "",
        "sku": line.sku or "",
        "name": line.name,
        "description": line.description or "",
        "type": line.category or "",
        "original_price": list_price(line, currency),
        "quantity": Decimal(line.quantity),
        "quantity_unit": line.unit,
        "sale_price": _sale_price(line, currency),
        "vouchers": money(line.vouchers, currency),
        "metadata": {
            "color": _meta(line, "color", "colour"),
            "size": _meta(line, "size"),
            "image": _meta(line, "image", "image_url"),
        },
        "sale_discount": str(money(line.discount, currency)) if line.discount else "",
    }


def _business(branch: Branch | None) -> dict[str, Any] | None:
    if branch is None:
        return None
    return {
        "id": branch.number,
        "name": branch.name,
        "branch_code": branch.code,
        "address": _address(branch.address),
        "phone_number": branch.phone or "",
        "email": branch.email or "",
        "website_url": branch.website or "",
    }


def _chain(ctx: Context, branch: Branch | None) -> dict[str, Any]:
    m = ctx.merchant
    return {
        "id": m.number,
        "name": m.name,
        "email": m.settings.email or "",
        "logo_url": m.settings.logo_url or "",
        "website_url": m.settings.website_url or "",
        "currency": currency_name(m.settings.default_currency),
        "currency_code": m.settings.default_currency,
        "currency_symbol": symbol(m.settings.default_currency),
        "business": _business(branch),
        "receipts_service_active": True,
    }


def _shopper(customer: Customer | None, points: int | None) -> dict[str, Any] | None:
    if customer is None:
        return None
    return {
        "id": shopper_id(customer),
        "user_name": customer.email or "",
        "entity_code": customer.member_number or "",
        "first_name": customer.first_name or "",
        "last_name": customer.last_name or "",
        "country_code": customer.country or "",
        "gender": customer.gender or "",
        "birthday": customer.birthday.isoformat() if customer.birthday else "",
        "total_points_balance": points or 0,
        "email": customer.email or "",
        "registered": customer.registered,
        "shipping_address": _address(customer.shipping_address),
        "billing_address": _address(customer.billing_address),
    }


def _loyalty(customer: Customer | None) -> dict[str, Any] | None:
    """The shopper's loyalty status now (null without a programme); 0 points to proceed at
    the top level, a null `last_review_date` before the first review."""
    status = customer.loyalty_status if isinstance(customer, CustomerView) else None
    if status is None:
        return None
    last = status.last_review_date
    return {
        "campaign_id": status.programme_number, "name": status.name,
        "description": status.description or "", "loyalty_level_id": status.level,
        "points_to_proceed_next_level": status.points_to_proceed_next_level or 0,
        "points_to_remain_current_level": status.points_to_remain_current_level,
        "maintenance_points_level": status.maintenance_points_level,
        "last_review_date": None if last is None else _offset(last),
        "next_review_date": _offset(status.next_review_date),
        "date_reached": _offset(status.date_reached),
    }  # fmt: skip


def _offset(moment: datetime) -> str:
    """Seed 001's form of the loyalty dates: `2019-04-04T00:05:22+00:00`."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _common(receipt: Receipt) -> dict[str, Any]:
    cur = receipt.currency
    return {
        "id": receipt.number,
        "retailer_basket_code": receipt.external_id,
        "timestamp": timestamp(receipt.issued_at),
        "type": receipt.type,
        "quantity": _items(receipt),
        "currency": currency_object(cur),
        "total_value": money(receipt.total, cur),
        "shipping_charge": money(receipt.shipping_total, cur),
        "payment_methods": [
            {"payment_method": p.method, "payment_amount": money(p.amount, cur)}
            for p in receipt.payments
        ],
        "employee": {
            "code": receipt.employee.code if receipt.employee else None,
            "name": receipt.employee.name if receipt.employee else None,
        },
        "notes": receipt.notes,
        "tax_lines": [
            {
                "tax_value": money(t.tax_amount, cur),
                "order_value": money(t.taxable_amount, cur),
                "rate": Decimal(t.rate),
            }
            for t in receipt.taxes
        ],
        "monetary_wallet": _wallet(receipt, receipt.monetary_wallet, cur),
        "points_wallet": _wallet(receipt, receipt.points_wallet, None),
        "basket_vouchers": [
            {"campaign_title": v.campaign_title, "voucher_text": v.voucher_text,
             "amount": money(v.amount, cur), "type": v.type}
            for v in receipt.basket_vouchers
        ],
    }  # fmt: skip


def _wallet(receipt: Receipt, shown: ReceiptWallet | None, currency: str | None) -> Any:
    """Spaaza's wallet object: what the receipt's campaigns added (in major units for the
    monetary wallet: `currency`), the balance right after; the seed's empty object when the
    receipt touched only the other wallet, null when it touched none."""
    if shown is None:
        used = receipt.monetary_wallet or receipt.points_wallet
        return {"contributions": [], "total": 0, "title": ""} if used else None

    def amount(value: int) -> Decimal | int:
        return money(value, currency) if currency else value

    return {
        "contributions": [
            {"amount": amount(c.amount), "campaign_title": c.campaign_title}
            for c in shown.contributions
        ],
        "total": amount(shown.total),
        "title": shown.title,
    }


def receipt_object(receipt: Receipt, ctx: Context) -> dict[str, Any]:
    """The receipts-service object (`GET /receipts`, `GET /receipts/{id}`), seed 001."""
    cur = receipt.currency
    net = receipt.subtotal - (receipt.tax_total if receipt.prices_include_tax else 0)
    return {
        **_common(receipt),
        "download_url": ctx.download_urls.get(receipt.id, ""),
        "subtotal": money(net, cur),
        "payment_method": _payment_method(receipt),
        "line_items": [_line_item(line, cur) for line in receipt.lines],
        "chain": _chain(ctx, ctx.branch(receipt)),
        "shopper": _shopper(ctx.customer(receipt), receipt.total_points_balance),
        "loyalty_status": _loyalty(ctx.customer(receipt)),
        "template_content": {
            "subject": ctx.branding.subject(ctx.merchant.name, receipt.number),
            "background_color": ctx.branding.background_color,
        },
    }


def _export_line(line: Line, currency: str) -> dict[str, Any]:
    promotional = line.discount > 0 or (line.original_price or 0) * MICRO > price_micro(
        line.unit_price
    )
    return {
        "name": line.name,
        "retailer_product_code": _meta(line, "retailer_product_code") or line.sku,
        "quantity": Decimal(line.quantity),
        "item_is_promotional": promotional,
        "sale_price": _sale_price(line, currency),
        "original_price": list_price(line, currency),
        "basket_item_subtotal": money(line.total, currency),
        "is_identified": line.product_id is not None or line.sku is not None,
        "excluded_from_spaaza": bool((line.metadata or {}).get("excluded_from_spaaza", False)),
        "barcode": line.barcode,
        "sku": line.sku,
        "description": line.description,
        "metadata": {
            "barcode": line.barcode,
            "color": _meta(line, "color", "colour"),
            "size": _meta(line, "size") or None,
        },
    }


def _export_business(branch: Branch | None) -> dict[str, Any] | None:
    if branch is None:
        return None
    a = branch.address or Address()
    lines: list[str | None] = [*a.lines, None, None, None]
    return {
        "id": branch.number,
        "name": branch.name,
        "branch_code": branch.code,
        "address": {
            "address_1": lines[0],
            "address_2": lines[1],
            "address_3": lines[2],
            "towncity": a.city,
            "postalcode": a.postal_code,
            "latitude": a.lat,
            "longitude": a.lon,
        },
    }


def _export_shopper(customer: Customer | None) -> dict[str, Any] | None:
    if customer is None:
        return None
    a = customer.billing_address or customer.shipping_address or Address()
    lines: list[str | None] = [*a.lines, None, None, None]
    member = customer.member_number
    return {
        "id": shopper_id(customer),
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "address_streetname": lines[0],
        "address_housenumber": None,
        "address_housenumber_extension": None,
        "address_towncity": a.city,
        "address_postalcode": a.postal_code,
        "country_code": customer.country,
        "gender": customer.gender,
        "birthday": customer.birthday.isoformat() if customer.birthday else None,
        "username": customer.email,
        "signup_channel": None,
        "address_line_2": lines[1],
        "address_line_3": lines[2],
        "address_regionstate": a.region,
        "member_number": member,
        "email": customer.email,
        "registered": customer.registered,
        "send_email_receipt": customer.send_email_receipt,
        "member_program": {"program_name": "spaaza", "member_number": member} if member else None,
        "shipping_address": _address(customer.shipping_address)
        if customer.shipping_address
        else None,
        "billing_address": _address(customer.billing_address) if customer.billing_address else None,
    }


def export_object(receipt: Receipt, ctx: Context) -> dict[str, Any]:
    """The get-receipts variant of the receipt object (seed 001, "Get All Receipts for a Chain")."""
    cur, m = receipt.currency, ctx.merchant
    common = _common(receipt)
    return {
        **common,
        "subtotal": money(receipt.subtotal, cur),
        "payment_methods": common["payment_methods"] or None,
        "tax_lines": common["tax_lines"] or None,
        "line_items": [_export_line(line, cur) for line in receipt.lines],
        "chain": {
            "id": m.number,
            "name": m.name,
            "type": "chain",
            "email": m.settings.email,
            "currency": currency_name(m.settings.default_currency),
            "currency_symbol": symbol(m.settings.default_currency),
            "receipts_service_active": True,
            "business": _export_business(ctx.branch(receipt)),
            "webhook_config_url": None,
            "webhook_config_basic_auth_user": None,
            "webhook_config_basic_auth_pass": None,
        },
        "shopper": _export_shopper(ctx.customer(receipt)),
    }
