"""Spaaza's receipt webhook: the chain's `webhook_config_*` settings, and each created
receipt POSTed to that URL in Spaaza's receipt shape with HTTP basic auth.

Ingest's listener enqueues one `spaaza.receipt_webhook` job per new receipt in the storing
transaction (keyed by the receipt: once). The job renders the receipt as `GET /receipts/{id}`
does and POSTs it outside any transaction, through the SSRF guard, with a timeout and no
redirects; a failure is retried on the webhooks' rules (their backoff, `Retry-After`
honoured) until the job is dead (10 attempts). A
cleared URL stops deliveries: pending jobs find no URL and end.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import httpx
import msgspec
from starlette.responses import Response

from tillroll.compat.spaaza.endpoints import ENCODER, chain_of, context, json_response, router
from tillroll.compat.spaaza.tables import WEBHOOK
from tillroll.compat.spaaza.translate import OK, receipt_object
from tillroll.config import Settings
from tillroll.errors import InvalidInput
from tillroll.jobs.schemas import Job
from tillroll.jobs.service import Retry, enqueue, handler
from tillroll.jobs.worker import backoff
from tillroll.kit import group
from tillroll.kit.clock import utc_now
from tillroll.kit.db import Connection, Database, run
from tillroll.kit.http import Access, Call
from tillroll.kit.viewer import Viewer
from tillroll.merchants.schemas import Merchant
from tillroll.merchants.service import merchant as merchant_service
from tillroll.receipts.schemas import Receipt
from tillroll.receipts.service import receipt as receipt_service
from tillroll.webhooks import delivery
from tillroll.webhooks.guard import UnsafeUrl, check_url

SEND = "spaaza.receipt_webhook"
TIMEOUT = 10.0
"""Seconds one attempt may take (connect, send, answer)."""
_FIELDS = ["url", "basic_auth_user", "basic_auth_pass"]
_READ = WEBHOOK.reader(_FIELDS)
_SELECT = f"SELECT {WEBHOOK.select(_FIELDS)} FROM spaaza_webhook_config WHERE merchant_id = :m"


class Config(msgspec.Struct, kw_only=True):
    url: str
    basic_auth_user: str | None
    basic_auth_pass: str | None

    def headers(self) -> dict[str, str]:
        """The POST's headers: JSON, and HTTP basic auth when a user is set."""
        sent = {"content-type": "application/json", "user-agent": "Tillroll-Spaaza"}
        if self.basic_auth_user is not None:
            pair = f"{self.basic_auth_user}:{self.basic_auth_pass or ''}".encode()
            sent["authorization"] = "Basic " + base64.b64encode(pair).decode()
        return sent


class ChainWebhook(msgspec.Struct, kw_only=True):
    """The webhook settings to store: a null URL clears them (deliveries stop)."""

    webhook_config_url: str | None = None
    webhook_config_basic_auth_user: str | None = None
    webhook_config_basic_auth_pass: str | None = None


async def config(conn: Connection, merchant_id: uuid.UUID) -> Config | None:
    row = await conn.fetchone(_SELECT, {"m": merchant_id})
    return msgspec.convert(_READ(row), Config) if row is not None else None


async def store(conn: Connection, merchant_id: uuid.UUID, body: ChainWebhook) -> Config | None:
    """Replace the chain's webhook settings (the URL is checked as webhook URLs are)."""
    url = body.webhook_config_url
    if url is not None:
        try:
            await check_url(url, dev_mode=bool(Settings.from_env().dev_mode))
        except UnsafeUrl as exc:
            raise InvalidInput.field("webhook_config_url", str(exc)) from None
    await conn.execute(
        "DELETE FROM spaaza_webhook_config WHERE merchant_id = :m", {"m": merchant_id}
    )
    if url is None:
        return None
    row = {
        "merchant_id": merchant_id, "url": url,
        "basic_auth_user": body.webhook_config_basic_auth_user,
        "basic_auth_pass": body.webhook_config_basic_auth_pass, "updated_at": utc_now(),
    }  # fmt: skip
    await WEBHOOK.insert(conn, [row])
    return await config(conn, merchant_id)


def shown(found: Config | None) -> dict[str, Any]:
    """The chain object's webhook fields: the URL and user, never the password."""
    return {
        "webhook_config_url": found.url if found else None,
        "webhook_config_basic_auth_user": found.basic_auth_user if found else None,
    }


async def on_store(conn: Connection, merchant_id: uuid.UUID, receipts: Sequence[Receipt]) -> None:
    """Ingest's listener: a delivery job per new receipt when the chain has a URL."""
    key = ("spaaza_webhook", merchant_id)  # read once per group commit of many receipts
    if not receipts or await group.cached(conn, key, lambda: config(conn, merchant_id)) is None:
        return
    for receipt in receipts:
        payload = {"merchant_id": str(merchant_id), "receipt_id": str(receipt.id)}
        await enqueue(conn, SEND, payload, merchant_id=merchant_id, key=str(receipt.id))


@handler(SEND, timeout=timedelta(seconds=TIMEOUT + 20))
async def send(db: Database, job: Job) -> None:
    """POST one receipt to the chain's URL; raising makes the worker retry it."""
    merchant_id = uuid.UUID(job.payload["merchant_id"])
    receipt_id = uuid.UUID(job.payload["receipt_id"])
    settings = Settings.from_env()

    async def render(conn: Connection) -> tuple[Config | None, bytes]:
        found = await config(conn, merchant_id)
        if found is None:
            return None, b""
        merchant = await merchant_service.get(conn, merchant_id)
        receipt = await receipt_service.get(conn, Viewer(merchant_id), receipt_id)
        ctx = await context(conn, settings, merchant, [receipt])
        return found, ENCODER.encode(receipt_object(receipt, ctx))

    found, body = await run(db, render, write=False)
    if found is None:
        return  # the URL was cleared: deliveries stop
    response: httpx.Response | None = None
    try:
        await check_url(found.url, dev_mode=bool(settings.dev_mode))
        async with httpx.AsyncClient(
            timeout=TIMEOUT, follow_redirects=False, trust_env=False
        ) as http:
            response = await http.post(found.url, content=body, headers=found.headers())
        error = f"HTTP {response.status_code}"
    except (UnsafeUrl, httpx.HTTPError) as exc:
        error = f"{type(exc).__name__}: {exc}"
    if response is None or not 200 <= response.status_code < 300:
        wait = delivery.retry_after(response, utc_now()) or backoff(
            job.attempts, delivery.RETRY_BASE, delivery.RETRY_CAP
        )
        raise Retry(after=wait, reason=error)


# --- the chain object --------------------------------------------------------------------


def _chain_object(merchant: Merchant, found: Config | None) -> dict[str, Any]:
    return {"id": merchant.number, "name": merchant.name, "type": "chain", **shown(found)}


@router.get("/chain", access=Access.read)
async def get_chain(call: Call) -> Response:
    """The caller's chain object, with its webhook URL and user (never the password)."""
    merchant = await chain_of(call)
    return json_response(
        {"result": OK, "results": _chain_object(merchant, await config(call.conn, merchant.id))}
    )


@router.post("/chain/webhook-config", access=Access.admin)
async def set_webhook(call: Call, body: ChainWebhook) -> Response:
    """Set (or, with a null URL, clear) the chain's receipt webhook."""
    merchant = await chain_of(call)
    found = await store(call.conn, merchant.id, body)
    return json_response({"result": OK, "results": _chain_object(merchant, found)})
