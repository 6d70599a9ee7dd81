"""The Spaaza routes: parse Spaaza's parameters, check the chain, call the native services,
answer in Spaaza's shapes and error envelope (docs/compat-spaaza.md)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl

import msgspec
from starlette.responses import Response, StreamingResponse

from tillroll.branches.service import branch as branch_service
from tillroll.compat.spaaza.baskets import ReturnTarget, basket_receipt, field_errors
from tillroll.compat.spaaza.export import stream_csv
from tillroll.compat.spaaza.schemas import AddBasket, GetReceiptsQuery, ShopperQuery
from tillroll.compat.spaaza.translate import (
    CURRENCY_BY_ID,
    OK,
    Context,
    export_object,
    receipt_object,
    shopper_id,
)
from tillroll.config import Settings
from tillroll.customers.schemas import Customer
from tillroll.customers.service import customer as customer_service
from tillroll.documents.service import documents
from tillroll.errors import FieldError, InvalidInput, TillrollError
from tillroll.kit import parse
from tillroll.kit.db import Connection
from tillroll.kit.http import Access, Call, Router
from tillroll.kit.money import EXPONENTS
from tillroll.kit.viewer import Viewer
from tillroll.merchants.schemas import Merchant
from tillroll.merchants.service import merchant as merchant_service
from tillroll.receipts.export import Window
from tillroll.receipts.schemas import (
    CustomerRef,
    Receipt,
    ReceiptCreate,
    ReceiptFilters,
    ReceiptQuery,
)
from tillroll.receipts.service import ReceiptFilter
from tillroll.receipts.service import receipt as receipt_service
from tillroll.wallets.receipt_view import with_wallets

JSON_CAP = 500
CHAIN_HEADERS = ("session-chain-id", "x-spaaza-session-chain-id", "x-spaaza-chain-id")
ENCODER = msgspec.json.Encoder(decimal_format="number")

# native error code → (Spaaza error code, name, HTTP status); see docs/compat-spaaza.md
ERRORS: dict[str, tuple[int, str, int]] = {
    "invalid_input": (10, "invalid_parameter", 400),
    "malformed_request": (11, "malformed_request", 400),
    "unauthorized": (20, "not_authenticated", 401),
    "forbidden": (21, "no_access", 403),
    "not_found": (30, "not_found", 404),
    "conflict": (40, "conflict", 409),
    "payload_too_large": (41, "payload_too_large", 413),
    "too_many_requests": (42, "too_many_requests", 429),
}
_QUERY_NAMES = {
    "issued_from_relative": "min_created_datetime_relative",
    "issued_to_relative": "max_created_datetime_relative",
}


class SpaazaError(TillrollError):
    """An error the facade names itself (Spaaza code and name)."""

    def __init__(self, status: int, code: int, name: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.spaaza_code, self.name = status, code, name


def json_response(body: Any, status: int = 200) -> Response:
    """JSON with money as exact numbers (Decimal → `43.90`, never a float)."""
    return Response(ENCODER.encode(body), status, media_type="application/json")


def _loc(loc: str) -> str:
    if loc.startswith("query."):
        name = loc.removeprefix("query.")
        return _QUERY_NAMES.get(name, name)
    return loc


def render_error(exc: TillrollError) -> Response:
    """Spaaza's error envelope: `{"result": {"code": 2, "status": "error"}, "error": {…}}`."""
    if isinstance(exc, SpaazaError):
        code, name, status = exc.spaaza_code, exc.name, exc.status
    else:
        code, name, status = ERRORS.get(exc.code, (99, exc.code, exc.status))
    description = exc.detail
    if exc.errors:
        description = "; ".join(f"{_loc(e.loc)}: {e.message}" for e in exc.errors)
    if exc.errors and all(e.message == "required field missing" for e in exc.errors):
        code, name = 12, "missing_parameter"
    body = {
        "result": {"code": 2, "status": "error"},
        "error": {"code": code, "name": name, "description": description},
    }
    return Response(
        ENCODER.encode(body), status, exc.headers or None, media_type="application/json"
    )


router = Router("/compat/spaaza", tag="compat: spaaza", render_error=render_error)


# --- auth and ids ------------------------------------------------------------------------


def _no_access(chain: str) -> SpaazaError:
    return SpaazaError(403, 21, "no_access", f"This credential has no access to chain {chain}.")


async def chain_of(call: Call, *chain_ids: int | None) -> Merchant:
    """The caller's merchant; any chain id given (header or parameter) must be its number."""
    merchant = await merchant_service.get(call.conn, call.principal.merchant_id)
    for header in CHAIN_HEADERS:
        value = call.request.headers.get(header)
        if value is not None and value.strip() != str(merchant.number):
            raise _no_access(value.strip())
    for chain_id in chain_ids:
        if chain_id is not None and chain_id != merchant.number:
            raise _no_access(str(chain_id))
    return merchant


async def _shopper(call: Call, shopper: int) -> Customer | None:
    """A Spaaza shopper id: a numeric member number, else the customer's own number."""
    merchant_id = call.principal.merchant_id
    found = await customer_service.find(call.conn, merchant_id, "member_number", str(shopper))
    if found is None:
        found = await customer_service.by_number(call.conn, merchant_id, shopper)
        if found is not None and shopper_id(found) != shopper:
            found = None
    return found


async def _context(call: Call, merchant: Merchant, receipts: Iterable[Receipt]) -> Context:
    return await context(call.conn, call.settings, merchant, receipts)


async def context(
    conn: Connection, settings: Settings, merchant: Merchant, receipts: Iterable[Receipt]
) -> Context:
    """What the receipts' Spaaza objects reference, loaded once."""
    listed = await with_wallets(conn, merchant.id, list(receipts))
    branch_ids = sorted({r.branch.id for r in listed if r.branch})
    customer_ids = sorted({r.customer.id for r in listed if r.customer})
    m = merchant.id
    links = await documents.links(conn, settings, m, [r.id for r in listed])
    customers = await customer_service.get_many(conn, m, customer_ids)
    shown = await customer_service.present(conn, m, list(customers.values()))  # + loyalty
    return Context(
        merchant,
        await branch_service.get_many(conn, m, branch_ids),
        {c.id: c for c in shown},
        {receipt_id: link.download_url for receipt_id, link in links.items()},
        await documents.branding(conn, m),
    )


# --- receipts service --------------------------------------------------------------------


@router.get("/receipts", access=Access.read, shopper_ok=True)
async def shopper_receipts(call: Call, query: ShopperQuery) -> Response:
    """All receipts of one shopper, newest first, as a bare array of receipt objects."""
    merchant = await chain_of(call)
    customer = await _shopper(call, query.shopper_id)
    if customer is None:
        return json_response([])
    receipts: list[Receipt] = []
    page = ReceiptQuery(customer_id=customer.id, limit=JSON_CAP)
    while True:
        found = await receipt_service.list(call.conn, call.viewer, page)
        receipts += found.data
        if found.next_cursor is None:
            break
        page.cursor = found.next_cursor
    ctx = await _context(call, merchant, receipts)
    return json_response([receipt_object(r, ctx) for r in receipts])


@router.get("/receipts/{receipt_id}", access=Access.read, shopper_ok=True)
async def get_receipt(call: Call, receipt_id: str) -> Response:
    """One receipt object by its integer id (the receipt `number`)."""
    merchant = await chain_of(call)
    try:
        number = parse.integer(receipt_id, field="receipt_id")
    except InvalidInput:
        raise SpaazaError(404, 30, "receipt_not_found", "No such receipt.") from None
    receipt = await receipt_service.by_number(call.conn, call.viewer, number)
    return json_response(receipt_object(receipt, await _context(call, merchant, [receipt])))


# --- get-receipts ------------------------------------------------------------------------


async def _where(call: Call, merchant: Merchant, query: GetReceiptsQuery) -> ReceiptFilter:
    if query.branch_business_id is not None and query.branch_business_owner_code is not None:
        raise SpaazaError(
            400, 13, "branch_parameters_conflict",
            "Give branch_business_id or branch_business_owner_code, not both.",
        )  # fmt: skip
    filters = ReceiptFilters(
        branch_code=query.branch_business_owner_code,
        external_id=query.retailer_basket_code,
        issued_from=query.min_created_datetime,
        issued_to=query.max_created_datetime,
        issued_from_relative=query.min_created_datetime_relative,
        issued_to_relative=query.max_created_datetime_relative,
    )
    if query.user_id is not None:
        customer = await _shopper(call, query.user_id)
        if customer is None:
            return ReceiptFilter(nothing=True)
        filters.customer_id = customer.id
    if query.branch_business_id is not None:
        branch = await branch_service.by_number(call.conn, merchant.id, query.branch_business_id)
        if branch is None:
            return ReceiptFilter(nothing=True)
        filters.branch_id = branch.id
    return await receipt_service.filter(call.conn, Viewer(merchant.id), filters)


async def get_receipts(call: Call, query: GetReceiptsQuery) -> Response:
    """A chain's receipts, oldest first: at most 500 per request, from `results_offset`."""
    merchant = await chain_of(call, query.chain_id)
    where = await _where(call, merchant, query)
    limit = min(query.number_results if query.number_results is not None else JSON_CAP, JSON_CAP)
    receipts = await receipt_service.window(
        call.conn, merchant.id, where, query.results_offset, limit
    )
    ctx = await _context(call, merchant, receipts)
    return json_response(
        {"result": OK, "results": {"receipts": [export_object(r, ctx) for r in receipts]}}
    )


router.get("/get-receipts", access=Access.read)(get_receipts)
router.get("/get-receipts.json", access=Access.read)(get_receipts)


@router.get("/get-receipts.csv", access=Access.read, produces="application/force-download")
async def get_receipts_csv(call: Call, query: GetReceiptsQuery) -> Response:
    """The chain's receipts as a streamed CSV download (27 columns), all by default."""
    merchant = await chain_of(call, query.chain_id)
    where = await _where(call, merchant, query)
    window = Window(where, offset=query.results_offset, limit=query.number_results)
    return StreamingResponse(
        stream_csv(call.db, merchant.id, window),
        media_type="application/force-download",
        headers={"Content-Disposition": 'attachment; filename="receipts.csv"'},
    )


# --- add-basket --------------------------------------------------------------------------


async def _currency(call: Call, merchant: Merchant, body: AddBasket) -> str:
    given = body.basket.basket_currency
    if given is not None and given.currency_code:
        return parse.choice(
            given.currency_code, EXPONENTS, field="basket.basket_currency.currency_code",
            what="an ISO 4217 currency code",
        )  # fmt: skip
    if given is not None and given.currency_id is not None:
        if given.currency_id not in CURRENCY_BY_ID:
            raise InvalidInput.field(
                "basket.basket_currency.currency_id",
                f"unknown currency id {given.currency_id}; give currency_code",
            )
        return CURRENCY_BY_ID[given.currency_id]
    # Spaaza: a return without currency takes the currency of its (last) original.
    for item in reversed(body.basket.basket_items):
        if item.return_item and item.original_retailer_basket_code:
            where = ReceiptFilter(external_id=item.original_retailer_basket_code)
            found = await receipt_service.window(call.conn, merchant.id, where, 0, 1)
            if found:
                return found[0].currency
    return merchant.settings.default_currency


async def _targets(call: Call, merchant: Merchant, body: AddBasket) -> dict[int, ReturnTarget]:
    targets: dict[int, ReturnTarget] = {}
    for index, item in enumerate(body.basket.basket_items):
        if not item.return_item:
            continue
        line_no = None
        if item.original_retailer_basket_code and item.original_retailer_item_code:
            line_no = await receipt_service.line_to_return(
                call.conn, merchant.id, item.original_retailer_basket_code,
                item.original_retailer_item_code, str(abs(item.item_quantity)),
            )  # fmt: skip
        targets[index] = ReturnTarget(line_no)
    return targets


async def _customer_ref(call: Call, body: AddBasket) -> dict[str, Any] | None:
    user = body.user
    if user is None:
        return None
    if user.member_number:
        return {"member_number": user.member_number}
    if user.authentication_point_identifier:
        return {"external_id": user.authentication_point_identifier}
    if user.user_id is not None:
        customer = await _shopper(call, user.user_id)
        if customer is None:
            raise InvalidInput.field("user.user_id", f"no shopper with id {user.user_id}")
        return {"id": str(customer.id)}
    return None


async def _branch_ref(call: Call, merchant: Merchant, body: AddBasket) -> dict[str, Any] | None:
    entity = body.entity
    if entity is None:
        return None
    if entity.branch_business_owner_code:
        return {"code": entity.branch_business_owner_code}
    number = entity.branch_business_id
    if number is None and entity.entity_type == "business":
        number = entity.entity_id
    if number is None:
        return None
    branch = await branch_service.by_number(call.conn, merchant.id, number)
    if branch is None:
        raise InvalidInput.field("entity.branch_business_id", f"no branch with id {number}")
    return {"id": str(branch.id)}


@router.post("/auth/add-basket", access=Access.write, idempotent=True)
async def add_basket(call: Call, body: AddBasket) -> Response:
    """Store a confirmed basket as a receipt; the same basket again answers the stored one."""
    entity = body.entity
    chain_id = entity.entity_id if entity is not None and entity.entity_type == "chain" else None
    merchant = await chain_of(call, chain_id)
    currency = await _currency(call, merchant, body)
    targets = await _targets(call, merchant, body)
    document = basket_receipt(
        body,
        currency,
        targets,
        await _customer_ref(call, body),
        await _branch_ref(call, merchant, body),
    )
    try:
        create = msgspec.convert(document, ReceiptCreate)
        receipt, _ = await receipt_service.create(call.conn, merchant.id, create)
    except msgspec.ValidationError as exc:
        raise InvalidInput.fields(field_errors([_validation(str(exc))])) from None
    except InvalidInput as exc:
        raise InvalidInput.fields(field_errors(exc.errors)) from None
    warnings = [
        {
            "code": 500,
            "name": "original_basket_item_not_found",
            "description": "The returned item's original purchase was not found; it is stored "
            "as a negatively priced item excluded from rewards.",
            "message": {"basket_item_index": index},
        }
        for index, target in sorted(targets.items())
        if target.line_no is None
    ]
    ctx = await _context(call, merchant, [receipt])
    answer: dict[str, Any] = {"result": OK}
    if warnings:
        answer["warnings"] = warnings
    answer["results"] = {"basket_id": receipt.number, "receipt": receipt_object(receipt, ctx)}
    return json_response(answer)


def _validation(message: str) -> FieldError:
    text, _, at = message.partition(" - at `$")
    return FieldError(at.rstrip("`").lstrip(".") or "basket", text)


# --- claim-basket ------------------------------------------------------------------------

_BASKET_KEYS = ("basket_id", "retailer_basket_code")
_USER_KEYS = ("user_id", "member_number", "authentication_point_identifier")


async def _claim_fields(call: Call) -> dict[str, str]:
    """claim-basket's fields: URL-encoded form fields as Spaaza sends them, or a JSON object."""
    raw = await call.request.body()
    if call.request.headers.get("content-type", "").startswith("application/json"):
        try:
            body = msgspec.json.decode(raw or b"{}")
        except msgspec.DecodeError:
            raise InvalidInput.field("body", "is not valid JSON") from None
        if not isinstance(body, dict):
            raise InvalidInput.field("body", "must be an object")
        return {k: str(v) for k, v in body.items() if v is not None}
    try:
        return dict(parse_qsl(raw.decode(), keep_blank_values=True))
    except UnicodeDecodeError:
        raise InvalidInput.field("body", "is not UTF-8 form fields") from None


def _one_of(fields: dict[str, str], names: tuple[str, ...]) -> tuple[str, str]:
    given = [(n, fields[n]) for n in names if fields.get(n)]
    if len(given) != 1:
        problem = "required field missing" if not given else "give only one of them"
        raise InvalidInput.fields([FieldError(" | ".join(names), problem)])
    return given[0]


@router.post("/auth/claim-basket", access=Access.write, idempotent=True)
async def claim_basket(call: Call) -> Response:
    """Attach an anonymous basket to a shopper; it earns what it would have earned, by the
    campaigns live now (Spaaza: the campaign config at claim time)."""
    merchant = await chain_of(call)
    fields = await _claim_fields(call)
    basket, basket_value = _one_of(fields, _BASKET_KEYS)
    user, user_value = _one_of(fields, _USER_KEYS)
    if basket == "basket_id":
        number = parse.integer(basket_value, field="basket_id")
        receipt_id = (await receipt_service.by_number(call.conn, call.viewer, number)).id
    else:
        where = ReceiptFilter(external_id=basket_value)
        found = await receipt_service.window(call.conn, merchant.id, where, 0, 1)
        if not found:
            raise SpaazaError(404, 30, "basket_not_found", f"No basket {basket_value!r}.")
        receipt_id = found[0].id
    if user == "user_id":
        shopper = await _shopper(call, parse.integer(user_value, field="user_id"))
        if shopper is None:
            raise InvalidInput.field("user_id", f"no shopper with id {user_value}")
        ref = CustomerRef(id=shopper.id)
    elif user == "member_number":
        ref = CustomerRef(member_number=user_value)
    else:
        ref = CustomerRef(external_id=user_value)
    claimed = await receipt_service.claim(call.conn, merchant.id, receipt_id, ref)
    ctx = await _context(call, merchant, [claimed])
    receipt = receipt_object(claimed, ctx)
    return json_response({"result": OK, "results": {"basket_id": claimed.number,
                                                    "receipt": receipt}})  # fmt: skip
