"""The one error base. Every expected failure is a `TillrollError`; one handler renders it.

Errors are rendered as RFC 9457 problem details by `tillroll.kit.http`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FieldError:
    """One invalid field: where it is (`lines[2].quantity`) and why."""

    loc: str
    message: str


class TillrollError(Exception):
    """Base of every error Tillroll answers with a 4xx."""

    status: int = 400
    code: str = "bad_request"
    title: str = "Bad request"

    def __init__(
        self,
        detail: str,
        *,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []
        self.headers = headers or {}


class InvalidInput(TillrollError):
    """The request is well-formed but a field is invalid (422)."""

    status = 422
    code = "invalid_input"
    title = "Invalid input"

    @classmethod
    def field(cls, loc: str, message: str) -> InvalidInput:
        return cls(f"{loc}: {message}", errors=[FieldError(loc, message)])

    @classmethod
    def fields(cls, errors: list[FieldError]) -> InvalidInput:
        detail = "; ".join(f"{e.loc}: {e.message}" for e in errors)
        return cls(detail, errors=errors)


class MalformedRequest(TillrollError):
    """The body is not parseable JSON (400)."""

    status = 400
    code = "malformed_request"
    title = "Malformed request"


class Unauthorized(TillrollError):
    status = 401
    code = "unauthorized"
    title = "Unauthorized"

    def __init__(self, detail: str = "A valid API key or session token is required.") -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(TillrollError):
    status = 403
    code = "forbidden"
    title = "Forbidden"


class NotFound(TillrollError):
    status = 404
    code = "not_found"
    title = "Not found"


class Conflict(TillrollError):
    status = 409
    code = "conflict"
    title = "Conflict"


class PayloadTooLarge(TillrollError):
    status = 413
    code = "payload_too_large"
    title = "Payload too large"


class TooManyRequests(TillrollError):
    """Too many failed authentications from one address; retry after `retry_after` seconds."""

    status = 429
    code = "too_many_requests"
    title = "Too many requests"

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after)})


class Unavailable(TillrollError):
    """The database stayed busy; retry shortly (503 with Retry-After)."""

    status = 503
    code = "unavailable"
    title = "Service unavailable"

    def __init__(self, detail: str = "The database is busy; retry in a moment.") -> None:
        super().__init__(detail, headers={"Retry-After": "1"})


class InternalError(TillrollError):
    status = 500
    code = "internal_error"
    title = "Internal error"
