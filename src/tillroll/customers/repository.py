from __future__ import annotations

from typing import Any

from tillroll.customers.schemas import Customer
from tillroll.kit.address import Address
from tillroll.kit.crud import TableRepository


class CustomerRepository(TableRepository[Customer]):
    table = "customers"
    schema = Customer
    json_columns = {
        "shipping_address": Address,
        "billing_address": Address,
        "metadata": dict[str, Any],
    }
    counter = "customer"
