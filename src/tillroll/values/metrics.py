"""Value metrics: what each occurrence of a signal is worth, as a formula over variables.

Delivered value is computed when a signal arrives and stored per signal and metric
(`value_signal_values`, in micro-units of the metric's unit). Creating a metric computes it
for the event's past signals; changing one publishes a new version and recomputes them, so
a draft receipt picks the change up on refresh while a sealed one keeps its lines.

Every metric write also publishes a new version of the merchant's *value model* (Paid's
`version` of a write, and its `expectedActiveVersion` guard: a write that expects another
active version than the live one is a 409, so a concurrent change is never overwritten).
"""

from __future__ import annotations

import builtins
import math
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import msgspec

from tillroll.errors import Conflict, FieldError, InvalidInput, NotFound
from tillroll.kit import parse
from tillroll.kit.clock import utc_now
from tillroll.kit.db import Connection
from tillroll.kit.ids import uuid7
from tillroll.kit.money import is_currency
from tillroll.kit.repository import next_number
from tillroll.merchants.service import merchant as merchant_service
from tillroll.values import formula
from tillroll.values.repository import MetricRepository, SignalRepository
from tillroll.values.schemas import (
    Formula,
    Metric,
    MetricCreate,
    MetricList,
    MetricQuery,
    MetricUpdate,
    Unit,
    Variable,
)

MICRO = 10**6
MAX_QUANTITY = Decimal(10**6)
"""Largest value of one occurrence, in the metric's unit (stored as micro-units): so a
day's sum of a metric stays within a 64-bit integer up to 9 million occurrences."""
_STEP = Decimal(1).scaleb(-6)
_BATCH = 2000


@dataclass(frozen=True, slots=True)
class Compiled:
    """A metric ready to value signals: its parsed formula and variable defaults."""

    id: uuid.UUID
    event_name: str
    tree: formula.Node
    defaults: dict[str, Decimal]

    def quantity_micro(self, data: Mapping[str, Any] | None, loc: str) -> int | None:
        """One occurrence's value in micro-units (half-even); None when the formula cannot be
        evaluated for it (division by zero) or leaves the bounds. A variable that `data`
        overrides must be a number: else `InvalidInput` at `loc.<name>`."""
        values = dict(self.defaults)
        if data:
            for name in self.defaults.keys() & data.keys():
                values[name] = _number(data[name], f"{loc}.{name}")
        try:
            result = formula.evaluate(self.tree, values)
        except formula.FormulaError:
            return None
        if abs(result) > MAX_QUANTITY:
            return None
        return int(result.quantize(_STEP, rounding=ROUND_HALF_EVEN).scaleb(6))


def _number(value: Any, loc: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise InvalidInput.field(loc, "must be a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidInput.field(loc, "must be a finite number")
    text = value if isinstance(value, str) else repr(value)
    return parse.decimal(text, field=loc)


def compile_row(row: Mapping[str, Any]) -> Compiled:
    variables = [v["id"] for v in row["variables"]]
    defaults = {v["id"]: Decimal(v["default"]) for v in row["variables"]}
    tree = formula.parse(row["expression"], variables)
    return Compiled(row["id"], row["event_name"], tree, defaults)


def to_metric(row: Mapping[str, Any]) -> Metric:
    variables = [Variable(id=v["id"], default=Decimal(v["default"]), label=v.get("label"))
                 for v in row["variables"]]  # fmt: skip
    vpu = row["value_per_unit"]
    return Metric(
        id=row["id"],
        slug=row["slug"],
        version=row["version"],
        name=row["name"],
        event_name=row["event_name"],
        formula=Formula(expression=row["expression"], variables=variables),
        unit=msgspec.convert(row["unit"], Unit),
        currency=row["currency"],
        value_per_unit=None if vpu is None else Decimal(vpu),
        description=row["description"],
        archived_at=row["archived_at"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


MODEL = "value_model"  # the counter of the merchant's value model versions


async def _publish(conn: Connection, merchant_id: uuid.UUID, expected: int | None) -> None:
    """A new value model version; `expected` (if given) must be the one active until now.
    The counter row stays locked until commit, so concurrent writes check in turn."""
    version = await next_number(conn, merchant_id, MODEL)
    if expected is not None and expected != version - 1:
        raise Conflict(
            f"The active value model version is {version - 1}, not {expected}: "
            "another change came first; read the metric again."
        )


class MetricService:
    async def create(
        self,
        conn: Connection,
        merchant_id: uuid.UUID,
        body: MetricCreate,
        expected_model_version: int | None = None,
    ) -> Metric:
        await _publish(conn, merchant_id, expected_model_version)
        currency = body.currency or await _default_currency(conn, merchant_id)
        _check(body.formula, body.unit, currency, body.value_per_unit)
        slug = body.slug or _slug(body.name)
        repo = MetricRepository.of(conn)
        if await repo.get_by(merchant_id, "slug", slug) is not None:
            raise Conflict(f"A value metric with slug {slug!r} already exists.")
        now = utc_now()
        row: dict[str, Any] = {
            "merchant_id": merchant_id,
            "id": uuid7(),
            "slug": slug,
            "version": 1,
            "name": body.name,
            "event_name": body.event_name,
            "expression": body.formula.expression,
            "variables": [_variable(v) for v in body.formula.variables],
            "unit": msgspec.to_builtins(body.unit),
            "currency": currency,
            "value_per_unit": _text(body.value_per_unit),
            "description": body.description,
            "archived_at": None,
            "created_at": now,
            "updated_at": now,
        }
        await repo.insert(row)
        await recompute(conn, merchant_id, row)
        return to_metric(row)

    async def row(
        self, conn: Connection, merchant_id: uuid.UUID, ref: uuid.UUID | str
    ) -> dict[str, Any]:
        """The metric by id, or by slug."""
        column = "id" if isinstance(ref, uuid.UUID) else "slug"
        found = await MetricRepository.of(conn).get_by(merchant_id, column, ref)
        if found is None:
            raise NotFound(f"No value metric {ref}.")
        return found

    async def get(self, conn: Connection, merchant_id: uuid.UUID, ref: uuid.UUID | str) -> Metric:
        return to_metric(await self.row(conn, merchant_id, ref))

    async def list(
        self, conn: Connection, merchant_id: uuid.UUID, query: MetricQuery
    ) -> MetricList:
        rows, total = await MetricRepository.of(conn).page(
            merchant_id, query.include_archived, query.limit, query.offset
        )
        return MetricList(data=[to_metric(r) for r in rows], total=total)

    async def update(
        self,
        conn: Connection,
        merchant_id: uuid.UUID,
        ref: uuid.UUID | str,
        body: MetricUpdate,
        expected_model_version: int | None = None,
    ) -> Metric:
        row = await self.row(conn, merchant_id, ref)
        await _publish(conn, merchant_id, expected_model_version)
        changes = _changes(row, body)
        current = to_metric({**row, **changes})
        _check(current.formula, current.unit, current.currency, current.value_per_unit)
        changes |= {"version": row["version"] + 1, "updated_at": utc_now()}
        await MetricRepository.of(conn).update(merchant_id, row["id"], changes)
        row |= changes
        if "variables" in changes:
            await recompute(conn, merchant_id, row)
        return to_metric(row)

    async def model_version(self, conn: Connection, merchant_id: uuid.UUID) -> int:
        """The merchant's active value model version (0 before its first metric write)."""
        return await MetricRepository.of(conn).model_version(merchant_id, MODEL)

    async def compiled_for(
        self, conn: Connection, merchant_id: uuid.UUID, events: builtins.list[str]
    ) -> dict[str, builtins.list[Compiled]]:
        """event name → the metrics that value it."""
        found: dict[str, list[Compiled]] = {}
        for row in await MetricRepository.of(conn).for_events(merchant_id, events):
            found.setdefault(row["event_name"], []).append(compile_row(row))
        return found

    async def rows(
        self, conn: Connection, merchant_id: uuid.UUID, ids: builtins.list[uuid.UUID]
    ) -> builtins.list[dict[str, Any]]:
        return await MetricRepository.of(conn).get_many(merchant_id, ids)


def _changes(row: dict[str, Any], body: MetricUpdate) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for name in ("name", "currency", "description"):
        if (value := getattr(body, name)) is not msgspec.UNSET:
            changes[name] = value
    if body.unit is not msgspec.UNSET:
        changes["unit"] = msgspec.to_builtins(body.unit)
    if body.value_per_unit is not msgspec.UNSET:
        changes["value_per_unit"] = _text(body.value_per_unit)
    if body.defaults is not msgspec.UNSET:
        declared = {v["id"] for v in row["variables"]}
        unknown = sorted(set(body.defaults) - declared)
        if unknown:
            raise InvalidInput.field(f"defaults.{unknown[0]}", "is not a variable of the formula")
        changes["variables"] = [
            {
                **v,
                "default": _text(body.defaults[v["id"]])
                if v["id"] in body.defaults
                else v["default"],
            }
            for v in row["variables"]
        ]
    if body.archived is not msgspec.UNSET:
        changes["archived_at"] = (row["archived_at"] or utc_now()) if body.archived else None
    return changes


def _check(formula_in: Formula, unit: Unit, currency: str, value_per_unit: Decimal | None) -> None:
    errors: builtins.list[FieldError] = []
    ids = [v.id for v in formula_in.variables]
    if len(set(ids)) != len(ids):
        errors.append(FieldError("formula.variables", "declares a variable twice"))
    for i, v in enumerate(formula_in.variables):
        _bounded(v.default, f"formula.variables[{i}].default", errors)
    try:
        tree = formula.parse(formula_in.expression, ids)
        formula.evaluate(tree, {v.id: v.default for v in formula_in.variables})
    except formula.FormulaError as exc:
        errors.append(FieldError("formula.expression", str(exc)))
    if not is_currency(currency):
        errors.append(FieldError("currency", f"{currency!r} is not an ISO 4217 currency"))
    if value_per_unit is not None:
        _bounded(value_per_unit, "value_per_unit", errors)
    if unit.type == "duration" and unit.duration_unit is None:
        errors.append(FieldError("unit.duration_unit", "is required for a duration"))
    if unit.type == "custom" and not unit.unit:
        errors.append(FieldError("unit.unit", "is required for a custom unit"))
    if unit.type == "monetary" and value_per_unit is not None:
        errors.append(FieldError("value_per_unit", "a monetary metric is money already"))
    if errors:
        raise InvalidInput.fields(errors)


def _bounded(value: Decimal, loc: str, errors: list[FieldError]) -> None:
    try:
        parse.bounded(value, field=loc, integer_digits=12, places=6)
    except InvalidInput as exc:
        errors.extend(exc.errors)


async def recompute(conn: Connection, merchant_id: uuid.UUID, row: Mapping[str, Any]) -> None:
    """Store the metric's value of each of its event's signals afresh (in batches)."""
    compiled = compile_row(row)
    signals = SignalRepository.of(conn)
    await signals.drop_values(merchant_id, compiled.id)
    after: uuid.UUID | None = None
    while batch := await signals.of_event(merchant_id, compiled.event_name, after, _BATCH):
        values = []
        for signal in batch:
            try:
                quantity = compiled.quantity_micro(signal["data"], "data")
            except InvalidInput:
                quantity = None  # the signal's own data does not fit this formula
            if quantity is not None:
                values.append(value_row(merchant_id, signal, compiled.id, quantity))
        await signals.insert([], values)
        after = batch[-1]["id"]


def value_row(
    merchant_id: uuid.UUID, signal: Mapping[str, Any], metric_id: uuid.UUID, quantity: int
) -> dict[str, Any]:
    occurred: datetime = signal["occurred_at"]
    return {
        "merchant_id": merchant_id,
        "signal_id": signal["id"],
        "metric_id": metric_id,
        "customer_id": signal["customer_id"],
        "product_id": signal["product_id"],
        "order_id": signal["order_id"],
        "occurred_at": occurred,
        "day": occurred.astimezone(UTC).toordinal(),
        "quantity_micro": quantity,
    }


async def _default_currency(conn: Connection, merchant_id: uuid.UUID) -> str:
    found = await merchant_service.get(conn, merchant_id)
    return found.settings.default_currency


def _variable(v: Variable) -> dict[str, Any]:
    return {"id": v.id, "default": _text(v.default), "label": v.label}


def _text(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")


def _slug(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:64]
    return slug or "metric"


metric = MetricService()
