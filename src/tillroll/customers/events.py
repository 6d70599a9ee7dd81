"""The customer events: `customer.created`, `customer.updated`, `customer.deleted`."""

from __future__ import annotations

from tillroll.customers.schemas import Customer
from tillroll.events.catalog import lifecycle

CUSTOMER_EVENTS = lifecycle("customer", Customer)
