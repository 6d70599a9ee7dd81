"""Base I/O schema types (msgspec Structs) shared by every domain."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

import msgspec
from msgspec import Meta

T = TypeVar("T")


class Schema(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, omit_defaults=False):
    """Input and output bodies. Unknown fields are refused (422), never silently kept."""


class Page(Schema, Generic[T]):
    """One page of a keyset-paginated list."""

    data: list[T]
    next_cursor: Annotated[
        str | None,
        Meta(description="Pass as `cursor` to get the next page; null on the last page."),
    ]


class ProblemError(Schema):
    loc: Annotated[str, Meta(description="Path of the invalid field, e.g. `lines[2].quantity`.")]
    message: str


class Problem(Schema):
    """RFC 9457 problem details, the shape of every error."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    errors: list[ProblemError] = []


Limit = Annotated[int, Meta(ge=1, le=500, description="Page size, at most 500.")]


class ListQuery(Schema):
    """Query of a plain keyset-paginated list."""

    limit: Limit = 50
    cursor: str | None = None
