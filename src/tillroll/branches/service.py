"""Branches: the merchant's stores."""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Sequence
from typing import Any

from tillroll.branches.repository import BranchRepository
from tillroll.branches.schemas import Branch, BranchCreate, BranchSummary, BranchUpdate
from tillroll.errors import Conflict, FieldError, InvalidInput
from tillroll.kit.address import check_address
from tillroll.kit.clock import utc_now
from tillroll.kit.crud import get_or_404, list_page
from tillroll.kit.db import Connection
from tillroll.kit.schemas import Page
from tillroll.kit.updates import given, merged
from tillroll.kit.validate import check_email, check_timezone

_SUMMARY = BranchSummary.__struct_fields__


def _check(branch: BranchCreate | Branch) -> None:
    errors: list[FieldError] = []
    check_address("address", branch.address, errors)
    check_email("email", branch.email, errors)
    check_timezone("timezone", branch.timezone, errors)
    if errors:
        raise InvalidInput.fields(errors)


class BranchService:
    async def create(
        self, conn: Connection, merchant_id: uuid.UUID, create: BranchCreate
    ) -> Branch:
        _check(create)
        repo = BranchRepository.of(conn)
        await self._ensure_code_free(repo, merchant_id, create.code)
        values: dict[str, Any] = {f: getattr(create, f) for f in create.__struct_fields__}
        return await repo.insert(merchant_id, values, utc_now())

    async def get(self, conn: Connection, merchant_id: uuid.UUID, branch_id: uuid.UUID) -> Branch:
        return await get_or_404(BranchRepository.of(conn), merchant_id, branch_id, "branch")

    async def by_number(
        self, conn: Connection, merchant_id: uuid.UUID, number: int
    ) -> Branch | None:
        """By the integer `number` (Spaaza's branch business id)."""
        return await BranchRepository.of(conn).get_by_number(merchant_id, number)

    async def get_many(
        self, conn: Connection, merchant_id: uuid.UUID, ids: list[uuid.UUID]
    ) -> dict[uuid.UUID, Branch]:
        return await BranchRepository.of(conn).get_many(merchant_id, ids)

    async def summaries(
        self, conn: Connection, merchant_id: uuid.UUID, column: str, values: Sequence[Any]
    ) -> builtins.list[BranchSummary]:
        """Summaries of the branches whose `column` (`id` or `code`) is in `values`."""
        assert column in ("id", "code")
        rows = await BranchRepository.of(conn).rows_in(merchant_id, column, values, _SUMMARY)
        return [
            BranchSummary(id=r["id"], number=r["number"], code=r["code"], name=r["name"])
            for r in rows
        ]

    async def list(
        self, conn: Connection, merchant_id: uuid.UUID, cursor: str | None, limit: int
    ) -> Page[Branch]:
        return await list_page(BranchRepository.of(conn), merchant_id, cursor, limit)

    async def update(
        self, conn: Connection, merchant_id: uuid.UUID, branch_id: uuid.UUID, update: BranchUpdate
    ) -> Branch:
        current = await self.get(conn, merchant_id, branch_id)
        _check(merged(current, update))
        repo = BranchRepository.of(conn)
        changes = given(update)
        if "code" in changes and changes["code"] != current.code:
            await self._ensure_code_free(repo, merchant_id, changes["code"])
        updated = await repo.update(merchant_id, branch_id, changes, utc_now())
        assert updated is not None
        return updated

    async def delete(self, conn: Connection, merchant_id: uuid.UUID, branch_id: uuid.UUID) -> None:
        repo = BranchRepository.of(conn)
        await self.get(conn, merchant_id, branch_id)
        await repo.delete(
            merchant_id,
            branch_id,
            still_referenced="The branch has receipts; receipts are permanent, so it stays.",
        )

    async def _ensure_code_free(
        self, repo: BranchRepository, merchant_id: uuid.UUID, code: str
    ) -> None:
        if await repo.get_by(merchant_id, "code", code) is not None:
            raise Conflict(f"A branch with code {code!r} already exists.")


branch = BranchService()
