"""Demo data: one merchant, 2 branches, 50 customers, a catalogue and receipts over 90 days.

Everything goes through the same services as the API, so demo receipts obey every rule.
The same seed gives the same data. The demo admin key is written to a local key file (only
its hash is in the database); running the demo again reuses the merchant and prints the key
from that file, minting a new one only when the file is missing or its key no longer works.
"""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any

from tillroll.auth.principals import MerchantKey, Scope
from tillroll.auth.schemas import ApiKeyCreate
from tillroll.auth.service import auth as auth_service
from tillroll.b2b import demo as b2b_demo
from tillroll.branches.schemas import BranchCreate
from tillroll.branches.service import branch as branch_service
from tillroll.customers.schemas import CustomerCreate
from tillroll.customers.service import customer as customer_service
from tillroll.documents import demo as documents_demo
from tillroll.errors import Unauthorized
from tillroll.kit.address import Address
from tillroll.kit.clock import utc_now
from tillroll.kit.db import Connection, Database, run
from tillroll.merchants.schemas import Merchant, MerchantSettings
from tillroll.merchants.service import merchant as merchant_service
from tillroll.receipts.ingest import ingest
from tillroll.receipts.schemas import (
    BranchRef,
    CustomerRef,
    Employee,
    LineIn,
    Payment,
    ReceiptCreate,
    ReturnOf,
    TaxLine,
)
from tillroll.values.demo import load_values_demo
from tillroll.wallets import earning  # noqa: F401  (the demo receipts earn by the campaigns)
from tillroll.wallets.campaign_schemas import CampaignCreate
from tillroll.wallets.campaigns import campaign as campaign_service

DEMO_NAME = "Tillroll Demo Shop"
_CHUNK = 500
FIRST = [
    "Anna",
    "Bram",
    "Chloé",
    "Daan",
    "Emma",
    "Finn",
    "Gijs",
    "Hanna",
    "Ilse",
    "Jesse",
    "Kim",
    "Lars",
    "Maud",
    "Noah",
    "Olga",
]
LAST = [
    "de Vries",
    "Jansen",
    "Bakker",
    "Visser",
    "Smit",
    "Meijer",
    "de Boer",
    "Mulder",
    "Bos",
    "Vos",
]
# (sku, name, category, unit price in cents, unit, tax rate)
CATALOGUE = [
    ("TS-KIT", "Classic t-shirt with kitten", "Clothing > T-shirts", 1500, "item", "0.21"),
    ("HD-GRY", "Grey hoodie", "Clothing > Sweaters", 4995, "item", "0.21"),
    ("SK-WOL", "Wool socks", "Clothing > Socks", 895, "item", "0.21"),
    ("CAP-BL", "Blue cap", "Accessories", 1995, "item", "0.21"),
    ("MUG-01", "Stoneware mug", "Home", 1250, "item", "0.21"),
    ("TEA-EG", "Earl grey tea, 100 g", "Food > Tea", 450, "item", "0.09"),
    ("APL-ELS", "Elstar apples", "Food > Fruit", 299, "kg", "0.09"),
    ("CHS-GOU", "Aged Gouda", "Food > Cheese", 1890, "kg", "0.09"),
    ("BRD-SD", "Sourdough loaf", "Food > Bakery", 425, "item", "0.09"),
    ("BAG", "Paper bag", "Other", 25, "item", "0.21"),
]


async def load_demo(db: Database, *, key_file: Path, receipts: int = 2000, seed: int = 7) -> str:
    rng = random.Random(seed)
    merchant = await run(db, _find_demo, write=False)
    if merchant is None:
        merchant = await run(db, lambda conn: _create_demo(conn, rng), write=True)
        await _load_receipts(db, merchant, rng, receipts)
        await load_values_demo(db, merchant, rng)
    secret = await _demo_key(db, merchant, key_file)
    return (
        f"Demo merchant {merchant.name!r} (number {merchant.number}) is loaded.\n"
        f"Demo API key (admin, kept in {key_file}): {secret}\n"
        f"Try: curl -H 'Authorization: Bearer {secret}' "
        "http://127.0.0.1:8000/v1/receipts?limit=2"
    )


async def _demo_key(db: Database, merchant: Merchant, key_file: Path) -> str:
    """The key in `key_file` if it still opens the demo merchant, else a new one saved there."""
    saved = key_file.read_text().strip() if key_file.is_file() else ""
    opens: bool = bool(saved) and await run(db, lambda c: _opens(c, merchant, saved), write=False)
    if opens:
        return saved
    key = await run(
        db,
        lambda conn: auth_service.create_key(
            conn, merchant.id, ApiKeyCreate(name="demo", scopes=[Scope.admin])
        ),
        write=True,
    )
    key_file.write_text(key.secret + "\n")
    key_file.chmod(0o600)
    return key.secret


async def _opens(conn: Connection, merchant: Merchant, secret: str) -> bool:
    try:
        principal = await auth_service.principal_for(conn, secret)
    except Unauthorized:
        return False
    return isinstance(principal, MerchantKey) and principal.merchant_id == merchant.id


async def _find_demo(conn: Connection) -> Merchant | None:
    return next((m for m in await merchant_service.list(conn) if m.name == DEMO_NAME), None)


async def _create_demo(conn: Connection, rng: random.Random) -> Merchant:
    settings = MerchantSettings(
        default_currency="EUR",
        timezone="Europe/Amsterdam",
        website_url="https://demo.tillroll.dev",
        email="hello@demo.tillroll.dev",
        brand_color="#1F6FEB",
        email_subject="Your receipt from Tillroll Demo Shop",
    )
    merchant, _ = await merchant_service.create(conn, DEMO_NAME, settings)
    await documents_demo.load(conn, merchant)
    await _campaigns(conn, merchant)
    for code, name, city, postal in (
        ("AMS-01", "Amsterdam Centrum", "Amsterdam", "1012 AB"),
        ("UTR-01", "Utrecht Oudegracht", "Utrecht", "3511 AB"),
    ):
        address = Address(
            lines=[f"{name} {rng.randint(1, 200)}"], city=city, postal_code=postal, country="NL"
        )
        await branch_service.create(
            conn, merchant.id,
            BranchCreate(code=code, name=name, address=address, timezone="Europe/Amsterdam"),
        )  # fmt: skip
    for n in range(1, 51):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        await customer_service.create(
            conn, merchant.id,
            CustomerCreate(
                external_id=f"CUST-{n:04d}", member_number=f"{1000 + n}",
                first_name=first, last_name=last,
                email=f"{first.lower()}.{n}@example.com", country="NL",
                registered=rng.random() < 0.8, send_email_receipt=rng.random() < 0.5,
            ),
        )  # fmt: skip
    await b2b_demo.load(conn, merchant)
    return merchant


async def _campaigns(conn: Connection, merchant: Merchant) -> None:
    """What the demo receipts earn (docs/wallets.md): 5 % back in store credit on every
    purchase, and a point per whole euro spent on food."""
    for body in (
        CampaignCreate(title="5% back", kind="percent_back", percent="5",
                       wallet_title="Demo Bucks"),
        CampaignCreate(title="A point per euro on food", kind="points_per_amount", points=1,
                       per_amount=100, categories=["Food"], wallet_title="Demo Points"),
    ):  # fmt: skip
        await campaign_service.create(conn, merchant.id, body)


async def _load_receipts(db: Database, merchant: Merchant, rng: random.Random, count: int) -> None:
    now = utc_now()
    stamps = sorted(now - timedelta(seconds=rng.randint(0, 90 * 86400)) for _ in range(count))
    bodies: list[ReceiptCreate] = []
    returnable: list[int] = []  # indexes of purchases stored in an earlier chunk
    for n, issued_at in enumerate(stamps, 1):
        stored = [i for i in returnable if i < len(bodies) // _CHUNK * _CHUNK]
        if stored and rng.random() < 0.04:
            index = rng.choice(stored)
            returnable.remove(index)
            bodies.append(_return_of(bodies[index], n, issued_at))
        else:
            returnable.append(len(bodies))
            bodies.append(_purchase(rng, n, issued_at))
    for start in range(0, len(bodies), _CHUNK):
        chunk = bodies[start : start + _CHUNK]

        async def store(conn: Connection, chunk: list[ReceiptCreate] = chunk) -> None:
            outcomes = await ingest(conn, merchant.id, chunk)
            refused = [o.error for o in outcomes if o.error is not None]
            assert not refused, refused[0]

        await run(db, store, write=True)


def _purchase(rng: random.Random, n: int, issued_at: Any) -> ReceiptCreate:
    lines = []
    for sku, name, category, price, unit, rate in rng.sample(CATALOGUE, rng.randint(1, 5)):
        quantity = (
            f"{rng.randint(250, 2500) / 1000:.3f}" if unit == "kg" else str(rng.randint(1, 3))
        )
        total = int((Decimal(price) * Decimal(quantity)).quantize(Decimal(1), ROUND_HALF_EVEN))
        discount = 100 if total > 500 and rng.random() < 0.1 else 0
        lines.append(
            LineIn(name=name, sku=sku, category=category, quantity=quantity, unit=unit,
                   unit_price=price, discount=discount, total=total - discount, tax_rate=rate)
        )  # fmt: skip
    subtotal = sum(line.total for line in lines)
    taxes = _taxes(lines)
    member = str(1000 + rng.randint(1, 50))
    customer = None if rng.random() < 0.3 else CustomerRef(member_number=member)
    online = rng.random() < 0.2
    shipping = 495 if online else 0
    total = subtotal + shipping
    cash = 0 if online or rng.random() < 0.6 else min(total, rng.randint(1, total))
    payments = [Payment(method="card", amount=total - cash, card_brand="visa", card_last4="4242")]
    if cash:
        payments.append(Payment(method="cash", amount=cash))
    return ReceiptCreate(
        external_id=f"DEMO-{n:06d}", issued_at=issued_at, currency="EUR", lines=lines,
        subtotal=subtotal, total=total, shipping_total=shipping,
        tax_total=sum(t.tax_amount for t in taxes), taxes=taxes, payments=payments,
        type="online" if online else "in_store",
        branch=None if online else BranchRef(code=rng.choice(["AMS-01", "UTR-01"])),
        customer=customer,
        employee=None if online else Employee(code=f"E{rng.randint(1, 9):02d}"),
    )  # fmt: skip


def _return_of(original: ReceiptCreate, n: int, issued_at: Any) -> ReceiptCreate:
    line = original.lines[0]
    quantity = "-" + line.quantity
    total = -line.total
    returned = LineIn(
        name=line.name, sku=line.sku, category=line.category, quantity=quantity, unit=line.unit,
        unit_price=line.unit_price, discount=line.discount, total=total, tax_rate=line.tax_rate,
        return_of=ReturnOf(line_no=1, receipt_external_id=original.external_id),
    )  # fmt: skip
    taxes = _taxes([returned])
    return ReceiptCreate(
        external_id=f"DEMO-{n:06d}", issued_at=issued_at, currency="EUR", lines=[returned],
        subtotal=total, total=total, tax_total=sum(t.tax_amount for t in taxes), taxes=taxes,
        payments=[Payment(method="card", amount=total)], branch=original.branch,
        customer=original.customer, notes="Return",
    )  # fmt: skip


def _taxes(lines: list[LineIn]) -> list[TaxLine]:
    """Tax included in the prices, per rate: tax = gross × rate / (1 + rate)."""
    gross: dict[str, int] = {}
    for line in lines:
        gross[line.tax_rate or "0"] = gross.get(line.tax_rate or "0", 0) + line.total
    taxes = []
    for rate, amount in sorted(gross.items()):
        r = Decimal(rate)
        tax = int((amount * r / (1 + r)).quantize(Decimal(1), ROUND_HALF_EVEN))
        taxes.append(TaxLine(rate=rate, taxable_amount=amount - tax, tax_amount=tax))
    return taxes
