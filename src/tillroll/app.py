"""The ASGI application: every domain's routes, the OpenAPI document and its docs page."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from tillroll import __version__
from tillroll.auth import endpoints as auth_endpoints
from tillroll.auth.ratelimit import FailureLimit
from tillroll.auth.service import auth
from tillroll.branches import endpoints as branches
from tillroll.compat import spaaza
from tillroll.compat.spaaza.export import render_missing, store_cells
from tillroll.config import Settings
from tillroll.customers import endpoints as customers
from tillroll.errors import InternalError
from tillroll.kit import idempotency, security
from tillroll.kit.db import Database, open_database, run
from tillroll.kit.http import Endpoint, Router, Runtime, build_route, log, problem_response
from tillroll.kit.openapi import build_openapi
from tillroll.merchants import endpoints as merchants
from tillroll.products import endpoints as products
from tillroll.receipts import endpoints as receipts
from tillroll.receipts import ingest

ROUTERS: list[Router] = [
    merchants.router,
    auth_endpoints.keys,
    branches.router,
    customers.router,
    auth_endpoints.sessions,
    products.router,
    receipts.exports,
    receipts.router,
    receipts.by_customer,
    spaaza.router,
]

_DOCS_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Tillroll API</title>
<link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css">
</head><body><div id="ui"></div>
<script src="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js"></script>
<script>SwaggerUIBundle({url: "/openapi.json", dom_id: "#ui"});</script>
<noscript>The OpenAPI document is at <a href="/openapi.json">/openapi.json</a>.</noscript>
</body></html>"""


async def _internal_error(_: Request, exc: Exception) -> Response:
    """Unexpected failures: logged in full, answered without internals."""
    log.exception("unhandled error", exc_info=exc)
    return problem_response(InternalError("An unexpected error occurred; it has been logged."))


async def _sweep_hourly(db: Database, settings: Settings) -> None:
    """Housekeeping while the server runs: expired idempotency keys, once an hour."""
    while True:
        try:
            await run(db, lambda conn: idempotency.sweep(conn, settings), write=True)
        except Exception:  # the next hour tries again; requests are unaffected
            log.warning("idempotency key sweep failed", exc_info=True)
        await asyncio.sleep(3600)


def wire_facades() -> None:
    """Hook the facades into the core's generic listeners (once)."""
    if store_cells not in ingest.ON_STORE:
        ingest.ON_STORE.append(store_cells)


DATA_UPGRADES = [render_missing]
"""Run by `tillroll migrate` after the migrations: what they left to render."""


def endpoints() -> list[Endpoint]:
    return [e for router in ROUTERS for e in router.endpoints]


def create_app(settings: Settings | None = None, db: Database | None = None) -> Starlette:
    """The app. `db` is opened by the lifespan unless the caller passes an open one."""
    settings = settings or Settings.from_env()
    wire_facades()
    database = db or open_database(settings.database_url, pool_size=settings.pool_size)
    runtime = Runtime(db=database, settings=settings, auth=auth)
    native = [e for e in endpoints() if not e.path.startswith("/compat/")]  # facades: docs/compat-*
    renderers = [(r.prefix, r.render_error) for r in ROUTERS if r.render_error is not None]
    spec = build_openapi(native, title="Tillroll", version=__version__)

    async def openapi(_: Request) -> Response:
        return JSONResponse(spec)

    async def docs(_: Request) -> Response:
        return HTMLResponse(_DOCS_PAGE)

    async def health(_: Request) -> Response:
        return JSONResponse({"status": "ok", "version": __version__})

    routes: list[BaseRoute] = [
        Route("/openapi.json", openapi),
        Route("/docs", docs),
        Route("/health", health),
        *(build_route(e, runtime) for e in endpoints()),
    ]

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        await database.connect()
        sweeper = asyncio.create_task(_sweep_hourly(database, settings))
        try:
            yield
        finally:
            sweeper.cancel()
            if db is None:
                await database.close()

    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={Exception: _internal_error},
        middleware=[
            *security.middleware(settings),
            Middleware(FailureLimit, db=database, settings=settings, renderers=renderers),
        ],
    )
    app.state.runtime = runtime
    return app
