"""Errors raised by the Tillroll client.

Every failure the client reports is a `TillrollError`::

    TillrollError
    ├── APIConnectionError          no response: DNS, refused connection, timeout, TLS
    └── APIStatusError              the server answered 4xx/5xx (others: 405, 413, ...)
        ├── BadRequest              400  the body is not valid JSON
        ├── AuthenticationError     401  the API key is missing, unknown or revoked
        ├── PermissionDenied        403  the key's scope does not allow the call
        ├── NotFoundError           404  no such object (in this merchant)
        ├── ConflictError           409  e.g. a receipt with that external_id differs
        ├── UnprocessableEntity     422  a field is invalid; see `.errors`
        ├── RateLimited             429  see `.retry_after`
        └── ServerError             5xx

Each error keeps `status` (None when there was no response), `code` (the problem's `code`,
e.g. `invalid_input`), `detail`, `errors` (the problem's `[{loc, message}]`, as
`ProblemError` structs) and `response` (the `httpx.Response`, None without one).
"""

from __future__ import annotations

import httpx
import msgspec

from tillroll.kit.schemas import ProblemError


class TillrollError(Exception):
    """Base of every error the client raises."""

    status: int | None
    code: str
    detail: str
    errors: list[ProblemError]
    response: httpx.Response | None

    def __init__(
        self,
        detail: str,
        *,
        code: str = "error",
        status: int | None = None,
        errors: list[ProblemError] | None = None,
        response: httpx.Response | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code
        self.status = status
        self.errors = errors or []
        self.response = response

    def __str__(self) -> str:
        prefix = f"{self.status} {self.code}" if self.status is not None else self.code
        return f"{prefix}: {self.detail}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status!r}, code={self.code!r})"


class APIConnectionError(TillrollError):
    """No response arrived: the server is unreachable, or the request timed out."""

    def __init__(self, detail: str, *, code: str = "connection_error") -> None:
        super().__init__(detail, code=code)


class APIStatusError(TillrollError):
    """The server answered with an error status; its problem details are kept."""

    status: int
    response: httpx.Response

    def __init__(
        self,
        detail: str,
        *,
        code: str,
        status: int,
        errors: list[ProblemError] | None = None,
        response: httpx.Response,
    ) -> None:
        super().__init__(detail, code=code, status=status, errors=errors, response=response)


class BadRequest(APIStatusError):
    """400: the request could not be parsed."""


class AuthenticationError(APIStatusError):
    """401: the API key or session token is missing, unknown, expired or revoked."""


class PermissionDenied(APIStatusError):
    """403: the credential may not call this endpoint (e.g. a read key writing)."""


class NotFoundError(APIStatusError):
    """404: no such object for this merchant."""


class ConflictError(APIStatusError):
    """409: the request conflicts with stored data; retrying the same request will not help."""


class UnprocessableEntity(APIStatusError):
    """422: a field is invalid. `errors` names each one: `[ProblemError(loc, message)]`."""


class RateLimited(APIStatusError):
    """429: too many requests; wait `retry_after` seconds (None if the server did not say)."""

    @property
    def retry_after(self) -> float | None:
        raw = self.response.headers.get("retry-after")
        try:
            return float(raw) if raw is not None else None
        except ValueError:
            return None


class ServerError(APIStatusError):
    """5xx: the server failed; the request may be retried (with the same Idempotency-Key)."""


_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequest,
    401: AuthenticationError,
    403: PermissionDenied,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntity,
    429: RateLimited,
}


class _FieldError(msgspec.Struct):
    loc: str = ""
    message: str = ""


class _Problem(msgspec.Struct):
    """The RFC 9457 body, read leniently: an error must never hide behind a decode error."""

    code: str = ""
    detail: str = ""
    title: str = ""
    errors: list[_FieldError] = []


def error_from_response(response: httpx.Response) -> APIStatusError:
    """The `APIStatusError` subclass for an error response, filled from its problem body."""
    status = response.status_code
    try:
        problem = msgspec.json.decode(response.content, type=_Problem)
    except (msgspec.DecodeError, msgspec.ValidationError):
        problem = _Problem(detail=response.text.strip()[:500])
    kind = _BY_STATUS.get(status) or (ServerError if status >= 500 else APIStatusError)
    return kind(
        problem.detail or problem.title or response.reason_phrase or f"HTTP {status}",
        code=problem.code or f"http_{status}",
        status=status,
        errors=[ProblemError(loc=e.loc, message=e.message) for e in problem.errors],
        response=response,
    )
