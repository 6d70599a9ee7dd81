"""`crud_endpoints` registers the same five typed endpoints for each simple domain."""

from __future__ import annotations

import uuid

import pytest

from tillroll.app import endpoints
from tillroll.kit.http import Access
from tillroll.kit.schemas import ListQuery, Page

SIMPLE = [("branch", "branches"), ("customer", "customers"), ("product", "products")]


@pytest.mark.parametrize(("noun", "plural"), SIMPLE)
def test_the_five_endpoints(noun: str, plural: str) -> None:
    prefix, key = f"/v1/{plural}", f"{noun}_id"
    mine = {
        (e.method, e.path): e
        for e in endpoints()
        if e.tags == (plural,) and e.path.startswith(prefix)
    }
    one = f"{prefix}/{{{key}}}"
    assert set(mine) == {("POST", prefix), ("GET", prefix), ("GET", one), ("PATCH", one),
                         ("DELETE", one)}  # fmt: skip
    create, listing, get = mine["POST", prefix], mine["GET", prefix], mine["GET", one]
    update, delete = mine["PATCH", one], mine["DELETE", one]
    assert (create.status, create.idempotent, create.access) == (201, True, Access.write)
    assert create.body.__name__ == f"{noun.capitalize()}Create"
    assert update.body.__name__ == f"{noun.capitalize()}Update"
    assert listing.query is ListQuery
    assert listing.handler.__annotations__["return"] == Page[get.response]  # type: ignore[name-defined]
    answer = {"customer": "CustomerView"}.get(noun, noun.capitalize())  # + loyalty status
    assert get.response.__name__ == answer
    assert {e.path_params[key] for e in (get, update, delete)} == {uuid.UUID}
    assert (delete.access, delete.errors, delete.response) == (Access.admin, (404, 409), None)
    assert not any(e.shopper_ok for e in mine.values())
    assert listing.handler.__name__ == f"list_{plural}"
