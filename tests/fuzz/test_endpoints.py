"""Property-based fuzzing of every native and facade endpoint (`tillroll.app.endpoints()`):
generated and hostile paths, queries and bodies, with a valid key and with other credentials.

Every answer is below 500, takes under a second, and is an error in the endpoint's own shape:
problem+json natively (a 422 names its fields), Spaaza's envelope on /compat/spaaza, BC's
`{code, data: {errMsg}, meta}` on /compat/bigcommerce-b2b.
"""

from __future__ import annotations

import re
import time
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.conftest import COUNTS, World
from tests.fuzz.strategies import body_for, path_value, query_for
from tillroll.app import endpoints
from tillroll.kit.http import Endpoint

ENDPOINTS = endpoints()
_PARAM = re.compile(r"\{(\w+)\}")


def _path(endpoint: Endpoint, world: World, data: st.DataObject) -> str:
    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        return data.draw(path_value(endpoint.path_params[name], world.ids[name]), label=name)

    return _PARAM.sub(fill, endpoint.path)


def check(endpoint: Endpoint, response: httpx.Response, seconds: float) -> None:
    """The contract of every answer to every request, however hostile."""
    status = response.status_code
    COUNTS["requests"] += 1
    COUNTS[f"{status // 100}xx"] += 1
    COUNTS["slowest_ms"] = max(COUNTS["slowest_ms"], round(seconds * 1000))
    if seconds > 0.25:
        COUNTS[f"over 250 ms: {endpoint.method} {endpoint.path}"] += 1
    assert status < 500, response.text[:2000]
    assert seconds < 1.0, f"{seconds:.2f} s"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "server" not in response.headers
    if status < 400:
        return
    assert response.headers.get("content-type", "").endswith("json"), (status, response.text)
    error: Any = response.json()
    if endpoint.path.startswith("/compat/spaaza"):
        assert error["result"]["status"] == "error" and error["error"]["description"], error
        return
    if endpoint.path.startswith("/compat/bigcommerce-b2b"):
        assert error["code"] == status and error["data"]["errMsg"], error
        return
    assert response.headers["content-type"].startswith("application/problem+json"), error
    assert error["status"] == status and error["detail"], error
    if status == 422:
        assert error["errors"] and all(e["loc"] and e["message"] for e in error["errors"]), error


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: f"{e.method} {e.path}")
@given(data=st.data())
async def test_no_input_is_a_server_error(endpoint: Endpoint, world: World, data: Any) -> None:
    url = _path(endpoint, world, data)
    query = data.draw(query_for(endpoint.query), label="query")
    body = data.draw(body_for(endpoint.body), label="body") if endpoint.body else None
    other = data.draw(st.sampled_from(world.credentials), label="credential")
    for credential in ({"Authorization": f"Bearer {world.key}"}, other):
        headers = {**credential, "content-type": "application/json"}
        started = time.perf_counter()
        response = await world.client.request(
            endpoint.method, url + ("?" + query if query else ""), content=body, headers=headers
        )
        check(endpoint, response, time.perf_counter() - started)
