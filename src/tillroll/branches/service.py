"""Branches: the merchant's stores."""

from __future__ import annotations

from tillroll.branches.events import BRANCH_EVENTS
from tillroll.branches.repository import BranchRepository
from tillroll.branches.schemas import Branch, BranchCreate, BranchSummary, BranchUpdate
from tillroll.errors import FieldError, InvalidInput
from tillroll.events.service import EmitsLifecycle
from tillroll.kit.address import check_address
from tillroll.kit.resource import Resource
from tillroll.kit.validate import check_email, check_timezone


class BranchService(EmitsLifecycle, Resource[Branch, BranchCreate, BranchUpdate]):
    noun = "branch"
    events = BRANCH_EVENTS
    repository = BranchRepository
    create_schema = BranchCreate
    update_schema = BranchUpdate
    unique = ("code",)
    label = "code"
    summary = BranchSummary

    def check(self, row: BranchCreate | Branch) -> None:
        errors: list[FieldError] = []
        check_address("address", row.address, errors)
        check_email("email", row.email, errors)
        check_timezone("timezone", row.timezone, errors)
        if errors:
            raise InvalidInput.fields(errors)


branch = BranchService()
