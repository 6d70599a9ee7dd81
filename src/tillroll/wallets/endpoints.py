"""Wallet endpoints: thin; the rules are in `service`, `ledger` and `redemptions`."""

from __future__ import annotations

import uuid

from tillroll.kit.http import Access, Call, Router
from tillroll.kit.schemas import ListQuery, Page
from tillroll.wallets import expiry  # noqa: F401  (registers the expiry job's handler)
from tillroll.wallets.redemptions import redemption as redemption_service
from tillroll.wallets.schemas import (
    ConsumeBody,
    Entry,
    EntryCreate,
    EntryQuery,
    Lot,
    Redemption,
    RedemptionCreate,
    Wallet,
    WalletCreate,
    WalletQuery,
)
from tillroll.wallets.service import wallet as wallet_service

by_customer = Router("/v1/customers", tag="wallets")
router = Router("/v1/wallets", tag="wallets")
codes = Router("/v1/redemptions", tag="wallets")


def actor(call: Call) -> str:
    """Who made an entry: the API key's id (`key:…`), or a shopper session."""
    key_id = getattr(call.principal, "key_id", None)
    return f"key:{key_id}" if key_id is not None else "shopper"


@by_customer.post("/{customer_id}/wallets", access=Access.write, status=201, idempotent=True,
                  errors=(404, 409, 422))  # fmt: skip
async def create(call: Call, customer_id: uuid.UUID, body: WalletCreate) -> Wallet:
    """Open a customer's `credit` or `points` wallet (one of each kind)."""
    return await wallet_service.create(call.conn, call.principal.merchant_id, customer_id, body)


@by_customer.get("/{customer_id}/wallets", access=Access.read, shopper_ok=True, errors=(404,))
async def list_for_customer(call: Call, customer_id: uuid.UUID) -> Page[Wallet]:
    """A customer's wallets (one page: a customer has at most one of each kind)."""
    found = await wallet_service.of_customer(call.conn, call.viewer, customer_id)
    return Page(data=found, next_cursor=None)


@by_customer.post("/{customer_id}/redemptions", access=Access.write, status=201,
                  idempotent=True, errors=(404, 422))  # fmt: skip
async def redeem(call: Call, customer_id: uuid.UUID, body: RedemptionCreate) -> Redemption:
    """Turn credit into a single-use code; an active code is cancelled into the new total."""
    merchant = call.principal.merchant_id
    return await redemption_service.redeem(call.conn, merchant, customer_id, body, actor(call))


@router.get("/{wallet_id}", access=Access.read, shopper_ok=True, errors=(404, 422))
async def get(call: Call, wallet_id: uuid.UUID, query: WalletQuery) -> Wallet:
    """Balance, available now, held by a code, and what expires soon."""
    return await wallet_service.get(call.conn, call.viewer, wallet_id, query.expiring_days)


@router.post("/{wallet_id}/entries", access=Access.write, status=201, idempotent=True,
             errors=(404, 422), grouped=lambda request: request.url.path)  # fmt: skip
async def post_entry(call: Call, wallet_id: uuid.UUID, body: EntryCreate) -> Entry:
    """Credit (amount > 0) or debit (amount < 0); requires an `Idempotency-Key`.

    Concurrent writes on one wallet share a transaction (`kit.group`, a savepoint each)."""
    keyed = bool(call.request.headers.get("idempotency-key"))
    merchant = call.principal.merchant_id
    return await wallet_service.post_entry(
        call.conn, merchant, wallet_id, body, actor(call), keyed=keyed
    )


@router.post("/{wallet_id}/entries/{entry_id}/reverse", access=Access.write, status=201,
             idempotent=True, errors=(404, 409))  # fmt: skip
async def reverse(call: Call, wallet_id: uuid.UUID, entry_id: uuid.UUID) -> Entry:
    """Reverse a debit: exactly the lots it drew from get their amounts back."""
    merchant = call.principal.merchant_id
    return await wallet_service.reverse(call.conn, merchant, wallet_id, entry_id, actor(call))


@router.get("/{wallet_id}/entries", access=Access.read, shopper_ok=True, errors=(404, 422))
async def list_entries(call: Call, wallet_id: uuid.UUID, query: EntryQuery) -> Page[Entry]:
    """The ledger, oldest first, in keyset pages; filter by reason and time."""
    return await wallet_service.entries(call.conn, call.viewer, wallet_id, query)


@router.get("/{wallet_id}/lots", access=Access.read, shopper_ok=True, errors=(404, 422))
async def list_lots(call: Call, wallet_id: uuid.UUID, query: ListQuery) -> Page[Lot]:
    """The credit lots, oldest first, in keyset pages."""
    return await wallet_service.lots(call.conn, call.viewer, wallet_id, query)


@codes.get("/{code}", access=Access.read, errors=(404,))
async def get_code(call: Call, code: str) -> Redemption:
    """A redemption code and its status."""
    return await redemption_service.get(call.conn, call.principal.merchant_id, code)


@codes.post("/{code}/consume", access=Access.write, idempotent=True, errors=(404, 409, 422))
async def consume(call: Call, code: str, body: ConsumeBody) -> Redemption:
    """Use a code once (a receipt's voucher, or a checkout); a second use is a 409."""
    return await redemption_service.consume(call.conn, call.principal.merchant_id, code, body)


@codes.post("/{code}/cancel", access=Access.write, idempotent=True, errors=(404, 409))
async def cancel(call: Call, code: str) -> Redemption:
    """Cancel an active code: its hold returns to the balance."""
    return await redemption_service.cancel(call.conn, call.principal.merchant_id, code)
