"""Versioned migrations: numbered plain-SQL files per dialect, applied in order, once."""

from __future__ import annotations

from importlib import resources

from tillroll.kit.clock import utc_now
from tillroll.kit.db import Database, PostgresDatabase, SQLiteDatabase

_TABLE = "CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at TEXT)"


def migration_files(dialect: str) -> list[tuple[str, str]]:
    """(version, sql) pairs for `dialect`, in order."""
    folder = resources.files("tillroll") / "migrations" / dialect
    files = sorted((f for f in folder.iterdir() if f.name.endswith(".sql")), key=lambda f: f.name)
    return [(f.name.removesuffix(".sql"), f.read_text()) for f in files]


async def migrate(db: Database) -> list[str]:
    """Apply pending migrations; return the versions applied now."""
    if isinstance(db, SQLiteDatabase):
        return _migrate_sqlite(db)
    assert isinstance(db, PostgresDatabase)
    return await _migrate_postgres(db)


def _migrate_sqlite(db: SQLiteDatabase) -> list[str]:
    """Each pending file in one `BEGIN IMMEDIATE` transaction, checked under that lock,
    so two processes migrating at once apply each file once."""
    raw = db.connection()
    try:
        raw.execute(_TABLE)
        applied = []
        for version, sql in migration_files("sqlite"):
            raw.execute("BEGIN IMMEDIATE")
            try:
                done = raw.execute(
                    "SELECT 1 FROM schema_migrations WHERE version = ?", (version,)
                ).fetchone()
                if done is None:
                    for statement in _statements(sql):
                        raw.execute(statement)
                    raw.execute(
                        "INSERT INTO schema_migrations VALUES (?, ?)",
                        (version, utc_now().isoformat()),
                    )
                    applied.append(version)
                raw.execute("COMMIT")
            except BaseException:
                raw.execute("ROLLBACK")
                raise
        return applied
    finally:
        raw.close()


def _statements(sql: str) -> list[str]:
    """The statements of a migration file (they end with `;` at the end of a line)."""
    body = "\n".join(line for line in sql.splitlines() if not line.lstrip().startswith("--"))
    return [s.strip() for s in body.split(";\n") if s.strip().rstrip(";")]


async def _migrate_postgres(db: PostgresDatabase) -> list[str]:
    async with db.raw_connection() as raw:
        await raw.execute("SELECT pg_advisory_lock(7411)")
        try:
            await raw.execute(_TABLE)
            done = {r[0] for r in await raw.fetch("SELECT version FROM schema_migrations")}
            applied = []
            for version, sql in migration_files("postgresql"):
                if version in done:
                    continue
                async with raw.transaction():
                    await raw.execute(sql)
                    await raw.execute(
                        "INSERT INTO schema_migrations VALUES ($1, $2)",
                        version,
                        utc_now().isoformat(),
                    )
                applied.append(version)
            return applied
        finally:
            await raw.execute("SELECT pg_advisory_unlock(7411)")
