"""The value receipt's pages: the share link, its data, and the embeddable view.

- `/p/value-receipts/{token}`: HTML with the merchant's branding, the breakdown and a chart
  of delivered value per day; open while published and unexpired, else with a valid embed
  JWT in `?token=` (or a redirect to the merchant's login URL, if one is configured).
- `/p/value-receipts/{token}/data` (JSON) and `/view` (the breakdown as an HTML fragment):
  the same rule, the JWT also as `Authorization: Bearer`.
- `/embed/value-receipts/{token}?parent_origin=…`: the iframe. It speaks the Paid embed
  protocol: it posts `paid-embed:ready` to the parent origin, takes the JWT from a
  `paid-embed:token` message sent by its parent window from that origin only (or from
  `?token=`), posts `paid-embed:height` after rendering and `paid-embed:token-expired`
  (with the refresh URL) when the JWT has expired.

Every answer carries `Referrer-Policy: no-referrer` and `Cache-Control: no-store`.
"""

from __future__ import annotations

import html
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlencode

import msgspec
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from tillroll.config import Settings
from tillroll.kit.clock import utc_now
from tillroll.kit.db import Connection, Database, run
from tillroll.merchants.schemas import Merchant
from tillroll.merchants.service import merchant as merchant_service
from tillroll.values.document import PRIVATE, PdfResponse, money, pdf_view, unit_label, who
from tillroll.values.embed import Embedding, TokenRefused, check_jwt, embed_settings
from tillroll.values.schemas import ValueReceipt
from tillroll.values.service import value_receipt as receipt_service

_CSP = "default-src 'none'; img-src https: data:; style-src 'unsafe-inline'"


@dataclass(frozen=True, slots=True)
class Opened:
    receipt: ValueReceipt
    merchant: Merchant
    embedding: Embedding | None


@dataclass(frozen=True, slots=True)
class Refused:
    status: int
    reason: str
    expired: bool = False
    embedding: Embedding | None = None


async def open_receipt(conn: Connection, share: str, jwt: str | None) -> Opened | Refused:
    """The receipt behind `share`, if it is public or `jwt` opens it."""
    receipt = await receipt_service.by_token(conn, share)
    if receipt is None:
        return Refused(404, "No such value receipt.")
    merchant_id = await receipt_service.merchant_of(conn, share)
    assert merchant_id is not None
    merchant = await merchant_service.get(conn, merchant_id)
    embedding = await embed_settings.embedding(conn, merchant_id)
    expires = receipt.publish_expires_at
    if receipt.is_published and (expires is None or expires > utc_now()):
        return Opened(receipt, merchant, embedding)
    if not jwt:
        return Refused(401, "This value receipt is private.", embedding=embedding)
    if embedding is None:
        return Refused(401, "This value receipt is private.")
    try:
        check_jwt(jwt, embedding, receipt)
    except TokenRefused as exc:
        return Refused(401, exc.reason, exc.expired, embedding)
    return Opened(receipt, merchant, embedding)


def routes(db: Database, settings: Settings) -> list[BaseRoute]:
    def reading(
        answer: Callable[[Request, Opened | Refused], Response],
    ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            share = request.path_params["share"]
            jwt = _bearer(request) or request.query_params.get("token")
            found = await run(db, lambda conn: open_receipt(conn, share, jwt), write=False)
            response = answer(request, found)
            response.headers.update(PRIVATE)
            return response

        return endpoint

    async def pdf(request: Request) -> Response:
        share = request.path_params["share"]
        jwt = _bearer(request) or request.query_params.get("token")

        async def view(conn: Connection) -> Response:
            found = await open_receipt(conn, share, jwt)
            if isinstance(found, Refused):
                return _data(request, found)
            made = await pdf_view(conn, settings, found.merchant.id, found.receipt)
            return PdfResponse(settings, made, found.receipt.id)

        response = await run(db, view, write=False)
        response.headers.update(PRIVATE)
        return response

    return [
        Route("/p/value-receipts/{share}.pdf", pdf),
        Route("/p/value-receipts/{share}", reading(_page)),
        Route("/p/value-receipts/{share}/data", reading(_data)),
        Route("/p/value-receipts/{share}/view", reading(_fragment)),
        Route("/embed/value-receipts/{share}", reading(_embed)),
    ]


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    return header[7:].strip() if header[:7].lower() == "bearer " else None


def _page(request: Request, found: Opened | Refused) -> Response:
    if isinstance(found, Refused):
        login = found.embedding.login_url if found.embedding else None
        if found.status == 401 and login:
            target = (
                login + ("&" if "?" in login else "?") + urlencode({"redirect": str(request.url)})
            )
            return RedirectResponse(target, status_code=302)
        return HTMLResponse(
            _shell("Value receipt", f"<p>{html.escape(found.reason)}</p>"), found.status
        )
    jwt = request.query_params.get("token")
    href = request.path_params["share"] + ".pdf" + (f"?{urlencode({'token': jwt})}" if jwt else "")
    body = render(found.receipt, found.merchant)
    body += f'<p class="pdf"><a href="{html.escape(href)}">Download the PDF</a></p>'
    csp = f"{_CSP}; frame-ancestors 'none'"
    page = _shell("Value receipt", body, found.merchant)
    return HTMLResponse(page, headers={"Content-Security-Policy": csp})


def _data(_: Request, found: Opened | Refused) -> Response:
    if isinstance(found, Refused):
        body = {"error": found.reason, "expired": found.expired}
        return Response(msgspec.json.encode(body), found.status, media_type="application/json")
    return Response(msgspec.json.encode(found.receipt), media_type="application/json")


def _fragment(request: Request, found: Opened | Refused) -> Response:
    if isinstance(found, Refused):
        return _data(request, found)
    return HTMLResponse(render(found.receipt, found.merchant))


def _embed(request: Request, found: Opened | Refused) -> Response:
    if isinstance(found, Refused) and found.status == 404:
        return HTMLResponse(_shell("Value receipt", "<p>No such value receipt.</p>"), 404)
    embedding = found.embedding
    origins = embedding.allowed_origins if embedding else []
    parent = request.query_params.get("parent_origin", "")
    if parent not in origins:
        page = _shell("Value receipt", "<p>This page may not be embedded here.</p>")
        return HTMLResponse(
            page, 400, headers={"Content-Security-Policy": "frame-ancestors 'none'"}
        )
    nonce = secrets.token_urlsafe(16)
    config = {
        "parentOrigin": parent,
        "viewUrl": request.url.path.replace("/embed/", "/p/", 1) + "/view",
        "refreshUrl": embedding.refresh_url if embedding else None,
        "urlToken": request.query_params.get("token"),
    }
    body = '<div id="receipt"><p>Loading…</p></div>'
    script = _EMBED_JS.replace(
        "__CONFIG__", msgspec.json.encode(config).decode().replace("<", "\\u003c")
    )
    page = _shell("Value receipt", body + f'<script nonce="{nonce}">{script}</script>')
    csp = (
        f"{_CSP}; connect-src 'self'; "
        f"script-src 'nonce-{nonce}'; frame-ancestors {' '.join(origins)}"
    )
    return HTMLResponse(page, headers={"Content-Security-Policy": csp})


_EMBED_JS = """
(function () {
  var config = __CONFIG__;
  var root = document.getElementById("receipt");
  function post(message) { window.parent.postMessage(message, config.parentOrigin); }
  function height() {
    post({type: "paid-embed:height", height: document.documentElement.scrollHeight});
  }
  function load(jwt) {
    fetch(config.viewUrl, {headers: {Authorization: "Bearer " + jwt}, credentials: "omit"})
      .then(function (response) {
        if (response.ok) {
          return response.text().then(function (text) { root.innerHTML = text; height(); });
        }
        return response.json().then(function (body) {
          if (body.expired) {
            post({type: "paid-embed:token-expired", refreshUrl: config.refreshUrl});
          }
          root.textContent = body.error;
          height();
        });
      });
  }
  window.addEventListener("message", function (event) {
    if (event.source !== window.parent || event.origin !== config.parentOrigin) { return; }
    var data = event.data || {};
    if (data.type === "paid-embed:token" && typeof data.token === "string") { load(data.token); }
  });
  if (config.urlToken) { load(config.urlToken); } else { load(""); }
  post({type: "paid-embed:ready"});
})();
"""


def render(receipt: ValueReceipt, merchant: Merchant) -> str:
    """The breakdown and the chart (escaped HTML, no script)."""
    currency = receipt.currency
    rows = "".join(
        f"<tr><td>{html.escape(line.name)}</td><td>{line.occurrences}</td>"
        f"<td>{html.escape(str(line.quantity))} {html.escape(unit_label(line.unit))}</td>"
        f"<td>{'' if line.value is None else html.escape(money(line.value, currency))}</td></tr>"
        for line in receipt.lines
    )
    period = f"{receipt.start:%Y-%m-%d %H:%M} – {receipt.end:%Y-%m-%d %H:%M} UTC"
    total = money(receipt.total_delivered_value, currency)
    return (
        f'<section class="value-receipt"><h1>{html.escape(merchant.name)}</h1>'
        f"<p>Delivered value for {html.escape(who(receipt))}, "
        f"{period}</p>"
        f'<p class="total">Total delivered value: <strong>{html.escape(total)}</strong></p>'
        "<table><thead><tr><th>Metric</th><th>Occurrences</th><th>Quantity</th><th>Value</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>{_chart(receipt)}"
        f'<p class="status">{"Sealed" if receipt.status == "posted" else "Draft"}</p></section>'
    )  # fmt: skip


def _chart(receipt: ValueReceipt) -> str:
    """Delivered value per day as an inline SVG bar chart."""
    points = receipt.series
    if not points:
        return '<p class="chart">No delivered value in this period.</p>'
    top = max(max(p.value for p in points), 1)
    width = 12
    wide = len(points) * width
    bars = "".join(
        f'<rect x="{i * width}" y="{100 - 100 * max(p.value, 0) // top}" width="{width - 2}" '
        f'height="{100 * max(p.value, 0) // top}"><title>{p.day}: '
        f"{html.escape(money(p.value, receipt.currency))}</title></rect>"
        for i, p in enumerate(points)
    )
    return (
        f'<svg class="chart" role="img" aria-label="Delivered value per day" '
        f'viewBox="0 0 {wide} 100" width="{min(wide, 600)}" height="100">'
        f"{bars}</svg>"
    )


def _shell(title: str, body: str, merchant: Merchant | None = None) -> str:
    settings = merchant.settings if merchant else None
    color = settings.brand_color if settings and settings.brand_color else "#222222"
    logo = (
        f'<img class="logo" alt="" src="{html.escape(settings.logo_url)}">'
        if settings and settings.logo_url and settings.logo_url.startswith("https://")
        else ""
    )
    return (
        f'<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>body{{font-family:sans-serif;margin:1.5rem;color:#222}}h1{{color:{color}}}"
        "table{border-collapse:collapse}"
        "td,th{padding:.3rem .6rem;border-bottom:1px solid #ddd;text-align:left}"
        f".chart rect{{fill:{color}}}.logo{{max-height:48px}}</style></head>"
        f"<body>{logo}{body}</body></html>"
    )  # fmt: skip
