from __future__ import annotations

from tillroll.branches.schemas import Branch
from tillroll.kit.address import Address
from tillroll.kit.crud import TableRepository


class BranchRepository(TableRepository[Branch]):
    table = "branches"
    schema = Branch
    json_columns = {"address": Address}
    counter = "branch"
