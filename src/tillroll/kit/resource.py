"""The rules and endpoints every simple tenant-owned table shares (branches, customers, products).

A domain configures a `Resource` (its repository, create and update schemas, the columns
that are unique per merchant, a `check` for its own field rules) and calls `crud_endpoints`;
what differs stays in the domain's own service and endpoints.
"""

from __future__ import annotations

import builtins
import inspect
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, ClassVar, Generic, TypeVar

import msgspec

from tillroll.errors import Conflict, NotFound
from tillroll.kit.clock import utc_now
from tillroll.kit.crud import TableRepository, list_page
from tillroll.kit.db import Connection, ForeignKeyViolation
from tillroll.kit.http import Access, Call, Router
from tillroll.kit.schemas import ListQuery, Page
from tillroll.kit.updates import given, merged

S = TypeVar("S", bound=msgspec.Struct)
C = TypeVar("C", bound=msgspec.Struct)
U = TypeVar("U", bound=msgspec.Struct)


class Resource(Generic[S, C, U]):
    """Create, read, list, change and delete the rows of one table, scoped by merchant."""

    noun: ClassVar[str]  # "branch": in messages and path parameters (`branch_id`)
    repository: type[TableRepository[S]]
    create_schema: type[C]
    update_schema: type[U]
    unique: ClassVar[tuple[str, ...]] = ()  # columns unique per merchant: 409 on a clash
    label: ClassVar[str] = "id"  # the field that names a row in messages ("code")
    summary: type[msgspec.Struct] | None = None  # the short form other domains show
    answer: type[msgspec.Struct] | None = None  # what the endpoints answer (default: the row)

    async def summaries(
        self, conn: Connection, merchant_id: uuid.UUID, column: str, values: Sequence[Any]
    ) -> builtins.list[Any]:
        """`summary` of each row whose `column` (`id` or a `unique` one) is in `values`:
        one query, for other domains that show what they refer to."""
        assert self.summary is not None and column in ("id", *self.unique)
        names = self.summary.__struct_fields__
        rows = await self.repository.of(conn).rows_in(merchant_id, column, values, names)
        return [self.summary(**{n: r[n] for n in names}) for r in rows]

    async def known_ids(
        self, conn: Connection, merchant_id: uuid.UUID, ids: Sequence[uuid.UUID]
    ) -> set[uuid.UUID]:
        """Which of `ids` are the merchant's rows."""
        rows = await self.repository.of(conn).rows_in(merchant_id, "id", ids, ["id"])
        return {r["id"] for r in rows}

    def check(self, row: C | S) -> None:
        """The domain's field rules (422); a row after an update is checked whole."""

    async def present(
        self, conn: Connection, merchant_id: uuid.UUID, rows: builtins.list[S]
    ) -> builtins.list[Any]:
        """The rows as the endpoints answer them (`answer`): by default, as they are."""
        return rows

    async def changed(self, conn: Connection, merchant_id: uuid.UUID, change: str, row: S) -> None:
        """Called in the transaction after a row was `created`, `updated` (something
        changed) or `deleted` (`row` as it was): where the domain emits its events."""

    async def create(self, conn: Connection, merchant_id: uuid.UUID, create: C) -> S:
        self.check(create)
        values = {f: getattr(create, f) for f in create.__struct_fields__}
        repo = self.repository.of(conn)
        await self._ensure_unique(repo, merchant_id, values)
        row = await repo.insert(merchant_id, values, utc_now())
        await self.changed(conn, merchant_id, "created", row)
        return row

    async def get(self, conn: Connection, merchant_id: uuid.UUID, object_id: uuid.UUID) -> S:
        found = await self.repository.of(conn).get(merchant_id, object_id)
        if found is None:
            raise NotFound(f"No {self.noun} {object_id}.")
        return found

    async def find(
        self, conn: Connection, merchant_id: uuid.UUID, column: str, value: str
    ) -> S | None:
        """By one of the `unique` columns."""
        assert column in self.unique
        return await self.repository.of(conn).get_by(merchant_id, column, value)

    async def by_number(self, conn: Connection, merchant_id: uuid.UUID, number: int) -> S | None:
        """By the per-merchant integer `number` (tables with a counter)."""
        return await self.repository.of(conn).get_by_number(merchant_id, number)

    async def get_many(
        self, conn: Connection, merchant_id: uuid.UUID, ids: list[uuid.UUID]
    ) -> dict[uuid.UUID, S]:
        return await self.repository.of(conn).get_many(merchant_id, ids)

    async def list(
        self, conn: Connection, merchant_id: uuid.UUID, cursor: str | None, limit: int
    ) -> Page[S]:
        return await list_page(self.repository.of(conn), merchant_id, cursor, limit)

    async def update(
        self, conn: Connection, merchant_id: uuid.UUID, object_id: uuid.UUID, update: U
    ) -> S:
        current = await self.get(conn, merchant_id, object_id)
        self.check(merged(current, update))
        changes = given(update)
        repo = self.repository.of(conn)
        changed = {k: v for k, v in changes.items() if v != getattr(current, k)}
        await self._ensure_unique(repo, merchant_id, changed)
        updated = await repo.update(merchant_id, object_id, changes, utc_now())
        if updated is None:  # deleted by a concurrent request since `get` saw it
            raise NotFound(f"No {self.noun} {object_id}.")
        if changed:
            await self.changed(conn, merchant_id, "updated", updated)
        return updated

    async def delete(self, conn: Connection, merchant_id: uuid.UUID, object_id: uuid.UUID) -> None:
        """Delete a row nothing refers to; the foreign keys (RESTRICT) guard the rest: 409."""
        current = await self.get(conn, merchant_id, object_id)
        repo = self.repository.of(conn)
        try:
            await repo.delete(merchant_id, object_id)
        except ForeignKeyViolation as exc:
            tables = (
                [exc.table] if exc.table else await repo.referring_tables(merchant_id, object_id)
            )
            by = " and ".join(t.replace("_", " ") for t in tables) or "other rows"
            name = getattr(current, self.label)
            raise Conflict(f"{self.noun.capitalize()} {name} is referred to by {by}.") from None
        await self.changed(conn, merchant_id, "deleted", current)

    async def _ensure_unique(
        self, repo: TableRepository[S], merchant_id: uuid.UUID, values: dict[str, Any]
    ) -> None:
        for column in self.unique:
            value = values.get(column)
            if value is not None and await repo.get_by(merchant_id, column, value) is not None:
                raise Conflict(f"A {self.noun} with {column} {value!r} already exists.")


def crud_endpoints(router: Router, resource: Resource[S, C, U]) -> None:
    """Register create, list, get, update and delete of `resource` on `router`."""
    noun, plural = resource.noun, router.tag
    out = resource.answer or resource.repository.schema
    key = f"{noun}_id"
    one, by_id = f"/{{{key}}}", {key: uuid.UUID}

    def merchant(call: Call) -> uuid.UUID:
        return call.principal.merchant_id

    async def shown(call: Call, row: S) -> Any:
        return (await resource.present(call.conn, merchant(call), [row]))[0]

    async def create(call: Call, body: Any) -> Any:
        return await shown(call, await resource.create(call.conn, merchant(call), body))

    async def list_rows(call: Call, query: ListQuery) -> Any:
        found = await resource.list(call.conn, merchant(call), query.cursor, query.limit)
        data = await resource.present(call.conn, merchant(call), found.data)
        return Page(data=data, next_cursor=found.next_cursor)

    async def get(call: Call, **path: uuid.UUID) -> Any:
        return await shown(call, await resource.get(call.conn, merchant(call), path[key]))

    async def update(call: Call, body: Any, **path: uuid.UUID) -> Any:
        return await shown(call, await resource.update(call.conn, merchant(call), path[key], body))

    async def delete(call: Call, **path: uuid.UUID) -> None:
        await resource.delete(call.conn, merchant(call), path[key])

    page: Any = Page[out]  # type: ignore[valid-type]
    router.post("", access=Access.write, status=201, idempotent=True, errors=(409, 422))(
        _typed(create, "create", f"Create a {noun}.", {"body": resource.create_schema}, out)
    )
    router.get("", access=Access.read)(
        _typed(
            list_rows, f"list_{plural}", f"List {plural}, oldest first.", {"query": ListQuery}, page
        )
    )
    router.get(one, access=Access.read, errors=(404,))(
        _typed(get, "get", f"Get one {noun}.", by_id, out)
    )
    router.patch(one, access=Access.write, errors=(404, 409, 422))(
        _typed(
            update, "update", f"Change a {noun}.", {"body": resource.update_schema, **by_id}, out
        )
    )
    doc = f"Delete a {noun} nothing refers to (409 otherwise)."
    router.delete(one, access=Access.admin, errors=(404, 409))(
        _typed(delete, "delete", doc, by_id, None)
    )


def _typed(
    run: Callable[..., Awaitable[Any]], name: str, doc: str, hints: dict[str, Any], returns: Any
) -> Callable[..., Awaitable[Any]]:
    """`run` with the name, summary and typed parameters the router reads."""

    async def handler(call: Call, **kwargs: Any) -> Any:
        return await run(call, **kwargs)

    handler.__name__ = handler.__qualname__ = name
    handler.__doc__ = doc
    handler.__annotations__ = {"call": Call, **hints, "return": returns}
    kind = inspect.Parameter.KEYWORD_ONLY
    parameters = [inspect.Parameter("call", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    parameters += [inspect.Parameter(p, kind) for p in hints]
    setattr(handler, "__signature__", inspect.Signature(parameters))  # noqa: B010
    return handler
