"""Driver errors become the kit's own exceptions, the same on both dialects."""

from __future__ import annotations

import pytest

from tillroll.kit.db import ConflictRetry, Database, ForeignKeyViolation, UniqueViolation

_TABLES = [
    "CREATE TABLE fk_parent (id INTEGER PRIMARY KEY)",
    "CREATE TABLE fk_child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES fk_parent (id))",
    "INSERT INTO fk_parent (id) VALUES (1)",
    "INSERT INTO fk_child (id, parent_id) VALUES (1, 1)",
]


async def _refused(db: Database, statement: str) -> ForeignKeyViolation:
    """Run `statement` after building a referring pair (all rolled back)."""
    with pytest.raises(ForeignKeyViolation) as caught:
        async with db.transaction(write=True) as conn:
            for sql in _TABLES:
                await conn.execute(sql)
            await conn.execute(statement)
    assert not isinstance(caught.value, ConflictRetry | UniqueViolation)
    return caught.value


async def test_deleting_a_referred_row_is_a_foreign_key_violation(db: Database) -> None:
    refused = await _refused(db, "DELETE FROM fk_parent WHERE id = 1")
    if db.dialect == "postgresql":  # SQLite names neither
        assert refused.table == "fk_child"
        assert refused.constraint == "fk_child_parent_id_fkey"
    else:
        assert (refused.table, refused.constraint) == (None, None)


async def test_referring_to_no_row_is_a_foreign_key_violation(db: Database) -> None:
    await _refused(db, "INSERT INTO fk_child (id, parent_id) VALUES (2, 99)")


async def test_nothing_of_the_refused_transaction_stays(db: Database) -> None:
    await _refused(db, "DELETE FROM fk_parent WHERE id = 1")
    async with db.transaction(write=False) as conn:
        found = await conn.fetchval(
            "SELECT COUNT(*) FROM sqlite_master WHERE name = 'fk_parent'"
            if db.dialect == "sqlite"
            else "SELECT COUNT(*) FROM pg_tables WHERE tablename = 'fk_parent'"
        )
    assert found == 0
