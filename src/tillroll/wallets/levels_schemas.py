"""Loyalty programme I/O: its levels, the programme, a level change (msgspec)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from msgspec import UNSET, Meta, UnsetType

from tillroll.kit.money import MAX_AMOUNT
from tillroll.kit.schemas import Schema

Points = Annotated[int, Meta(ge=0, le=MAX_AMOUNT, description="Points earned in a review period.")]
Name = Annotated[str, Meta(min_length=1, max_length=100)]
Text = Annotated[str, Meta(max_length=500)]
Months = Annotated[int, Meta(ge=1, le=120, description="Length of a review period, in months.")]


class LevelCreate(Schema):
    name: Name
    threshold: Annotated[
        Points, Meta(description="Points earned within a review period that reach this level.")
    ]
    description: Text | None = None
    maintenance: Annotated[
        Points | None,
        Meta(description="Points within a review period that keep this level (at most the "
             "threshold; default: the threshold)."),
    ] = None  # fmt: skip


class Level(Schema):
    level: Annotated[int, Meta(description="Position: 1 is the entry level.")]
    name: str
    description: str | None
    threshold: int
    maintenance: int


class ProgrammeCreate(Schema):
    name: Name
    levels: Annotated[
        list[LevelCreate],
        Meta(min_length=1, max_length=20,
             description="Lowest first; the first is the entry level (threshold 0)."),
    ]  # fmt: skip
    description: Text | None = None
    review_months: Months = 12
    starts_at: Annotated[
        Annotated[datetime, Meta(tz=True)] | None,
        Meta(description="Start of the first period (default: now); reviews fall on "
             "the same wall-clock time in the merchant's zone every `review_months`."),
    ] = None  # fmt: skip


class ProgrammeUpdate(Schema):
    """What a change may set; every level keeps its customers by position (see loyalty.md)."""

    name: Name | UnsetType = UNSET
    description: Text | UnsetType | None = UNSET
    levels: (
        Annotated[
            list[LevelCreate],
            Meta(min_length=1, max_length=20,
                 description="All the levels, lowest first: they replace the current ones, "
                 "position by position; judged by at the next review."),
        ]
        | UnsetType
    ) = UNSET  # fmt: skip
    review_months: Annotated[
        Months | UnsetType,
        Meta(description="From the start of the current period: it then ends after this "
             "many months (which must lie ahead)."),
    ] = UNSET  # fmt: skip


class Programme(Schema):
    id: uuid.UUID
    number: Annotated[int, Meta(description="Sequential integer id within the merchant.")]
    name: str
    description: str | None
    review_months: int
    starts_at: datetime
    levels: list[Level]
    last_review_date: Annotated[
        datetime | None, Meta(description="The last review written (null before the first).")
    ]
    next_review_date: datetime
    created_at: datetime


class LevelChange(Schema):
    """A review moved a customer to another level (the `loyalty.level_changed` event)."""

    programme_id: uuid.UUID
    customer_id: uuid.UUID
    from_level: int
    from_name: str
    to_level: int
    to_name: str
    points: Annotated[int, Meta(description="Points earned in the period reviewed.")]
    reviewed_at: datetime
