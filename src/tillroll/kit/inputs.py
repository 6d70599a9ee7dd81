"""What a request carries, as the types its handler declares: the JSON body (415 unless
declared JSON, 413 past the limit, 400 unparseable, 422 naming the field), query parameters
and path segments. Every conversion of client text goes through here or kit/parse.py."""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

import msgspec
from starlette.requests import Request

from tillroll.errors import (
    FieldError,
    InvalidInput,
    MalformedRequest,
    NotFound,
    PayloadTooLarge,
    TillrollError,
)

JSON = "application/json"


async def read_body(
    request: Request, decoder: msgspec.json.Decoder[Any] | None, limit: int
) -> bytes:
    """The body, read up to `limit` bytes (413 beyond, chunked uploads included)."""
    if decoder is None:
        return b""
    declared = request.headers.get("content-length", "")  # checked before it is converted
    plain = declared.isascii() and declared.isdigit()
    if plain and (len(declared) > 18 or int(declared) > limit):
        raise PayloadTooLarge(f"The body is larger than {limit} bytes.")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"The body is larger than {limit} bytes.")
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw.strip():
        return b"{}"  # no body: an empty object (422 names what is missing)
    _check_media_type(request.headers.get("content-type", ""))
    return raw


def _check_media_type(header: str) -> None:
    """A body must be declared JSON (`application/json` or `…+json`), else 415."""
    media = header.split(";", 1)[0].strip().lower()
    if media != JSON and not (media.startswith("application/") and media.endswith("+json")):
        raise UnsupportedMediaType(
            f"Content-Type {media or '(empty)'!r} is not accepted; send application/json."
        )


class RoutingError(TillrollError):
    """What Starlette's router refused: an unknown path (404), a wrong method (405)."""

    def __init__(self, status: int, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(HTTPStatus(status).description, headers=dict(headers or {}))
        self.status = status
        self.title = HTTPStatus(status).phrase
        self.code = self.title.lower().replace(" ", "_")


class UnsupportedMediaType(TillrollError):
    status = 415
    code = "unsupported_media_type"
    title = "Unsupported media type"


def decode_json(decoder: msgspec.json.Decoder[Any], raw: bytes) -> Any:
    """Decode and validate a JSON body; 400 when unparseable, 422 naming the field."""
    if b"\\u0000" in raw:
        raise InvalidInput.field("body", "text must not contain NUL (\\u0000) characters")
    try:
        return decoder.decode(raw)
    except msgspec.ValidationError as exc:
        raise _validation_error(str(exc), root="body") from None
    except msgspec.DecodeError as exc:
        raise MalformedRequest(f"The body is not valid JSON: {exc}") from None
    except UnicodeDecodeError:
        raise MalformedRequest("The body is not valid UTF-8.") from None
    except RecursionError:
        raise MalformedRequest("The body is nested too deeply.") from None


_AT = re.compile(r" - at `\$(.*)`$")
_NAMED = re.compile(r"field `(\w+)`: ")


def _validation_error(message: str, *, root: str) -> InvalidInput:
    match = _AT.search(message)
    path = match.group(1) if match else ""
    text = _AT.sub("", message)
    if text.startswith("Object contains unknown field"):
        name = text.split("`")[1]
        path, text = f"{path}.{name}", "unknown field"
    elif text.startswith("Object missing required field"):
        name = text.split("`")[1]
        path, text = f"{path}.{name}", "required field missing"
    elif named := _NAMED.match(text):  # a check of one field, e.g. a bounded decimal
        path, text = f"{path}.{named.group(1)}", text[named.end() :]
    loc = (root + path) if path.startswith(("[", ".")) or not path else f"{root}.{path}"
    return InvalidInput.fields([FieldError(loc.removeprefix("body."), text)])


_INTEGER = re.compile(r"-?[0-9]{1,19}")
_NUMBER = re.compile(r"-?[0-9]{1,15}(\.[0-9]{1,15})?")
_BOOLEAN = {"true": True, "false": False}
_AWARE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|z|[+-]\d\d:\d\d)")


def parse_query(items: list[tuple[str, str]], kind: Any) -> Any:
    """Query text → `kind`, strictly: bounded numbers, `true`/`false`, ISO 8601 times with an
    offset. A list-typed field takes repeated parameters (`a=1&a=2` or `a[]=1&a[]=2`); any
    other field given twice is a 422."""
    fields = _query_fields(kind)
    values: dict[str, Any] = {}
    for raw_name, text in items:
        name = raw_name.removesuffix("[]")
        if "\x00" in text:
            raise InvalidInput.field(f"query.{name}", "must not contain NUL characters")
        if name not in fields:
            values.setdefault(name, text)  # unknown: refused or ignored by `kind`'s own rule
            continue
        item, many = fields[name]
        value = _query_scalar(name, text, item)
        if many:
            values.setdefault(name, []).append(value)
        elif name in values:
            raise InvalidInput.field(f"query.{name}", "must be given once")
        else:
            values[name] = value
    try:
        return msgspec.convert(values, kind, strict=True)
    except msgspec.ValidationError as exc:
        raise _validation_error(str(exc), root="query") from None


@functools.cache
def _query_fields(kind: Any) -> dict[str, tuple[msgspec.inspect.Type, bool]]:
    """Each query field's element type, and whether it takes repeated values."""
    info = msgspec.inspect.type_info(kind)
    assert isinstance(info, msgspec.inspect.StructType), "a query is a Struct"
    fields: dict[str, tuple[msgspec.inspect.Type, bool]] = {}
    for f in info.fields:
        item = _unwrap_optional(f.type)
        many = isinstance(item, msgspec.inspect.ListType | msgspec.inspect.SetType)
        element = (
            item.item_type
            if isinstance(item, msgspec.inspect.ListType | msgspec.inspect.SetType)
            else item
        )
        fields[f.encode_name] = (_unwrap_optional(element), many)
    return fields


def _unwrap_optional(t: msgspec.inspect.Type) -> msgspec.inspect.Type:
    """`X | None` and `Annotated[X, Meta(description=…)]` → `X`."""
    while True:
        if isinstance(t, msgspec.inspect.Metadata):
            t = t.type
            continue
        if isinstance(t, msgspec.inspect.UnionType):
            rest = [x for x in t.types if not isinstance(x, msgspec.inspect.NoneType)]
            if len(rest) == 1:
                t = rest[0]
                continue
        return t


def _query_scalar(name: str, text: str, item: msgspec.inspect.Type) -> Any:
    """One parameter's text as the JSON-like value its type takes (checked by `convert`)."""
    if isinstance(item, msgspec.inspect.IntType):
        if not _INTEGER.fullmatch(text):
            raise InvalidInput.field(f"query.{name}", "must be an integer of at most 19 digits")
        return int(text)
    if isinstance(item, msgspec.inspect.FloatType):
        if not _NUMBER.fullmatch(text):
            raise InvalidInput.field(f"query.{name}", "must be a decimal number")
        return float(text)
    if isinstance(item, msgspec.inspect.BoolType):
        if text not in _BOOLEAN:
            raise InvalidInput.field(f"query.{name}", "must be `true` or `false`")
        return _BOOLEAN[text]
    if isinstance(item, msgspec.inspect.DateTimeType) and not _AWARE.fullmatch(text):
        raise InvalidInput.field(
            f"query.{name}", "must be an ISO 8601 time with an offset, e.g. 2026-03-01T09:00:00Z"
        )
    return text  # str, uuid, datetime, enums: `convert` decides


def path_value(raw: Any, kind: Any) -> Any:
    """A path segment as its declared type; one that cannot be an id names no object (404)."""
    if isinstance(raw, uuid.UUID):  # converted by the route (`{name:uuid}`)
        return raw
    if kind is uuid.UUID:
        try:
            return uuid.UUID(raw)
        except ValueError:
            raise NotFound(f"No object has the id {raw!r}.") from None
    if isinstance(msgspec.inspect.type_info(kind), msgspec.inspect.IntType):
        try:
            if not _INTEGER.fullmatch(raw):
                raise ValueError(raw)
            return msgspec.convert(int(raw), kind)
        except (ValueError, msgspec.ValidationError):
            raise NotFound(f"No object has the number {raw!r}.") from None
    if "\x00" in raw:  # no stored text holds NUL (PostgreSQL refuses to compare with it)
        raise NotFound(f"No object is named {raw!r}.")
    return raw
