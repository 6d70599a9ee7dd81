"""Campaigns: what a receipt earns into the customer's wallets (`kit.resource` CRUD + archive).

`percent_back` credits `percent` % of the eligible spend, `points_per_amount` gives `points`
points per whole `per_amount` minor units of it; both floor, once per campaign per receipt
(`earn`). The rules that pick the eligible lines are `applies` and `eligible`.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from tillroll.branches.service import branch as branch_service
from tillroll.errors import Conflict, FieldError, InvalidInput
from tillroll.events.catalog import lifecycle
from tillroll.events.service import EmitsLifecycle
from tillroll.kit.clock import utc_now
from tillroll.kit.db import Connection
from tillroll.kit.resource import Resource
from tillroll.receipts.schemas import Line
from tillroll.wallets.campaign_repository import CampaignRepository
from tillroll.wallets.campaign_schemas import Campaign, CampaignCreate, CampaignUpdate

CAMPAIGN_EVENTS = lifecycle("campaign", Campaign, ("created", "updated", "deleted", "archived"))


class CampaignService(EmitsLifecycle, Resource[Campaign, CampaignCreate, CampaignUpdate]):
    noun = "campaign"
    events = CAMPAIGN_EVENTS
    repository = CampaignRepository
    create_schema = CampaignCreate
    update_schema = CampaignUpdate
    label = "title"
    referred_by = "wallet earnings (archive it instead)"

    def check(self, row: CampaignCreate | Campaign) -> None:
        errors: list[FieldError] = []
        if row.kind == "percent_back":
            if row.percent is None:
                errors.append(FieldError("percent", "required for a percent_back campaign"))
            elif not 0 < Decimal(row.percent) <= 100:
                errors.append(FieldError("percent", "must be more than 0 and at most 100"))
            errors += [
                FieldError(name, "only a points_per_amount campaign has it")
                for name in ("points", "per_amount")
                if getattr(row, name) is not None
            ]
        else:
            errors += [
                FieldError(name, "required for a points_per_amount campaign")
                for name in ("points", "per_amount")
                if getattr(row, name) is None
            ]
            if row.percent is not None:
                errors.append(FieldError("percent", "only a percent_back campaign has it"))
        if row.starts_at and row.ends_at and row.ends_at <= row.starts_at:
            errors.append(FieldError("ends_at", "must be after starts_at"))
        if errors:
            raise InvalidInput.fields(errors)

    async def create(
        self, conn: Connection, merchant_id: uuid.UUID, create: CampaignCreate
    ) -> Campaign:
        await _check_branches(conn, merchant_id, create.branch_ids)
        return await super().create(conn, merchant_id, create)

    async def update(
        self, conn: Connection, merchant_id: uuid.UUID, object_id: uuid.UUID,
        update: CampaignUpdate,
    ) -> Campaign:  # fmt: skip
        if isinstance(update.branch_ids, list):
            await _check_branches(conn, merchant_id, update.branch_ids)
        if (await self.get(conn, merchant_id, object_id)).archived_at is not None:
            raise Conflict(f"Campaign {object_id} is archived; create a new one.")
        return await super().update(conn, merchant_id, object_id, update)

    async def archive(
        self, conn: Connection, merchant_id: uuid.UUID, object_id: uuid.UUID
    ) -> Campaign:
        """Stop it earning (what it earned stays, and returns still claw it back); once."""
        current = await self.get(conn, merchant_id, object_id)
        if current.archived_at is not None:
            return current
        now = utc_now()
        row = await CampaignRepository.of(conn).update(
            merchant_id, object_id, {"archived_at": now}, now
        )
        assert row is not None
        await self.changed(conn, merchant_id, "archived", row)
        return row

    async def live(self, conn: Connection, merchant_id: uuid.UUID) -> list[Campaign]:
        return await CampaignRepository.of(conn).live(merchant_id)


async def _check_branches(
    conn: Connection, merchant_id: uuid.UUID, ids: list[uuid.UUID] | None
) -> None:
    known = await branch_service.known_ids(conn, merchant_id, ids or [])
    for index, branch_id in enumerate(ids or []):
        if branch_id not in known:
            raise InvalidInput.field(f"branch_ids[{index}]", f"no branch {branch_id}")


def applies(campaign: Campaign, moment: datetime, branch_id: uuid.UUID | None) -> bool:
    """Live at `moment` (starts_at ≤ moment < ends_at) and in the receipt's branch."""
    if campaign.archived_at is not None:
        return False
    if campaign.starts_at is not None and moment < campaign.starts_at:
        return False
    if campaign.ends_at is not None and moment >= campaign.ends_at:
        return False
    return campaign.branch_ids is None or branch_id in campaign.branch_ids


def eligible(campaign: Campaign, line: Line) -> bool:
    """A purchase line (not a return) with something charged, in the campaign's categories."""
    if line.return_of is not None or line.total <= 0 or line.quantity.startswith("-"):
        return False
    if campaign.categories is None:
        return True
    category = line.category or ""
    return any(category == c or category.startswith(c + " > ") for c in campaign.categories)


def earn(campaign: Campaign, spend: int) -> int:
    """What `spend` eligible minor units earn, floored; 0 below the minimum spend."""
    if spend <= 0 or spend < campaign.min_spend:
        return 0
    if campaign.kind == "percent_back":
        assert campaign.percent is not None
        hundredths = int(Decimal(campaign.percent) * 100)
        return spend * hundredths // 10_000
    assert campaign.points is not None and campaign.per_amount is not None
    return spend // campaign.per_amount * campaign.points


def shares(amount: int, weights: list[int]) -> list[int]:
    """`amount` split over `weights` pro rata, exactly (largest remainder; ties to the first):
    the shares sum to `amount`."""
    total = sum(weights)
    if total == 0:
        return [0] * len(weights)
    floor = [amount * w // total for w in weights]
    left = amount - sum(floor)
    order = sorted(range(len(weights)), key=lambda i: (-(amount * weights[i] % total), i))
    for i in order[:left]:
        floor[i] += 1
    return floor


campaign = CampaignService()
