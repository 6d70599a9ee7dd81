from __future__ import annotations

from tillroll.customers.schemas import Customer
from tillroll.customers.tables import CUSTOMERS
from tillroll.kit.crud import TableRepository


class CustomerRepository(TableRepository[Customer]):
    table = CUSTOMERS
    schema = Customer
    counter = "customer"
