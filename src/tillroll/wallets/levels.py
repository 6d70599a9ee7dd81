"""Loyalty levels: a merchant's programme of ordered levels, reviewed every period.

A customer's level changes only at a review, at the end of each review period (every
`review_months`, at the same wall-clock time in the merchant's zone as the programme's
start). With S the points the customer earned in the period (see `EARNING`), the review
gives the highest level whose threshold S meets, or, if higher, the highest level at or
below the current one whose maintenance level S meets (`after_review`). The review job
writes it; a read before the job has run computes the same review, so a status never waits
for the worker.
"""

from __future__ import annotations

import uuid
from calendar import monthrange
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from msgspec import UNSET, UnsetType

from tillroll.customers.schemas import Customer, LoyaltyStatus
from tillroll.customers.service import customer as customer_service
from tillroll.errors import Conflict, FieldError, InvalidInput, NotFound
from tillroll.events.catalog import EventType
from tillroll.events.service import emit
from tillroll.jobs.schemas import Job
from tillroll.jobs.service import Retry, enqueue, handler
from tillroll.kit import parse
from tillroll.kit.db import Connection, Database, UniqueViolation, run
from tillroll.kit.ids import uuid7
from tillroll.kit.repository import next_number
from tillroll.merchants.service import merchant as merchant_service
from tillroll.wallets.clock import clock
from tillroll.wallets.events import (
    PROGRAMME_CREATED,
    PROGRAMME_DELETED,
    PROGRAMME_UPDATED,
    ProgrammeChanged,
    ProgrammeDeleted,
)
from tillroll.wallets.levels_repository import LevelRepository
from tillroll.wallets.levels_schemas import (
    Level,
    LevelChange,
    LevelCreate,
    Programme,
    ProgrammeCreate,
    ProgrammeUpdate,
)
from tillroll.wallets.tables import MEMBERS, PROGRAMMES

REVIEW = "loyalty.review"
LEVEL_CHANGED = EventType(
    "loyalty.level_changed", LevelChange, "A review moved a customer up or down a loyalty level."
)
read_programme = PROGRAMMES.reader(PROGRAMMES.names)
read_member = MEMBERS.reader(MEMBERS.names)
_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
_HORIZON = timedelta(days=36525)


def after_review(levels: Sequence[Level], current: int, points: int) -> int:
    """The level (1-based) a review gives a customer at `current` who earned `points`."""
    earned = max(lv.level for lv in levels if lv.threshold <= points)
    kept = [lv.level for lv in levels if lv.level <= current and lv.maintenance <= points]
    return max(earned, *kept)


@dataclass(frozen=True)
class Calendar:
    """A programme's review moments: R(0) its start, R(k) k periods later (wall clock)."""

    starts_at: datetime
    months: int
    zone: ZoneInfo

    def at(self, k: int) -> datetime:
        local = self.starts_at.astimezone(self.zone)
        total = local.month - 1 + k * self.months
        year, month = local.year + total // 12, total % 12 + 1
        day = min(local.day, monthrange(year, month)[1])
        wall = local.replace(tzinfo=None, year=year, month=month, day=day)
        return wall.replace(tzinfo=self.zone, fold=local.fold).astimezone(UTC)

    def period(self, t: datetime) -> int:
        """The k with R(k) <= t < R(k+1) (-1 before the start)."""
        a, b = self.starts_at.astimezone(self.zone), t.astimezone(self.zone)
        k = max(-1, ((b.year - a.year) * 12 + b.month - a.month) // self.months)
        while self.at(k + 1) <= t:
            k += 1
        while k >= 0 and self.at(k) > t:
            k -= 1
        return k


@dataclass
class Standing:
    level: int
    reached_at: datetime | None  # None: at the entry level since it joined


@dataclass(frozen=True)
class Loaded:
    """A programme row with its levels and its calendar in the merchant's zone."""

    row: dict[str, Any]
    calendar: Calendar

    @property
    def levels(self) -> list[Level]:
        return self.row["levels"]  # type: ignore[no-any-return]

    def level(self, n: int) -> Level:
        return self.levels[n - 1]


class LevelService:
    async def create(
        self, conn: Connection, merchant_id: uuid.UUID, body: ProgrammeCreate
    ) -> Programme:
        levels = _levels(body.levels)
        now = clock.now()
        starts = body.starts_at or now
        if not _EARLIEST <= starts <= now + _HORIZON:
            raise InvalidInput.field("starts_at", "must lie between 1970 and 100 years from now")
        repo = LevelRepository.of(conn)
        if await repo.programme(merchant_id) is not None:
            raise Conflict("The merchant already has a loyalty programme.")
        row = {
            "merchant_id": merchant_id, "id": uuid7(),
            "number": await next_number(conn, merchant_id, "loyalty_programme"),
            "name": body.name, "description": body.description,
            "review_months": body.review_months, "starts_at": starts,
            "levels": levels, "last_review": 0, "created_at": now, "updated_at": now,
            "earlier_review": None,
        }  # fmt: skip
        try:
            await repo.insert_programme(row)
        except UniqueViolation:
            raise Conflict("The merchant already has a loyalty programme.") from None
        loaded = await self._loaded(conn, row)
        await _schedule(conn, loaded, 1)
        shown = _shown(loaded)
        await emit(conn, merchant_id, PROGRAMME_CREATED, ProgrammeChanged(
            programme=shown, changed=sorted(ProgrammeCreate.__struct_fields__)))  # fmt: skip
        return shown

    async def update(
        self, conn: Connection, merchant_id: uuid.UUID, programme_id: uuid.UUID,
        body: ProgrammeUpdate,
    ) -> Programme:  # fmt: skip
        """Change the programme. The reviews due are written first, by the rules they fell
        under; the new levels judge from the next review on (a customer keeps the position
        held); a new review period runs from the start of the current one."""
        p = await self._caught_up(conn, merchant_id, programme_id)
        row, now = dict(p.row), clock.now()
        changed = [f for f in ProgrammeUpdate.__struct_fields__ if getattr(body, f) is not UNSET]
        if not isinstance(body.name, UnsetType):
            row["name"] = body.name
        if not isinstance(body.description, UnsetType):
            row["description"] = body.description
        if not isinstance(body.levels, UnsetType):
            row["levels"] = _levels(body.levels)
            await _check_holders(conn, p, len(row["levels"]))
        if not isinstance(body.review_months, UnsetType):
            _rebase(p, row, body.review_months, now)
        row["updated_at"] = now
        await LevelRepository.of(conn).update_programme(row)
        loaded = await self._loaded(conn, row)
        if row["starts_at"] != p.row["starts_at"] or row["review_months"] != p.row["review_months"]:
            await _schedule(conn, loaded, row["last_review"] + 1)
        shown = _shown(loaded)
        await emit(conn, merchant_id, PROGRAMME_UPDATED,
                   ProgrammeChanged(programme=shown, changed=changed))  # fmt: skip
        return shown

    async def delete(
        self, conn: Connection, merchant_id: uuid.UUID, programme_id: uuid.UUID
    ) -> None:
        """Delete the programme and every customer's standing in it (no review is written;
        a review job still queued finds nothing to do)."""
        repo = LevelRepository.of(conn)
        found = await repo.programme(merchant_id, programme_id, lock=True)
        if found is None:
            raise NotFound(f"No loyalty programme {programme_id}.")
        shown = _shown(await self._loaded(conn, read_programme(found)))
        removed = await repo.delete_programme(merchant_id, programme_id)
        await emit(conn, merchant_id, PROGRAMME_DELETED,
                   ProgrammeDeleted(programme=shown, statuses_removed=removed))  # fmt: skip

    async def _caught_up(
        self, conn: Connection, merchant_id: uuid.UUID, programme_id: uuid.UUID
    ) -> Loaded:
        """The programme, locked, with every review due now written (404 if not ours)."""
        found = await LevelRepository.of(conn).programme(merchant_id, programme_id, lock=True)
        if found is None:
            raise NotFound(f"No loyalty programme {programme_id}.")
        p = await self._loaded(conn, read_programme(found))
        due = p.calendar.period(clock.now())
        if due > p.row["last_review"]:
            await _reviewed(conn, p, None, due, write=True)
            await LevelRepository.of(conn).reviewed(merchant_id, programme_id, due)
            await _schedule(conn, p, due + 1)
            p = Loaded({**p.row, "last_review": due}, p.calendar)
        return p

    async def list(self, conn: Connection, merchant_id: uuid.UUID) -> list[Programme]:
        row = await LevelRepository.of(conn).programme(merchant_id)
        return [] if row is None else [_shown(await self._loaded(conn, read_programme(row)))]

    async def get(
        self, conn: Connection, merchant_id: uuid.UUID, programme_id: uuid.UUID
    ) -> Programme:
        row = await LevelRepository.of(conn).programme(merchant_id, programme_id)
        if row is None:
            raise NotFound(f"No loyalty programme {programme_id}.")
        return _shown(await self._loaded(conn, read_programme(row)))

    async def _loaded(self, conn: Connection, row: dict[str, Any]) -> Loaded:
        settings = (await merchant_service.get(conn, row["merchant_id"])).settings
        zone = parse.zone(settings.timezone, field="settings.timezone")
        return Loaded(row, Calendar(row["starts_at"], row["review_months"], zone))

    async def statuses(
        self, conn: Connection, merchant_id: uuid.UUID, customers: Sequence[Customer]
    ) -> dict[uuid.UUID, LoyaltyStatus]:
        """Each customer's status now, reviews the job has not written yet included."""
        found = await LevelRepository.of(conn).programme(merchant_id)
        if found is None or not customers:
            return {}
        p = await self._loaded(conn, read_programme(found))
        now, ids = clock.now(), [c.id for c in customers]
        standing = await _reviewed(conn, p, ids, p.calendar.period(now))
        k = max(0, p.calendar.period(now))
        cal = p.calendar
        earned = await LevelRepository.of(conn).earned(merchant_id, cal.at(k), cal.at(k + 1), ids)
        return {
            c.id: _status(p, standing.get(c.id, Standing(1, None)), earned.get(c.id, 0), now, c)
            for c in customers
        }

    async def review(
        self, conn: Connection, merchant_id: uuid.UUID, programme_id: uuid.UUID
    ) -> None:
        """Write every review due now (the job; one transaction, the programme row locked);
        nothing if the programme was deleted."""
        with suppress(NotFound):
            await self._caught_up(conn, merchant_id, programme_id)


async def _reviewed(
    conn: Connection, p: Loaded, ids: Sequence[uuid.UUID] | None, upto: int, *,
    write: bool = False,
) -> dict[uuid.UUID, Standing]:  # fmt: skip
    """Standings after the reviews 1..`upto` (those of `ids`, or everyone's): the stored
    ones, moved by each review not written yet; `write` stores the moves and emits events."""
    repo = LevelRepository.of(conn)
    m, pid, cal = p.row["merchant_id"], p.row["id"], p.calendar
    rows = [read_member(r) for r in await repo.members(m, pid, ids)]
    standing = {r["customer_id"]: Standing(r["level"], r["reached_at"]) for r in rows}
    for k in range(p.row["last_review"] + 1, upto + 1):
        earned = await repo.earned(m, cal.at(k - 1), cal.at(k), ids)
        for customer_id in standing.keys() | earned.keys():
            was = standing.setdefault(customer_id, Standing(1, None))
            points = earned.get(customer_id, 0)
            level = after_review(p.levels, was.level, points)
            if level == was.level:
                continue
            if write:
                await _moved(conn, p, customer_id, was.level, level, points, cal.at(k))
            standing[customer_id] = Standing(level, cal.at(k))
    return standing


async def _moved(
    conn: Connection, p: Loaded, customer_id: uuid.UUID, was: int, level: int, points: int,
    at: datetime,
) -> None:  # fmt: skip
    m, pid = p.row["merchant_id"], p.row["id"]
    await LevelRepository.of(conn).save_member(
        {"merchant_id": m, "programme_id": pid, "customer_id": customer_id, "level": level,
         "points": points, "reached_at": at}
    )  # fmt: skip
    change = LevelChange(
        programme_id=pid, customer_id=customer_id, from_level=was, from_name=p.level(was).name,
        to_level=level, to_name=p.level(level).name, points=points, reviewed_at=at,
    )  # fmt: skip
    await emit(conn, m, LEVEL_CHANGED, change)


async def _schedule(conn: Connection, p: Loaded, k: int) -> None:
    """Have the review job run at R(k) (once per programme and moment: a job left from
    before a change of period finds no review due, and does nothing)."""
    at, pid = p.calendar.at(k), p.row["id"]
    await enqueue(conn, REVIEW, {"programme": str(pid), "at": at.isoformat()},
                  merchant_id=p.row["merchant_id"], run_at=at,
                  key=f"{pid}:{at.isoformat()}")  # fmt: skip


async def _check_holders(conn: Connection, p: Loaded, count: int) -> None:
    """A change may drop levels only when no customer holds them (409 naming them)."""
    held = await LevelRepository.of(conn).holders_above(p.row["merchant_id"], p.row["id"], count)
    if held:
        names = ", ".join(f"level {n} ({p.level(n).name}): {k} customers" for n, k in held.items())
        raise Conflict(
            f"Customers hold the levels a programme of {count} would drop: {names}. "
            "Keep them (rename or change their thresholds) until a review moves them."
        )


def _rebase(p: Loaded, row: dict[str, Any], months: int, now: datetime) -> None:
    """A new review period: the current period (from its start) then lasts `months`, and
    the reviews are counted again from its start; 422 if it would have ended already."""
    if months == row["review_months"]:
        return
    k = p.calendar.period(now)
    start = p.calendar.at(k) if k >= 0 else row["starts_at"]
    ends = Calendar(start, months, p.calendar.zone).at(1)
    if k >= 0 and ends <= now:
        raise InvalidInput.field(
            "review_months",
            f"the current period began {start.isoformat()}: {months} months from then "
            "have passed already",
        )
    if k >= 1:
        row["earlier_review"] = start
    row.update(starts_at=start, review_months=months, last_review=0)


@handler(REVIEW, max_attempts=20)
async def review_job(db: Database, job: Job) -> None:
    assert job.merchant_id is not None
    merchant_id, programme_id = job.merchant_id, uuid.UUID(job.payload["programme"])
    due = datetime.fromisoformat(job.payload["at"])
    if clock.now() < due:  # early (the queue's clock ran ahead): come back when it is due
        raise Retry(after=due - clock.now(), reason="review not due yet")

    async def work(conn: Connection) -> None:
        await levels.review(conn, merchant_id, programme_id)

    await run(db, work, write=True)


def _status(
    p: Loaded, standing: Standing, earned: int, now: datetime, customer: Customer
) -> LoyaltyStatus:
    cal, here = p.calendar, p.level(standing.level)
    k = cal.period(now)
    above = p.levels[standing.level] if standing.level < len(p.levels) else None
    return LoyaltyStatus(
        programme_id=p.row["id"], programme_number=p.row["number"], level=here.level,
        name=here.name, description=here.description, points_earned=earned,
        points_to_proceed_next_level=None if above is None else max(0, above.threshold - earned),
        points_to_remain_current_level=max(0, here.maintenance - earned),
        maintenance_points_level=here.maintenance,
        last_review_date=cal.at(k) if k >= 1 else p.row["earlier_review"],
        next_review_date=cal.at(max(k, 0) + 1),
        date_reached=standing.reached_at or max(p.row["starts_at"], customer.created_at),
    )  # fmt: skip


def _levels(given: Sequence[LevelCreate]) -> list[Level]:
    """The levels, numbered, their rules checked (422 naming the level)."""
    errors: list[FieldError] = []
    made: list[Level] = []
    for i, lv in enumerate(given):
        at = f"levels[{i}]"
        keep = lv.threshold if lv.maintenance is None else lv.maintenance
        if i == 0 and lv.threshold != 0:
            errors.append(FieldError(f"{at}.threshold", "the entry level's threshold is 0"))
        if i and lv.threshold <= made[-1].threshold:
            errors.append(FieldError(f"{at}.threshold", "must be above the level below"))
        if keep > lv.threshold:
            errors.append(FieldError(f"{at}.maintenance", "must not exceed the threshold"))
        made.append(Level(level=i + 1, name=lv.name, description=lv.description,
                          threshold=lv.threshold, maintenance=keep))  # fmt: skip
    if errors:
        raise InvalidInput.fields(errors)
    return made


def _shown(p: Loaded) -> Programme:
    row, cal = p.row, p.calendar
    k = cal.period(clock.now())
    last = row["last_review"]
    return Programme(
        id=row["id"], number=row["number"], name=row["name"], description=row["description"],
        review_months=row["review_months"], starts_at=row["starts_at"], levels=p.levels,
        last_review_date=cal.at(last) if last else row["earlier_review"],
        next_review_date=cal.at(max(k, 0) + 1),
        created_at=row["created_at"],
    )  # fmt: skip


levels = LevelService()
customer_service.show_loyalty(levels.statuses)
