"""Branches: create, list, get, change, delete (`kit.resource`)."""

from __future__ import annotations

from tillroll.branches.service import branch
from tillroll.kit.http import Router
from tillroll.kit.resource import crud_endpoints

router = Router("/v1/branches", tag="branches")
crud_endpoints(router, branch)
