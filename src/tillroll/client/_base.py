"""What the sync and async clients share: the request description, its encoding, the
decoding of the answer and the mapping of errors. Only sending differs between them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, Generic, TypeVar
from urllib.parse import quote

import httpx
import msgspec

from tillroll import __version__
from tillroll.client._exceptions import APIConnectionError, TillrollError, error_from_response

T = TypeVar("T")

DEFAULT_BASE_URL = "http://127.0.0.1:8000"
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
USER_AGENT = f"tillroll-python/{__version__}"

Id = uuid.UUID | str
"""An object id: a `uuid.UUID` or its string form."""


@dataclass(frozen=True, slots=True)
class Call(Generic[T]):
    """One API call, built once and sent by either client: what to send, what comes back."""

    method: str
    path: str
    returns: type[T]
    body: Any = None  # a schema Struct, or plain dicts/lists of the same shape
    params: Mapping[str, Any] | None = None
    idempotency_key: str | None = None

    def next_page(self, cursor: str) -> Call[T]:
        """The same list call for the page after `cursor`."""
        return replace(self, params={**(self.params or {}), "cursor": cursor})


def path(template: str, *ids: Id) -> str:
    """`/v1/receipts/{}` with each id quoted into its place."""
    return template.format(*(quote(str(i), safe="") for i in ids))


def plain(body: Any) -> Any:
    """A body msgspec can encode: Structs as they are, mappings as dicts, sequences as lists."""
    if isinstance(body, msgspec.Struct):
        return body
    if isinstance(body, Mapping):
        return {k: plain(v) for k, v in body.items()}
    if isinstance(body, list | tuple):
        return [plain(v) for v in body]
    return body


def query(filters: Mapping[str, Any]) -> dict[str, str | list[str]]:
    """Query parameters: None dropped, ids and datetimes as ISO text, booleans lowercase,
    a list repeated (`payment_status=1&payment_status=3`)."""
    params: dict[str, str | list[str]] = {}
    for name, value in filters.items():
        if value is None:
            continue
        if isinstance(value, list | tuple):
            params[name] = [str(v) for v in value]
        elif isinstance(value, bool):
            params[name] = "true" if value else "false"
        elif isinstance(value, datetime | date | uuid.UUID):
            params[name] = value.isoformat() if not isinstance(value, uuid.UUID) else str(value)
        else:
            params[name] = str(value)
    return params


class BaseClient:
    """Settings and the request/response half of a client; subclasses only send."""

    base_url: str
    timeout: float | httpx.Timeout | None

    def __init__(
        self,
        *,
        base_url: str | None,
        api_key: str | None,
        timeout: float | httpx.Timeout | None,
        has_transport: bool,
        has_http_client: bool,
    ) -> None:
        if has_transport and has_http_client:
            raise ValueError("pass either `transport` or `http_client`, not both")
        key = api_key if api_key is not None else os.environ.get("TILLROLL_API_KEY")
        if not key:
            raise ValueError("an API key is required: pass api_key= or set TILLROLL_API_KEY")
        url = base_url or os.environ.get("TILLROLL_BASE_URL") or DEFAULT_BASE_URL
        self.base_url = url.rstrip("/")
        self.timeout = timeout
        self._api_key = key

    @property
    def api_key(self) -> str:
        return self._api_key

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"

    def _headers(self, call: Call[Any]) -> dict[str, str]:
        headers = {
            "Authorization": f"Bearer {self._api_key}",
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        }
        if call.body is not None:
            headers["Content-Type"] = "application/json"
        if call.idempotency_key is not None:
            headers["Idempotency-Key"] = call.idempotency_key
        return headers

    def _request(self, http: httpx.Client | httpx.AsyncClient, call: Call[Any]) -> httpx.Request:
        return http.build_request(
            call.method,
            self.base_url + call.path,
            params=query(call.params) if call.params else None,
            content=None if call.body is None else msgspec.json.encode(plain(call.body)),
            headers=self._headers(call),
            timeout=self.timeout,
        )

    @staticmethod
    def _connection_error(exc: httpx.TransportError, call: Call[Any]) -> APIConnectionError:
        code = "timeout" if isinstance(exc, httpx.TimeoutException) else "connection_error"
        return APIConnectionError(
            f"{call.method} {call.path}: {exc or type(exc).__name__}", code=code
        )

    @staticmethod
    def _parse(call: Call[T], response: httpx.Response) -> T:
        """The decoded body, typed with the endpoint's schema; raises for error statuses."""
        if response.is_error:
            raise error_from_response(response)
        if call.returns is type(None):
            return None
        if call.returns is bytes:  # a document (PDF), as sent
            return response.content  # type: ignore[return-value]
        try:
            return msgspec.json.decode(response.content, type=call.returns)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise TillrollError(
                f"{call.method} {call.path}: the response does not match the schema: {exc}",
                code="invalid_response",
                status=response.status_code,
                response=response,
            ) from exc
