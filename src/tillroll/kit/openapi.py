"""The OpenAPI 3.1 document, built from the registered endpoints and their msgspec types.

Every status an endpoint can answer is declared, from what the router knows of it: 401/403
and 503 always (every native endpoint authenticates and opens a transaction), 404 with path
parameters, 422 with a query, 400/413/415/422 with a body, 422 for a reused
`Idempotency-Key`, plus the endpoint's own `errors`.
"""

from __future__ import annotations

from typing import Any

import msgspec

from tillroll.config import Settings
from tillroll.kit.http import Endpoint
from tillroll.kit.schemas import Problem

_REF = "#/components/schemas/{name}"
_ERROR_TEXT = {
    400: "Malformed request (the body is not JSON)",
    401: "Missing or invalid credentials",
    403: "The credential may not do this",
    404: "Not found (also for another merchant's objects)",
    409: "Conflict with the current state",
    413: "Body too large",
    415: "The body is not declared `application/json`",
    422: "Invalid input; `errors[]` names each field",
    503: "The database is busy or unreachable; retry after `Retry-After` seconds",
}
_RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds."}}


def build_openapi(
    endpoints: list[Endpoint], *, title: str, version: str, settings: Settings
) -> dict[str, Any]:
    types = [Problem]
    for e in endpoints:
        types += [t for t in (e.body, e.query, e.response) if t is not None]
    schemas, components = msgspec.json.schema_components(types, ref_template=_REF)
    lookup = dict(zip(types, schemas, strict=True))
    paths: dict[str, dict[str, Any]] = {}
    for e in endpoints:
        op = _operation(e, lookup, components, settings.idempotency_retention_hours)
        paths.setdefault(e.path, {})[e.method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
    }


def _operation(
    e: Endpoint, lookup: dict[Any, dict[str, Any]], components: dict[str, Any], hours: int
) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": e.summary,
        "operationId": f"{e.tags[0].replace(' ', '_')}_{e.handler.__name__}",
        "tags": list(e.tags),
        "parameters": _parameters(e, lookup, components),
        "responses": _responses(e, lookup),
    }
    if e.body is not None:
        op["requestBody"] = {
            "required": not _accepts_empty(e.body),
            "content": {"application/json": {"schema": lookup[e.body]}},
        }
    if e.idempotent:
        op["parameters"].append(
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "schema": {"type": "string", "maxLength": 255},
                "description": f"Replays the stored response for a repeated request ({hours} h); "
                "empty means no key.",
            }
        )
    return op


def _accepts_empty(body: Any) -> bool:
    """Whether no body at all is valid (it is read as `{}`), as for a PATCH of nothing."""
    try:
        msgspec.convert({}, body)
    except msgspec.ValidationError:
        return False
    return True


def _parameters(
    e: Endpoint, lookup: dict[Any, dict[str, Any]], components: dict[str, Any]
) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": msgspec.json.schema(kind)}
        for name, kind in e.path_params.items()
    ]
    if e.query is not None:
        ref = lookup[e.query]["$ref"].rsplit("/", 1)[1]
        schema = components[ref]
        required = set(schema.get("required", []))
        for name, prop in schema.get("properties", {}).items():
            params.append(
                {
                    "name": name,
                    "in": "query",
                    "required": name in required,
                    "schema": prop,
                    **({"description": prop["description"]} if "description" in prop else {}),
                }
            )
    return params


def _responses(e: Endpoint, lookup: dict[Any, dict[str, Any]]) -> dict[str, Any]:
    ok: dict[str, Any] = {"description": "OK"}
    if e.response is not None:
        ok["content"] = {"application/json": {"schema": lookup[e.response]}}
    if e.produces is not None:
        ok["content"] = {e.produces: {"schema": {"type": "string"}}}
    empty = e.response is None and e.produces is None and e.status == 200
    responses: dict[str, Any] = {str(204 if empty else e.status): ok}
    if e.idempotent and e.status == 201:
        responses["200"] = {**ok, "description": "Already stored: the stored object (a replay)"}
    problem = {"application/problem+json": {"schema": lookup[Problem]}}
    for status in sorted(_error_statuses(e)):
        responses[str(status)] = {"description": _ERROR_TEXT[status], "content": problem}
    responses["503"]["headers"] = _RETRY_AFTER
    return responses


def _error_statuses(e: Endpoint) -> set[int]:
    statuses = {401, 403, 503, *e.errors}
    if e.path_params:
        statuses.add(404)
    if e.query is not None or e.idempotent:
        statuses.add(422)
    if e.body is not None:
        statuses |= {400, 413, 415, 422}
    return statuses
