from __future__ import annotations

from tillroll.branches.schemas import Branch
from tillroll.branches.tables import BRANCHES
from tillroll.kit.crud import TableRepository


class BranchRepository(TableRepository[Branch]):
    table = BRANCHES
    schema = Branch
    counter = "branch"
