"""A thin routing layer over Starlette: typed handlers, msgspec I/O, one error handler.

A handler is `async def name(call: Call, body: In, query: Q, <path params>) -> Out | Reply`.
The router decodes and validates the body and query (422 naming the field), authenticates,
opens one transaction (write for unsafe methods), replays `Idempotency-Key`s, and encodes the
result. Handlers stay thin: they call one service method. OpenAPI comes from the same
registrations (`tillroll.kit.openapi`).
"""

from __future__ import annotations

import enum
import hashlib
import inspect
import logging
import types
import uuid
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, Protocol, Union, get_args, get_origin, get_type_hints

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tillroll.config import Settings
from tillroll.errors import (
    Conflict,
    Forbidden,
    InternalError,
    TillrollError,
    Unavailable,
)
from tillroll.kit import group as group_
from tillroll.kit import idempotency
from tillroll.kit.db import (
    ConflictRetry,
    Connection,
    Database,
    DatabaseUnavailable,
    ForeignKeyViolation,
    UniqueViolation,
)
from tillroll.kit.group import Coalescer, Later
from tillroll.kit.inputs import decode_json, parse_query, path_value, read_body
from tillroll.kit.viewer import Viewer

log = logging.getLogger("tillroll")

JSON = "application/json"
PROBLEM = "application/problem+json"


class Access(enum.Enum):
    """Who may call an endpoint."""

    read = "read"
    write = "write"
    admin = "admin"


class Principal(Protocol):
    @property
    def merchant_id(self) -> uuid.UUID: ...

    @property
    def viewer(self) -> Viewer: ...

    def may(self, access: Access, *, shopper_ok: bool) -> bool: ...


class AuthBackend(Protocol):
    async def authenticate(self, conn: Connection, request: Request) -> Principal: ...

    async def principal_for(self, conn: Connection, credential: str) -> Principal: ...

    async def record_use(self, db: Database, principal: Principal) -> None: ...


ErrorRenderer = Callable[[TillrollError], Response]
"""Turns an expected error into a response (a facade renders its system's error envelope)."""

CredentialReader = Callable[[Request], str | None]
"""Finds the API key where a facade's clients send it (None: the usual bearer header)."""

GroupKey = Callable[[Request], Hashable]
"""A grouped endpoint's key: requests with the same key share a group (`Runtime.coalescer`)."""


@dataclass(slots=True)
class Call:
    """What a handler gets: the open transaction, the caller (and what it may see), the
    raw request."""

    conn: Connection
    principal: Principal
    request: Request
    settings: Settings
    db: Database
    viewer: Viewer
    prepared: Any = None  # what the endpoint's `prepare` made of the body


@dataclass(frozen=True, slots=True)
class Reply:
    """A handler result with a status other than the endpoint's default, or extra headers."""

    body: Any
    status: int = 200
    headers: dict[str, str] | None = None


@dataclass(frozen=True, slots=True)
class Endpoint:
    method: str
    path: str
    handler: Callable[..., Awaitable[Any]]
    access: Access
    status: int
    summary: str
    tags: tuple[str, ...]
    body: Any = None
    query: Any = None
    response: Any = None
    path_params: dict[str, Any] = field(default_factory=dict)
    shopper_ok: bool = False
    idempotent: bool = False
    errors: tuple[int, ...] = ()
    produces: str | None = None  # a streamed non-JSON body (CSV …)
    render_error: ErrorRenderer | None = None  # None: RFC 9457 problem details
    credential: CredentialReader | None = None  # None: `Authorization: Bearer`
    grouped: bool | GroupKey = False  # run in a group-committed transaction (`kit.group`)
    # body → `call.prepared`, before the transaction; a list's length is the work's weight
    # in a group (the receipts of a batch)
    prepare: Callable[[Any], Any] | None = None


class Router:
    """Collects the endpoints of one domain under a prefix."""

    def __init__(
        self,
        prefix: str,
        *,
        tag: str,
        render_error: ErrorRenderer | None = None,
        credential: CredentialReader | None = None,
    ) -> None:
        self.prefix = prefix
        self.tag = tag
        self.render_error = render_error
        self.credential = credential
        self.endpoints: list[Endpoint] = []

    def route(
        self,
        method: str,
        path: str,
        *,
        access: Access,
        status: int = 200,
        shopper_ok: bool = False,
        idempotent: bool = False,
        errors: tuple[int, ...] = (),
        produces: str | None = None,
        grouped: bool | GroupKey = False,
        prepare: Callable[[Any], Any] | None = None,
    ) -> Callable[[Callable[..., Awaitable[Any]]], Callable[..., Awaitable[Any]]]:
        def register(handler: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
            hints = get_type_hints(handler, include_extras=True)
            params = [p for p in inspect.signature(handler).parameters if p != "call"]
            self.endpoints.append(
                Endpoint(
                    method=method,
                    path=self.prefix + path,
                    handler=handler,
                    access=access,
                    status=status,
                    summary=(inspect.getdoc(handler) or handler.__name__).split("\n")[0],
                    tags=(self.tag,),
                    body=hints.get("body"),
                    query=hints.get("query"),
                    response=None if produces else _response_type(hints.get("return")),
                    path_params={p: hints[p] for p in params if p not in ("body", "query")},
                    shopper_ok=shopper_ok,
                    idempotent=idempotent,
                    errors=errors,
                    produces=produces,
                    render_error=self.render_error,
                    credential=self.credential,
                    grouped=grouped,
                    prepare=prepare,
                )
            )
            return handler

        return register

    def get(self, path: str, **kw: Any) -> Callable[..., Any]:
        return self.route("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> Callable[..., Any]:
        return self.route("POST", path, **kw)

    def patch(self, path: str, **kw: Any) -> Callable[..., Any]:
        return self.route("PATCH", path, **kw)

    def delete(self, path: str, **kw: Any) -> Callable[..., Any]:
        return self.route("DELETE", path, **kw)


def _response_type(hint: Any) -> Any:
    """`Receipt | Reply` → `Receipt`; `Page[Receipt]` stays; `None` → None; a `Later[…]`
    (a grouped handler's deferred answer) is the same answer again."""
    union = get_origin(hint) in (Union, types.UnionType)
    args = [
        a
        for a in (get_args(hint) if union else (hint,))
        if a not in (Reply, type(None)) and get_origin(a) is not Later
    ]
    if hint is None or not args:
        return None
    return args[0] if len(args) == 1 else hint


# --- request handling -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Runtime:
    """What every route needs at request time."""

    db: Database
    settings: Settings
    auth: AuthBackend
    group: Coalescer | None = None  # group commit for `grouped` endpoints (None: off)
    keyed: dict[Hashable, Coalescer] = field(default_factory=dict)  # see `coalescer`

    def coalescer(self, endpoint: Endpoint, request: Request) -> Coalescer | None:
        """The group an endpoint's request joins: the one group, or, for an endpoint
        grouped by a key, on PostgreSQL one group per key (requests on different rows then
        run in parallel, each on its own connection; SQLite has one writer: one group)."""
        if not endpoint.grouped or self.group is None:
            return None
        if endpoint.grouped is True or self.db.dialect == "sqlite":
            return self.group
        key = endpoint.grouped(request)
        found = self.keyed.get(key)
        if found is None:
            if len(self.keyed) >= _KEYED_GROUPS:  # forget them all: a running group finishes
                self.keyed.clear()
            found = Coalescer(self.db, max_items=self.group.max_items, wait=self.group.wait)
            self.keyed[key] = found
        return found


_KEYED_GROUPS = 1024


Handler = Callable[[Request], Awaitable[Response]]


def build_routes(endpoints: list[Endpoint], runtime: Runtime) -> list[Route]:
    """One route per path, in `ordered` order: a wrong method is then a 405 whose `Allow`
    names every method of the path."""
    by_path: dict[str, dict[str, Handler]] = {}
    typed: dict[str, str] = {}
    for e in ordered(endpoints):
        by_path.setdefault(e.path, {})[e.method] = _handler(e, runtime)
        typed[e.path] = _typed_path(e)
    return [_route(typed[path], handlers) for path, handlers in by_path.items()]


def _typed_path(endpoint: Endpoint) -> str:
    """`/v1/receipts/{receipt_id}` → `/v1/receipts/{receipt_id:uuid}`: a segment that is no
    UUID does not match, so `GET /v1/receipts/batch` is a 405, not "no receipt 'batch'"."""
    path = endpoint.path
    for name, kind in endpoint.path_params.items():
        if kind is uuid.UUID:
            path = path.replace("{" + name + "}", "{" + name + ":uuid}")
    return path


def _route(path: str, handlers: dict[str, Handler]) -> Route:
    async def dispatch(request: Request) -> Response:
        method = "GET" if request.method == "HEAD" else request.method
        return await handlers[method](request)

    return Route(path, dispatch, methods=list(handlers))


def _handler(endpoint: Endpoint, runtime: Runtime) -> Handler:
    decoder = msgspec.json.Decoder(endpoint.body) if endpoint.body is not None else None

    async def asgi(request: Request) -> Response:
        try:
            raw = await read_body(request, decoder, runtime.settings.max_body_bytes)
            # Decoded (and prepared) now, before the transaction (so not under SQLite's write
            # lock); an invalid body is reported only once the caller is authorized.
            body: Any = None
            prepared: Any = None
            invalid: TillrollError | None = None
            if decoder is not None:
                try:
                    body = decode_json(decoder, raw)
                    prepared = endpoint.prepare(body) if endpoint.prepare else None
                except TillrollError as exc:
                    invalid = exc

            def inputs() -> dict[str, Any]:
                """The handler's arguments, once the caller is authorized."""
                kwargs = _arguments(endpoint, request)
                if invalid is not None:
                    raise invalid
                if decoder is not None:
                    kwargs["body"] = body
                return kwargs

            return await _run(endpoint, runtime, request, inputs, raw, prepared)
        except TillrollError as exc:
            return (endpoint.render_error or problem_response)(exc)
        except Exception:
            log.exception("unhandled error in %s %s", endpoint.method, endpoint.path)
            return internal_error(endpoint.render_error or problem_response)

    return asgi


def internal_error(render: ErrorRenderer) -> Response:
    """A 500 without internals; the connection is closed so that a keep-alive client starts
    afresh instead of being reset on its next request."""
    response = render(InternalError("An unexpected error occurred; it has been logged."))
    response.headers["Connection"] = "close"
    return response


def ordered(endpoints: list[Endpoint]) -> list[Endpoint]:
    """Routing order: at the first segment where two paths differ, a static segment wins over
    a `{parameter}` (`/v1/receipts/export.csv` before `/v1/receipts/{receipt_id}`), whatever
    order the routers were registered in."""
    return sorted(endpoints, key=lambda e: [s.startswith("{") for s in e.path.split("/")])


def _arguments(endpoint: Endpoint, request: Request) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    for name, kind in endpoint.path_params.items():
        kwargs[name] = path_value(request.path_params[name], kind)
    if endpoint.query is not None:
        kwargs["query"] = parse_query(request.query_params.multi_items(), endpoint.query)
    return kwargs


Answer = tuple[Response, Principal]


async def _run(
    endpoint: Endpoint,
    runtime: Runtime,
    request: Request,
    inputs: Callable[[], dict[str, Any]],
    body: bytes,
    prepared: Any = None,
) -> Response:
    write = endpoint.method != "GET"
    kwargs: dict[str, Any] | None = None
    key = request.headers.get("idempotency-key") if endpoint.idempotent else None
    fingerprint = _fingerprint(request, body) if key else ""  # empty: no key at all

    async def work(conn: Connection) -> Answer | Later[Answer]:
        nonlocal kwargs
        principal = await _authorize(endpoint, runtime, conn, request)
        if kwargs is None:  # after 401/403: a stranger learns nothing from 404/422
            kwargs = inputs()
        call = Call(
            conn, principal, request, runtime.settings, runtime.db, principal.viewer, prepared
        )
        stored = key and await idempotency.lookup(
            conn, principal.merchant_id, key, fingerprint, runtime.settings
        )
        if stored:
            return stored, principal
        if key:
            _claim(conn, principal.merchant_id, key)
        result = await endpoint.handler(call, **kwargs)

        async def answer(conn: Connection) -> Answer:
            response = await _respond(endpoint, await group_.settled(conn, result))
            if key and response.status_code < 300:
                await idempotency.store(conn, principal.merchant_id, key, fingerprint, response)
            return response, principal

        return await group_.later(conn, answer)  # in a group: once the numbers are given

    group = runtime.coalescer(endpoint, request)
    for attempt in range(4):
        try:
            if group is not None:
                weight = len(prepared) if isinstance(prepared, list) else 1
                response, principal = await group.run(work, weight=weight)
            else:
                async with runtime.db.transaction(write=write) as conn:
                    response, principal = await group_.settled(conn, await work(conn))
            break
        except (ConflictRetry, UniqueViolation, ForeignKeyViolation) as exc:
            # a foreign key reaching here is an insert that lost a race to a delete (a
            # service answers its own deletion guards as 409s before this)
            if attempt == 3:
                raise Conflict("A concurrent request changed the same data; retry.") from exc
        except DatabaseUnavailable as exc:  # locked too long, unreachable, restarting
            raise Unavailable(exc.reason) from exc
    if not response.headers.get(idempotency.REPLAY_HEADER):
        await _record_use(runtime, principal)
    return response


def _claim(conn: Connection, merchant_id: uuid.UUID, key: str) -> None:
    """In a group, the key's row is written at the end: a second request with the same key
    in the same group is run again after the group's COMMIT, and then replayed."""
    claims = group_.memo(conn)
    if claims is None:
        return
    if ("idempotency", merchant_id, key) in claims:
        raise ConflictRetry("the same Idempotency-Key earlier in this group")
    claims["idempotency", merchant_id, key] = True


async def _record_use(runtime: Runtime, principal: Principal) -> None:
    """Note the key's use after the request committed; never fail the request over it."""
    try:
        await runtime.auth.record_use(runtime.db, principal)
    except Exception:  # the answer is already committed; a missed timestamp is harmless
        log.warning("could not record the use of a credential", exc_info=True)


async def _authorize(
    endpoint: Endpoint, runtime: Runtime, conn: Connection, request: Request
) -> Principal:
    credential = endpoint.credential(request) if endpoint.credential else None
    if credential is None:
        principal = await runtime.auth.authenticate(conn, request)
    else:
        principal = await runtime.auth.principal_for(conn, credential)
    if not principal.may(endpoint.access, shopper_ok=endpoint.shopper_ok):
        raise Forbidden(f"This credential may not call {endpoint.method} {endpoint.path}.")
    return principal


def _fingerprint(request: Request, body: bytes) -> str:
    digest = hashlib.sha256(f"{request.method} {request.url.path}\n".encode())
    digest.update(body)
    return digest.hexdigest()


async def _respond(endpoint: Endpoint, result: Any) -> Response:
    if isinstance(result, Response):
        return result
    status, headers = endpoint.status, None
    if isinstance(result, Reply):
        status, headers, result = result.status, result.headers, result.body
    if result is None:
        return Response(status_code=204 if status == 200 else status, headers=headers)
    return Response(msgspec.json.encode(result), status, headers, media_type=JSON)


def problem_response(exc: TillrollError) -> Response:
    body = {
        "type": f"https://tillroll.dev/problems/{exc.code}",
        "title": exc.title,
        "status": exc.status,
        "detail": exc.detail,
        "code": exc.code,
        "errors": [{"loc": e.loc, "message": e.message} for e in exc.errors],
    }
    return Response(msgspec.json.encode(body), exc.status, exc.headers, media_type=PROBLEM)
