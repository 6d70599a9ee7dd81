"""The canonical view model of a receipt: every decision (totals, local time, money per
currency and locale, tax summary, quantities with units, payments, branding) is taken here;
the HTML and PDF templates only lay it out."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from decimal import Decimal
from zoneinfo import ZoneInfo

import msgspec
import segno
from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal, format_percent

from tillroll.branches.schemas import Branch
from tillroll.customers.schemas import LoyaltyStatus
from tillroll.documents.labels import LABELS, METHODS, ORDER_STATUSES, TRACKING, Language
from tillroll.documents.schemas import Branding, Size
from tillroll.kit.money import EXPONENTS
from tillroll.orders.schemas import Shipment
from tillroll.receipts.schemas import Line, Payment, Receipt


class LineView(msgspec.Struct, kw_only=True):
    name: str
    detail: str | None  # description, SKU
    quantity: str  # "2 ×" or "1,255 kg ×"
    unit_price: str
    total: str
    reductions: list[str]  # "Discount −1,00 €"
    returned_from: str | None


class AmountRow(msgspec.Struct, kw_only=True):
    label: str
    amount: str


class TaxRow(msgspec.Struct, kw_only=True):
    rate: str
    taxable: str
    tax: str


class ShipmentView(msgspec.Struct, kw_only=True):
    carrier: str
    status: str  # the latest tracking status, in the language
    shipped: str  # the ship date, local to the branch
    items: list[str]  # "2 × name"
    tracking_number: str | None
    tracking_url: str | None


class WalletView(msgspec.Struct, kw_only=True):
    title: str
    earned: list[AmountRow]  # per campaign: "+1,49 €" or "+20 Points" ("−…" clawed back)
    balance: str  # right after this receipt (not now: the rendering stays valid)


class LoyaltyView(msgspec.Struct, kw_only=True):
    level: str  # the level's name
    points_to_next: str | None  # None at the top level


class ReceiptView(msgspec.Struct, kw_only=True):
    lang: Language
    size: Size
    labels: dict[str, str]
    title: str
    merchant: str
    branch: list[str]  # name, address lines, contact
    number: str
    reference: str
    issued: str  # local time in the branch's zone, with the zone
    customer: str | None
    served_by: str | None
    lines: list[LineView]
    amounts: list[AmountRow]  # subtotal, discounts, shipping
    total: str
    taxes: list[TaxRow]
    tax_note: str
    payments: list[AmountRow]
    order_status: str | None  # an online order's, in the language
    shipments: list[ShipmentView]
    wallets: list[WalletView]  # credit first, then points
    loyalty: LoyaltyView | None
    notes: str | None
    footer: str | None
    primary_color: str
    background_color: str
    logo_svg: str | None
    page_url: str
    pdf_url: str | None
    qr_svg: str


def build(
    receipt: Receipt,
    *,
    merchant: str,
    branch: Branch | None,
    branding: Branding,
    lang: Language,
    size: Size,
    page_url: str,
    pdf_url: str | None = None,
    shipments: Sequence[Shipment] = (),
    loyalty: LoyaltyStatus | None = None,
) -> ReceiptView:
    """The view of `receipt` in `lang` at `size` (with its order's `shipments`, the
    customer's `loyalty` status; what it earned is in its `*_wallet` fields); its QR code
    links to `page_url`."""
    labels = LABELS[lang]
    money = _Money(receipt.currency, lang)
    zone = ZoneInfo(branch.timezone if branch else "UTC")
    local = receipt.issued_at.astimezone(zone)
    return ReceiptView(
        lang=lang,
        size=size,
        labels=labels,
        title=labels["return_receipt" if receipt.is_return else "receipt"],
        merchant=merchant,
        branch=_branch_lines(branch),
        number=str(receipt.number),
        reference=receipt.external_id,
        issued=f"{format_datetime(local, 'medium', locale=lang)} {local.tzname()}",
        customer=_customer(receipt),
        served_by=receipt.employee.name if receipt.employee and receipt.employee.name else None,
        lines=[_line(line, money, lang) for line in receipt.lines],
        amounts=_amounts(receipt, money, labels),
        total=money(receipt.total),
        taxes=[
            TaxRow(
                rate=_percent(t.rate, lang),
                taxable=money(t.taxable_amount),
                tax=money(t.tax_amount),
            )
            for t in receipt.taxes
        ],
        tax_note=labels["prices_incl_tax" if receipt.prices_include_tax else "prices_excl_tax"],
        payments=[
            AmountRow(label=_payment(p, lang), amount=money(p.amount)) for p in receipt.payments
        ],
        order_status=ORDER_STATUSES[lang][receipt.order_status] if receipt.order_status else None,
        shipments=[_shipment(s, receipt, zone, lang) for s in shipments],
        wallets=_wallets(receipt, money, lang),
        loyalty=_loyalty(loyalty, lang),
        notes=receipt.notes,
        footer=branding.footer_text,
        primary_color=branding.primary_color,
        background_color=branding.background_color,
        logo_svg=branding.logo_svg,
        page_url=page_url,
        pdf_url=pdf_url,
        qr_svg=qr_svg(page_url),
    )


class _Money:
    """Minor units → text in the currency's format for the locale (`1.234,50 €` in de)."""

    def __init__(self, currency: str, lang: Language) -> None:
        self.currency, self.lang = currency, lang

    def __call__(self, minor: int | Decimal) -> str:
        return _currency(str(minor), self.currency, self.lang)


@functools.lru_cache(maxsize=16384)
def _currency(minor: str, currency: str, lang: Language) -> str:
    """Babel's formatting is most of the view's time; a shop's amounts repeat, so each text
    is kept (keyed by the amount's text: `1.250` and `1.25` are equal Decimals)."""
    scale = Decimal(10) ** -EXPONENTS.get(currency, 2)
    return format_currency(
        Decimal(minor) * scale, currency, locale=lang, decimal_quantization=False
    )


@functools.lru_cache(maxsize=4096)
def _decimal(value: str, lang: Language) -> str:
    return format_decimal(Decimal(value), locale=lang)


@functools.lru_cache(maxsize=256)
def _percent(rate: str, lang: Language) -> str:
    return format_percent(Decimal(rate), "#,##0.##%", locale=lang)


def _line(line: Line, money: _Money, lang: Language) -> LineView:
    labels = LABELS[lang]
    quantity = _decimal(line.quantity, lang)
    unit = "" if line.unit == "item" else f" {line.unit}"
    reductions = [
        f"{labels[key]} −{money(amount)}"
        for key, amount in (("discount", line.discount), ("voucher", line.vouchers))
        if amount
    ]
    detail = " · ".join(x for x in (line.description, line.sku) if x) or None
    returned = line.return_of
    return LineView(
        name=line.name,
        detail=detail,
        quantity=f"{quantity}{unit} ×",
        unit_price=money(Decimal(line.unit_price)),
        total=money(line.total),
        reductions=reductions,
        returned_from=f"{labels['returned_from']} {returned.receipt_id}" if returned else None,
    )


def _amounts(receipt: Receipt, money: _Money, labels: dict[str, str]) -> list[AmountRow]:
    rows = [AmountRow(label=labels["subtotal"], amount=money(receipt.subtotal))]
    for d in receipt.discounts:
        label = labels["voucher" if d.kind == "voucher" else "discount"]
        name = d.description or d.code
        rows.append(AmountRow(label=f"{label} {name}" if name else label, amount=money(-d.amount)))
    if receipt.shipping_total:
        rows.append(AmountRow(label=labels["shipping"], amount=money(receipt.shipping_total)))
    if receipt.tax_total and not receipt.prices_include_tax:
        rows.append(AmountRow(label=labels["tax"], amount=money(receipt.tax_total)))
    return rows


def _shipment(shipment: Shipment, receipt: Receipt, zone: ZoneInfo, lang: Language) -> ShipmentView:
    names = {line.line_no: line.name for line in receipt.lines}
    return ShipmentView(
        carrier=shipment.carrier,
        status=TRACKING[lang][shipment.status],
        shipped=format_date(shipment.ship_date.astimezone(zone), "medium", locale=lang),
        items=[f"{i.quantity} × {names.get(i.line_no, i.line_no)}" for i in shipment.items],
        tracking_number=shipment.tracking_number,
        tracking_url=shipment.tracking_url,
    )


def _wallets(receipt: Receipt, money: _Money, lang: Language) -> list[WalletView]:
    """The credit wallet's amounts in the receipt's currency (the one it earns in), the
    points wallet's as points named by the wallet's title."""
    points = LABELS[lang]["points"]

    def as_points(title: str) -> Callable[[int], str]:
        return lambda n: f"{_decimal(str(n), lang)} {title or points}"

    shown = [
        (wallet, as_points(wallet.title) if is_points else money)
        for wallet, is_points in ((receipt.monetary_wallet, False), (receipt.points_wallet, True))
        if wallet is not None
    ]
    return [
        WalletView(
            title=wallet.title or points,
            earned=[
                AmountRow(label=c.campaign_title, amount=_signed(c.amount, fmt))
                for c in wallet.contributions
            ],
            balance=fmt(wallet.total),
        )
        for wallet, fmt in shown
    ]


def _signed(amount: int, fmt: Callable[[int], str]) -> str:
    return f"+{fmt(amount)}" if amount >= 0 else f"−{fmt(-amount)}"


def _loyalty(status: LoyaltyStatus | None, lang: Language) -> LoyaltyView | None:
    if status is None:
        return None
    left = status.points_to_proceed_next_level
    return LoyaltyView(
        level=status.name, points_to_next=None if left is None else _decimal(str(left), lang)
    )


def _payment(payment: Payment, lang: Language) -> str:
    name = METHODS[lang].get(payment.method, payment.method)
    card = " ".join(
        x for x in (payment.card_brand, payment.card_last4 and f"•••• {payment.card_last4}") if x
    )
    return f"{name} {card}" if card else name


def _branch_lines(branch: Branch | None) -> list[str]:
    if branch is None:
        return []
    lines = [branch.name]
    if branch.address is not None:
        a = branch.address
        lines += a.lines
        lines.append(" ".join(x for x in (a.postal_code, a.city) if x))
    lines += [x for x in (branch.phone, branch.website) if x]
    return [x for x in lines if x]


def _customer(receipt: Receipt) -> str | None:
    c = receipt.customer
    if c is None:
        return None
    return c.member_number or c.external_id or f"#{c.number}"


@functools.lru_cache(maxsize=1024)
def qr_svg(url: str) -> str:
    """The QR code of `url` as an SVG document (cached: a page's link is stable for a day).
    The mask is fixed (choosing the best of eight was three quarters of segno's time; any
    mask reads, and the tests decode every rendering with zbarimg) and the SVG is written
    here, one path segment per run of dark modules, in a fifth of segno's writer's time."""
    matrix = segno.make(url, error="m", mask=0, micro=False).matrix
    side = len(matrix) + 2 * _QUIET
    runs = "".join(
        f"M{run.start() + _QUIET} {y + _QUIET + 0.5}h{run.end() - run.start()}"
        for y, row in enumerate(matrix)
        for run in _DARK.finditer(bytes(row))
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {side} {side}">'
        f'<path fill="none" stroke="#000" d="{runs}"/></svg>'
    )


_QUIET = 2  # modules of white border
_DARK = re.compile(b"\x01+")
