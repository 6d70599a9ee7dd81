"""Inveterate's routes, its `X-Inveterate-Api-Key` header and its `{message, data}` envelope."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Annotated, Any

import msgspec
from msgspec import Meta
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from tillroll.customers.service import customer as customer_service
from tillroll.errors import NotFound, TillrollError
from tillroll.kit import money
from tillroll.kit.db import Connection
from tillroll.kit.http import Access, Call, Router
from tillroll.kit.schemas import Schema
from tillroll.wallets.clock import clock
from tillroll.wallets.endpoints import actor
from tillroll.wallets.redemptions import redemption as redemption_service
from tillroll.wallets.schemas import Entry, EntryQuery, RedemptionCreate, Wallet
from tillroll.wallets.service import wallet as wallet_service

PREFIX = "/compat/inveterate"
_ENCODER = msgspec.json.Encoder(decimal_format="number")


class ApiKeyHeader:
    """Under the prefix, `X-Inveterate-Api-Key: <Tillroll key>` authenticates like
    `Authorization: Bearer <key>` (and wins over one sent as well)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(PREFIX + "/"):
            key = next((v for k, v in scope["headers"] if k == b"x-inveterate-api-key"), None)
            if key is not None:
                headers = [(k, v) for k, v in scope["headers"] if k != b"authorization"]
                headers.append((b"authorization", b"Bearer " + key.strip()))
                scope = {**scope, "headers": headers}
        await self.app(scope, receive, send)


def render_error(exc: TillrollError) -> Response:
    """`{message, data}`; an invalid field is a 400 (Inveterate's "malformed, nothing done")."""
    status = 400 if exc.status == 422 else exc.status
    errors = [{"field": e.loc.removeprefix("query."), "message": e.message} for e in exc.errors]
    body = {"message": exc.detail, "data": {"code": exc.code, "errors": errors}}
    return Response(
        _ENCODER.encode(body), status, exc.headers or None, media_type="application/json"
    )


def reply(body: Any, status: int = 200) -> Response:
    return Response(_ENCODER.encode(body), status, media_type="application/json")


router = Router(PREFIX, tag="compat: inveterate", render_error=render_error)

CustomerId = Annotated[str, Meta(min_length=1, max_length=128)]


class Credit(Schema):
    """A ledger entry as Inveterate shows it."""

    amount: Decimal
    createdAt: str
    newBalance: Decimal
    reason: str


class Code(Schema):
    code: str
    value: Decimal


class LegacyQuery(Schema):
    customerId: CustomerId


class AddQuery(Schema):
    customerId: CustomerId
    credit: Annotated[str, Meta(max_length=32, description="Major units; negative removes.")]


class RedeemBody(Schema):
    customerId: CustomerId
    amount: Annotated[Decimal, Meta(description="Major units, e.g. 5 or 5.50.")]


class PageQuery(Schema):
    limit: Annotated[int, Meta(ge=1, le=500)] = 50
    lastCreditEntry: str | None = None


class CreditBody(Schema):
    amount: Annotated[Decimal, Meta(description="Major units, not 0; negative removes.")]
    note: Annotated[str, Meta(max_length=500)] | None = None


class StorefrontRedeem(Schema):
    amount: Decimal


# --- translation ---------------------------------------------------------------------


def _major(amount: int, currency: str) -> Decimal:
    return Decimal(money.to_decimal_string(amount, currency)).normalize() + 0


def _minor(value: Decimal | str, currency: str, field: str) -> int:
    return money.from_decimal_string(str(value), currency, field=field)


def _credit(entry: Entry, currency: str) -> Credit:
    return Credit(
        amount=_major(entry.amount, currency),
        createdAt=entry.created_at.strftime("%Y-%m-%dT%H:%M:%S.")
        + f"{entry.created_at.microsecond // 1000:03d}Z",
        newBalance=_major(entry.balance_after, currency),
        reason=entry.reason.upper(),
    )


async def _customer(conn: Connection, merchant_id: uuid.UUID, external_id: str) -> uuid.UUID:
    found = await customer_service.find(conn, merchant_id, "external_id", external_id)
    if found is None:
        raise NotFound(f"No customer with customerId {external_id[:128]!r}.")
    return found.id


async def _wallet(call: Call, external_id: str, *, create: bool) -> Wallet | None:
    merchant = call.principal.merchant_id
    customer = await _customer(call.conn, merchant, external_id)
    return await wallet_service.credit_wallet(call.conn, merchant, customer, create=create)


async def _add(call: Call, external_id: str, value: Decimal | str, field: str,
               note: str | None = None) -> Credit:  # fmt: skip
    wallet = await _wallet(call, external_id, create=True)
    assert wallet is not None and wallet.currency is not None
    amount = _minor(value, wallet.currency, field)
    entry = await wallet_service.credit(
        call.conn, call.principal.merchant_id, wallet.id, amount, "manual", actor(call), note=note
    )
    return _credit(entry, wallet.currency)


async def _redeem(call: Call, external_id: str, value: Decimal) -> Code:
    wallet = await _wallet(call, external_id, create=True)
    assert wallet is not None and wallet.currency is not None
    body = RedemptionCreate(amount=_minor(value, wallet.currency, "amount"), wallet=wallet.id)
    made = await redemption_service.redeem(
        call.conn, call.principal.merchant_id, wallet.customer_id, body, actor(call)
    )
    return Code(code=made.code, value=_major(made.amount, wallet.currency))


async def _entries(
    call: Call, wallet: Wallet, limit: int, after: str | None
) -> tuple[list[Credit], str | None]:
    assert wallet.currency is not None
    page = await wallet_service.entries(
        call.conn, call.viewer, wallet.id, EntryQuery(limit=limit, cursor=after)
    )
    return [_credit(e, wallet.currency) for e in page.data], page.next_cursor


# --- legacy API ----------------------------------------------------------------------


@router.get("/customers/credits", access=Access.read)
async def ledger(call: Call, query: LegacyQuery) -> Response:
    """Every ledger entry (expired ones too, with their `EXPIRY` entries) and the active code."""
    wallet = await _wallet(call, query.customerId, create=False)
    if wallet is None:
        return reply({"credits": [], "redemption": None})
    assert wallet.currency is not None
    credits, cursor = await _entries(call, wallet, 500, None)
    while cursor is not None:
        more, cursor = await _entries(call, wallet, 500, cursor)
        credits += more
    active = await redemption_service.active(
        call.conn, call.principal.merchant_id, wallet.id, clock.now()
    )
    code = (
        None
        if active is None
        else Code(code=active.code, value=_major(active.amount, wallet.currency))
    )
    return reply({"credits": credits, "redemption": code})


@router.post("/customers/credits", access=Access.write, idempotent=True)
async def add_credits(call: Call, query: AddQuery) -> Response:
    """Add (or, negative, remove) credits; the answer means the entry is committed."""
    return reply(await _add(call, query.customerId, query.credit, "credit"))


@router.post("/redemption-discount-code", access=Access.write, idempotent=True)
async def redemption_code(call: Call, body: RedeemBody) -> Response:
    """Turn credits into a `REDEEM+` code (an active code is folded into the new one)."""
    return reply(await _redeem(call, body.customerId, body.amount))


# --- Public API 2.0 --------------------------------------------------------------------


@router.get("/v2.0/admin/members/{member_id}/credits", access=Access.read)
async def member_credits(call: Call, member_id: str, query: PageQuery) -> Response:
    """One page of the ledger, oldest first; pass `lastCreditEntry` for the next."""
    wallet = await _wallet(call, member_id, create=False)
    credits: list[Credit] = []
    cursor = None
    if wallet is not None:
        credits, cursor = await _entries(call, wallet, query.limit, query.lastCreditEntry)
    return reply({"message": "OK", "data": {"credits": credits, "lastCreditEntry": cursor}})


@router.post("/v2.0/admin/members/{member_id}/credits", access=Access.write, idempotent=True)
async def member_add(call: Call, member_id: str, body: CreditBody) -> Response:
    """Add (or remove) credits; 201 means the entry is committed."""
    credit = await _add(call, member_id, body.amount, "amount", body.note)
    return reply({"message": "Credits updated.", "data": credit}, 201)


@router.post("/v2.0/storefront/members/{member_id}/credits/redemption", access=Access.write,
             idempotent=True)  # fmt: skip
async def member_redeem(call: Call, member_id: str, body: StorefrontRedeem) -> Response:
    """Redeem credits into a discount code."""
    code = await _redeem(call, member_id, body.amount)
    return reply({"message": "Redemption code created.", "data": code}, 201)
