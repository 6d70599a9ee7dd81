"""A Hypothesis property: after every review a customer's level is the highest whose
threshold the period's earned points meet, or the highest at or below the level held whose
maintenance level they meet; checked through the services on the suite's database, both
before the review job has written a review (the read computes it) and after."""

from __future__ import annotations

import uuid
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Tenant
from tests.wallets.helpers import T0, Hands
from tillroll.customers.schemas import Customer, CustomerCreate
from tillroll.customers.service import customer as customer_service
from tillroll.kit.db import Connection, Database, run
from tillroll.wallets.clock import clock
from tillroll.wallets.levels import levels
from tillroll.wallets.levels_schemas import LevelCreate, ProgrammeCreate
from tillroll.wallets.schemas import EntryCreate, WalletCreate
from tillroll.wallets.service import wallet as wallets

REASONS = st.sampled_from(["purchase_earn", "campaign", "manual", "adjustment", "referral"])
COUNTED = {"purchase_earn", "campaign", "manual", "referral"}


@st.composite
def ladders(draw: st.DrawFn) -> list[tuple[int, int]]:
    """(threshold, maintenance) per level, lowest first; the entry level's is (0, 0)."""
    steps = draw(st.lists(st.integers(1, 150), min_size=1, max_size=4))
    ladder, threshold = [(0, 0)], 0
    for step in steps:
        threshold += step
        ladder.append((threshold, draw(st.integers(0, threshold))))
    return ladder


def expected(ladder: list[tuple[int, int]], held: int, points: int) -> int:
    """The model: walk down from the top level; the first that qualifies wins."""
    for level in range(len(ladder), 0, -1):
        threshold, maintenance = ladder[level - 1]
        if points >= threshold or (level <= held and points >= maintenance):
            return level
    raise AssertionError("the entry level always qualifies")


@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    ladder=ladders(),
    periods=st.lists(
        st.lists(st.tuples(st.integers(0, 2), st.integers(1, 200), REASONS), max_size=5),
        min_size=1, max_size=4,
    ),
    read_early=st.booleans(),
)  # fmt: skip
async def test_the_level_follows_the_rule_after_every_review(
    db: Database,
    tenant: Tenant,
    ladder: list[tuple[int, int]],
    periods: list[list[tuple[int, int, str]]],
    read_early: bool,
) -> None:
    hands = Hands(T0)
    body = ProgrammeCreate(
        name="P", review_months=1, starts_at=T0,
        levels=[LevelCreate(name=f"L{i}", threshold=t, maintenance=m)
                for i, (t, m) in enumerate(ladder)],
    )  # fmt: skip

    async def setup(conn: Connection) -> tuple[uuid.UUID, list[uuid.UUID], list[Customer]]:
        # each example starts a programme afresh (the tenant is the test's)
        await conn.execute("DELETE FROM loyalty_members WHERE merchant_id = :m", {"m": tenant.id})
        await conn.execute(
            "DELETE FROM loyalty_programmes WHERE merchant_id = :m", {"m": tenant.id}
        )
        made = await levels.create(conn, tenant.id, body)
        people = [await customer_service.create(conn, tenant.id, CustomerCreate())
                  for _ in range(3)]  # fmt: skip
        ids = [
            (await wallets.create(conn, tenant.id, p.id, WalletCreate(kind="points"))).id
            for p in people
        ]
        return made.id, ids, people

    with clock.use(hands):
        programme_id, wallet_ids, people = await run(db, setup, write=True)
        held = [1, 1, 1]
        for k, earnings in enumerate(periods, start=1):
            sums = [0, 0, 0]
            for who, amount, reason in earnings:
                hands.now += timedelta(hours=1)

                async def earn(conn: Connection, w: int = who, a: int = amount,
                               r: str = reason) -> None:  # fmt: skip
                    body = EntryCreate(amount=a, reason=r)  # type: ignore[arg-type]
                    await wallets.post_entry(conn, tenant.id, wallet_ids[w], body, "test")

                await run(db, earn, write=True)
                sums[who] += amount if reason in COUNTED else 0
            hands.now = T0.replace(month=T0.month + k)  # 2 March 12:00 UTC, monthly
            held = [expected(ladder, h, s) for h, s in zip(held, sums, strict=True)]
            if read_early:
                assert await _levels(db, tenant, people) == held, (k, sums)

            async def write(conn: Connection) -> None:
                await levels.review(conn, tenant.id, programme_id)

            await run(db, write, write=True)
            assert await _levels(db, tenant, people) == held, (k, sums)


async def _levels(db: Database, tenant: Tenant, people: list[Customer]) -> list[int]:
    async def read(conn: Connection) -> list[int]:
        found = await levels.statuses(conn, tenant.id, people)
        return [found[p.id].level for p in people]

    return await run(db, read, write=False)
