"""The HTTP layer: query parsing, routing, media types, problem details, 500s, request ids."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from dataclasses import replace
from typing import Annotated, Any

import httpx
import msgspec
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.conftest import Tenant
from tests.live import serving
from tillroll.app import create_app, endpoints
from tillroll.compat.spaaza.endpoints import render_error as spaaza_error
from tillroll.config import Settings
from tillroll.errors import InvalidInput
from tillroll.kit.db import Database
from tillroll.kit.http import Access, Call, Router, build_routes, ordered
from tillroll.kit.inputs import parse_query
from tillroll.kit.schemas import Schema


class Filters(Schema):
    status: list[str] = []
    payment_status: list[Annotated[int, msgspec.Meta(ge=0, le=9)]] = []
    limit: int = 50
    ratio: float | None = None
    paid: bool | None = None


def query(*items: tuple[str, str]) -> Filters:
    parsed: Filters = parse_query(list(items), Filters)
    return parsed


def refused(*items: tuple[str, str]) -> str:
    with pytest.raises(InvalidInput) as caught:
        parse_query(list(items), Filters)
    return caught.value.errors[0].loc


# --- query parameters ------------------------------------------------------------------


def test_repeated_parameters_fill_a_list_field() -> None:
    assert query(("status", "a"), ("status", "b")).status == ["a", "b"]
    bracketed = query(("payment_status[]", "1"), ("payment_status[]", "3"))
    assert bracketed.payment_status == [1, 3]
    assert query().status == []


def test_a_scalar_field_given_twice_is_422() -> None:
    assert refused(("limit", "1"), ("limit", "2")) == "query.limit"


@pytest.mark.parametrize("text", ["1e3", "0x10", "1.0", " 1", "１", "1" * 20, "", "NaN", "-"])
def test_integers_are_plain_bounded_digits(text: str) -> None:
    assert refused(("limit", text)) == "query.limit"


def test_list_elements_are_checked_each() -> None:
    assert refused(("payment_status", "1"), ("payment_status", "10")) == "query.payment_status[1]"
    assert refused(("payment_status[]", "x")) == "query.payment_status"


@pytest.mark.parametrize("text", ["nan", "inf", "-Infinity", "1e999", "1." + "0" * 16])
def test_numbers_refuse_nan_infinity_and_huge_text(text: str) -> None:
    assert refused(("ratio", text)) == "query.ratio"


def test_numbers_and_booleans_that_are_fine() -> None:
    parsed = query(("ratio", "-1.25"), ("paid", "true"), ("limit", "-7"))
    assert (parsed.ratio, parsed.paid, parsed.limit) == (-1.25, True, -7)
    assert refused(("paid", "yes")) == "query.paid"


@pytest.mark.parametrize(
    "moment",
    ["0", "1700000000", "2026-03-01", "2026-03-01T10:00:00", "2026-03-01T09:00Z", "2026-03-01 x"],
)
async def test_query_times_need_iso_8601_with_an_offset(tenant: Tenant, moment: str) -> None:
    response = await tenant.client.get("/v1/receipts", params={"issued_from": moment})
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["loc"] == "query.issued_from"


async def test_query_time_with_an_offset_is_taken(tenant: Tenant) -> None:
    for moment in ["2026-03-01T10:00:00+01:00", "2026-03-01T09:00:00Z", "2026-03-01T09:00:00.5Z"]:
        response = await tenant.client.get("/v1/receipts", params={"issued_from": moment})
        assert response.status_code == 200, response.text


# --- routing ---------------------------------------------------------------------------


def test_static_segments_win_whatever_the_registration_order() -> None:
    paths = [e.path for e in ordered(list(reversed(endpoints())))]
    assert paths.index("/v1/receipts/export.csv") < paths.index("/v1/receipts/{receipt_id}")
    assert paths.index("/v1/receipts/batch") < paths.index("/v1/receipts/{receipt_id}")


async def test_export_route_is_reached_although_registered_after_the_id_route(
    tenant: Tenant,
) -> None:
    response = await tenant.client.get("/v1/receipts/export.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")


async def test_a_path_id_that_is_no_uuid_is_a_404(tenant: Tenant) -> None:
    response = await tenant.client.get("/v1/receipts/" + "9" * 50)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


async def test_a_path_name_with_nul_is_a_404(tenant: Tenant) -> None:
    """On PostgreSQL a NUL reaching a query is a driver error: it never gets that far."""
    for path in ("/v1/redemptions/REDEEM%00/consume", "/v1/redemptions/%00/cancel"):
        response = await tenant.client.post(path, json={}, headers={"Idempotency-Key": "nul"})
        assert response.status_code == 404, (path, response.text)


async def test_unknown_path_is_a_problem_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/v2/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "not_found"


async def test_wrong_method_is_a_problem_405_with_allow(client: httpx.AsyncClient) -> None:
    response = await client.put("/v1/receipts")
    assert response.status_code == 405
    assert response.headers["content-type"] == "application/problem+json"
    assert set(response.headers["allow"].split(", ")) == {"GET", "HEAD", "POST"}
    assert response.json()["code"] == "method_not_allowed"


# --- media types -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml", None]
)
async def test_a_body_not_declared_json_is_415(tenant: Tenant, content_type: str | None) -> None:
    headers = {"content-type": content_type} if content_type else {}
    response = await tenant.client.post(
        "/v1/customers", content=b'{"first_name": "Ann"}', headers=headers
    )
    assert response.status_code == 415, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "unsupported_media_type"
    listed = (await tenant.client.get("/v1/customers")).json()["data"]
    assert listed == []  # nothing was stored


async def test_json_media_types_and_an_empty_body_are_fine(tenant: Tenant) -> None:
    for content_type in ["application/json; charset=utf-8", "application/merge-patch+json"]:
        response = await tenant.client.post(
            "/v1/customers", content=b"{}", headers={"content-type": content_type}
        )
        assert response.status_code == 201, response.text
    empty = await tenant.client.post("/v1/customers")  # no body, no Content-Type
    assert empty.status_code == 201, empty.text


async def test_the_facade_answers_415_in_its_envelope(tenant: Tenant) -> None:
    response = await tenant.client.post(
        "/compat/spaaza/auth/add-basket",
        content=b"{}",
        headers={"content-type": "text/plain", "Session-Chain-Id": str(tenant.number)},
    )
    assert response.status_code == 415
    assert response.json()["error"]["name"] == "unsupported_media_type"


# --- 500s on a real server -------------------------------------------------------------


async def _boom(call: Call) -> None:
    raise RuntimeError(f"boom for {call.principal.merchant_id}")


async def _plain_boom(_: Request) -> Response:
    raise RuntimeError("boom outside the endpoints")


def _with_failing_routes(app: Starlette) -> Starlette:
    """Test-only routes that raise, on a native and on a facade router and outside both."""
    native = Router("/test", tag="test")
    native.get("/boom", access=Access.read)(_boom)
    facade = Router("/test/facade", tag="test", render_error=spaaza_error)
    facade.get("/boom", access=Access.read)(_boom)
    runtime = app.state.runtime
    routes = build_routes(native.endpoints + facade.endpoints, runtime)
    app.router.routes[:0] = [*routes, Route("/test/plain-boom", _plain_boom)]
    return app


@pytest.fixture
def failing_server(settings: Settings, db: Database) -> Iterator[str]:
    """A real server with its own connections (its loop is not the tests' loop)."""
    del db  # migrated first
    with serving(_with_failing_routes(create_app(replace(settings, pool_size=2)))) as url:
        yield url


def _tracebacks(records: list[logging.LogRecord]) -> int:
    return sum(1 for r in records if r.exc_info)


@pytest.mark.parametrize(
    ("path", "kind"),
    [("/test/boom", "problem"), ("/test/facade/boom", "facade"), ("/test/plain-boom", "problem")],
)
def test_a_500_closes_the_connection_and_logs_one_traceback(
    failing_server: str, tenant: Tenant, caplog: pytest.LogCaptureFixture, path: str, kind: str
) -> None:
    with (
        caplog.at_level(logging.INFO),
        httpx.Client(base_url=failing_server, headers=tenant.headers) as http,
    ):
        before = http.get("/health")
        failed = http.get(path)
        after = http.get("/health")  # the same keep-alive client: not reset
    assert before.status_code == after.status_code == 200
    assert failed.status_code == 500
    assert failed.headers["connection"] == "close"
    assert "boom" not in failed.text  # no internals
    if kind == "facade":
        assert failed.json()["error"]["name"] == "internal_error"
    else:
        assert failed.headers["content-type"] == "application/problem+json"
        assert failed.json()["code"] == "internal_error"
    assert _tracebacks(caplog.records) == 1


def test_every_response_has_a_request_id_and_one_access_line(
    failing_server: str, tenant: Tenant, caplog: pytest.LogCaptureFixture
) -> None:
    secret_query = "cursor=very-secret-cursor"
    with caplog.at_level(logging.INFO, logger="tillroll.access"), httpx.Client() as http:
        mine = http.get(f"{failing_server}/v1/receipts?{secret_query}", headers=tenant.headers)
        given = http.get(f"{failing_server}/health", headers={"X-Request-Id": "abc-123"})
        hostile = http.get(f"{failing_server}/health", headers={"X-Request-Id": "a b;" * 30})
    request_id = mine.headers["x-request-id"]
    assert uuid.UUID(request_id) and given.headers["x-request-id"] == "abc-123"
    assert hostile.headers["x-request-id"] != "a b;" * 30
    lines = [r.getMessage() for r in caplog.records if r.name == "tillroll.access"]
    assert len(lines) == 3
    assert lines[0].startswith("GET /v1/receipts 422 ") and lines[0].endswith(f"id={request_id}")
    everything = "\n".join(lines)
    assert tenant.key not in everything and "very-secret-cursor" not in everything


@pytest.mark.parametrize("declared", ["²", "9" * 5000, "12x", "99999999999999999999"])
async def test_an_odd_content_length_is_never_a_server_error(app: Any, declared: str) -> None:
    """The declared length is text from the client: checked before it is converted."""
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": "/v1/receipts", "raw_path": b"/v1/receipts",
        "query_string": b"", "root_path": "", "client": ("127.0.0.1", 1), "server": None,
        "headers": [(b"content-type", b"application/json"),
                    (b"content-length", declared.encode())],
    }  # fmt: skip
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"{}", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    status = sent[0]["status"]
    assert 400 <= status < 500, status
