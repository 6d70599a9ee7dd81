"""Customers: create, list, get, change, delete (`kit.resource`)."""

from __future__ import annotations

from tillroll.customers.service import customer
from tillroll.kit.http import Router
from tillroll.kit.resource import crud_endpoints

router = Router("/v1/customers", tag="customers")
crud_endpoints(router, customer)
