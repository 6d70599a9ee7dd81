"""The ASGI application: every domain's routes, the OpenAPI document and its docs page."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from tillroll import __version__
from tillroll.auth import endpoints as auth_endpoints
from tillroll.auth.ratelimit import FailureLimit
from tillroll.auth.service import AuthService
from tillroll.b2b import endpoints as b2b
from tillroll.branches import endpoints as branches
from tillroll.compat import bigcommerce, inveterate, paid, retail_messaging, spaaza
from tillroll.compat.spaaza.export import render_missing, store_cells
from tillroll.compat.spaaza.webhook import on_store as spaaza_webhook
from tillroll.config import Settings
from tillroll.customers import endpoints as customers
from tillroll.documents import endpoints as documents
from tillroll.documents.mailing import on_store as email_on_store
from tillroll.documents.prerender import on_store as prerender_on_store
from tillroll.events import endpoints as events
from tillroll.jobs import service as jobs_service
from tillroll.jobs import worker
from tillroll.kit import idempotency, security
from tillroll.kit.db import Database, run
from tillroll.kit.group import Coalescer
from tillroll.kit.http import Endpoint, Router, Runtime, build_routes, log, problem_response
from tillroll.kit.inputs import RoutingError
from tillroll.kit.middleware import Edge
from tillroll.kit.openapi import build_openapi
from tillroll.kit.replica import ReplicatedDatabase, open_configured, primary_of
from tillroll.merchants import endpoints as merchants
from tillroll.orders import endpoints as orders
from tillroll.products import endpoints as products
from tillroll.receipts import endpoints as receipts
from tillroll.receipts import export, ingest
from tillroll.values import endpoints as values
from tillroll.values import pages as value_pages
from tillroll.wallets import campaign_endpoints as campaigns
from tillroll.wallets import endpoints as wallets
from tillroll.wallets import levels_endpoints as loyalty
from tillroll.webhooks import endpoints as webhooks

ROUTERS: list[Router] = [
    merchants.router,
    auth_endpoints.keys,
    branches.router,
    customers.router,
    auth_endpoints.sessions,
    products.router,
    receipts.router,
    receipts.by_customer,
    receipts.exports,  # after `/{receipt_id}` on purpose: routing order does not matter
    documents.router,
    documents.branding,
    events.router,
    webhooks.router,
    wallets.by_customer,
    wallets.router,
    wallets.codes,
    loyalty.router,
    campaigns.router,
    spaaza.router,
    *b2b.ROUTERS,
    bigcommerce.router,
    inveterate.router,
    values.signals,
    values.metrics,
    values.router,
    values.embed,
    paid.router,
    orders.router,
    orders.shipments,
    orders.stock_router,
    orders.stock_settings,
    retail_messaging.router,
]

_ASSETS = "/docs/assets"
_DOCS_PAGE = f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Tillroll API</title>
<link rel="stylesheet" href="{_ASSETS}/swagger-ui.css">
</head><body><div id="ui"></div>
<script src="{_ASSETS}/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
<noscript>The OpenAPI document is at <a href="/openapi.json">/openapi.json</a>.</noscript>
</body></html>"""
_DOCS_INIT = 'SwaggerUIBundle({url: "/openapi.json", dom_id: "#ui"});'
_LANDING_PAGE = f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Tillroll</title></head><body>
<h1>Tillroll {__version__}</h1>
<p>A self-hosted receipts platform. This server answers:</p>
<ul>
<li><a href="/docs">/docs</a>: the API reference (Swagger UI)</li>
<li><a href="/openapi.json">/openapi.json</a>: the OpenAPI document</li>
<li><a href="/health">/health</a>: liveness</li>
</ul></body></html>"""
_SWAGGER_UI = ("swagger_ui", "static")  # the assets the PyPI package `swagger-ui-py` ships


async def _http_error(request: Request, exc: Exception) -> Response:
    """Routing errors (unknown path 404, wrong method 405 with `Allow`): problem details, or
    the facade's own envelope under a facade's prefix."""
    assert isinstance(exc, HTTPException)
    render = next(
        (
            r.render_error
            for r in ROUTERS
            if r.render_error is not None and request.url.path.startswith(r.prefix + "/")
        ),
        problem_response,
    )
    return render(RoutingError(exc.status_code, exc.headers))


async def _sweep_hourly(db: Database, settings: Settings) -> None:
    """Housekeeping while the server runs, once an hour: expired idempotency keys, jobs
    finished a week ago."""
    while True:
        try:
            await run(db, lambda conn: idempotency.sweep(conn, settings), write=True)
            await run(db, jobs_service.purge, write=True)
        except Exception:  # the next hour tries again; requests are unaffected
            log.warning("idempotency key sweep failed", exc_info=True)
        await asyncio.sleep(3600)


SHUTDOWN_GRACE = 5.0
"""Seconds the worker inside `serve` may take to finish its jobs when the server stops."""


def wire_facades() -> None:
    """Hook the facades into the core's generic listeners (once)."""
    if store_cells not in ingest.ON_STORE:
        ingest.ON_STORE.append(store_cells)
    if spaaza_webhook not in ingest.ON_STORE:  # Spaaza's receipt webhook jobs
        ingest.ON_STORE.append(spaaza_webhook)
    if email_on_store not in ingest.ON_STORE:  # a core listener: receipt e-mail jobs
        ingest.ON_STORE.append(email_on_store)
    if prerender_on_store not in ingest.ON_STORE:  # a core listener: PDF pre-render jobs
        ingest.ON_STORE.append(prerender_on_store)


DATA_UPGRADES = [export.render_missing, render_missing]
"""Run by `tillroll migrate` after the migrations: what they left to render."""


def endpoints() -> list[Endpoint]:
    return [e for router in ROUTERS for e in router.endpoints]


def middleware(settings: Settings, db: Database) -> list[Middleware]:
    """Outermost first. One layer (`kit.middleware.Edge`: headers, request id, access log,
    the failed-authentication limit, the last 500 guard, CORS inside it when configured):
    every layer is CPU time on every request. (A facade whose clients send the key in
    another header says so on its Router: `credential=`.)"""
    renderers = [(r.prefix, r.render_error) for r in ROUTERS if r.render_error is not None]
    limiter = FailureLimit(db, settings, renderers)
    return [Middleware(Edge, limiter=limiter, cors=security.cors(settings))]


def create_app(settings: Settings | None = None, db: Database | None = None) -> Starlette:
    """The app. `db` is opened by the lifespan unless the caller passes an open one."""
    settings = settings or Settings.from_env()
    wire_facades()
    database = db or open_configured(settings)
    runtime = Runtime(
        db=database,
        settings=settings,
        auth=AuthService(key_ttl=settings.api_key_cache_seconds),
        group=_group(database, settings),
    )
    routes: list[BaseRoute] = [
        *_pages(settings, database),
        *value_pages.routes(database, settings),
        *documents.public_routes(database, settings),
        *build_routes(endpoints(), runtime),
    ]

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        await database.connect()
        sweeper = asyncio.create_task(_sweep_hourly(database, settings))
        stop = asyncio.Event()
        # jobs read what was just written: from the primary, never a replica behind it
        background = primary_of(database)
        jobs = (
            asyncio.create_task(worker.serve(background, stop)) if settings.serve_worker else None
        )
        try:
            yield
        finally:
            sweeper.cancel()
            stop.set()
            if jobs is not None:  # a delivery cut short is made again after its lease
                with suppress(TimeoutError):
                    await asyncio.wait_for(jobs, SHUTDOWN_GRACE)
            if db is None:
                await database.close()

    app = Starlette(
        routes=routes,
        middleware=middleware(settings, database),
        lifespan=lifespan,
        exception_handlers={HTTPException: _http_error},
    )
    app.state.runtime = runtime
    return app


def _group(database: Database, settings: Settings) -> Coalescer | None:
    """Group commit for the ingest endpoints (docs/performance.md), unless turned off."""
    if settings.group_max_items <= 1:
        return None
    wait = settings.group_wait_ms / 1000
    return Coalescer(database, max_items=settings.group_max_items, wait=wait)


def _pages(settings: Settings, db: Database) -> list[BaseRoute]:
    """What is not the API: landing page, health, the OpenAPI document and its docs page."""
    native = [e for e in endpoints() if not e.path.startswith("/compat/")]  # facades: docs/compat-*
    spec = build_openapi(native, title="Tillroll", version=__version__, settings=settings)

    async def landing(_: Request) -> Response:
        return HTMLResponse(_LANDING_PAGE)

    async def openapi(_: Request) -> Response:
        return JSONResponse(spec)

    async def docs(_: Request) -> Response:
        return HTMLResponse(_DOCS_PAGE)

    async def docs_init(_: Request) -> Response:
        return Response(_DOCS_INIT, media_type="text/javascript")

    async def health(_: Request) -> Response:
        body: dict[str, object] = {"status": "ok", "version": __version__}
        if isinstance(db, ReplicatedDatabase):  # "in use", "lagging", "down", "not a replica"
            replica = await db.replica_health()
            body["replica"] = {"state": replica.state, "lag_ms": replica.lag_ms}
        return JSONResponse(body)

    return [
        Route("/", landing),
        Route("/openapi.json", openapi),
        Route("/docs", docs),
        Route("/docs/init.js", docs_init),
        Mount(_ASSETS, StaticFiles(packages=[_SWAGGER_UI])),
        Route("/health", health),
    ]
