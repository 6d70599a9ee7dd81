"""The `tillroll` command: serve, migrate, and operator tasks on the server itself."""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import click

from tillroll.app import DATA_UPGRADES, wire_facades
from tillroll.auth.principals import Scope
from tillroll.auth.schemas import ApiKeyCreate
from tillroll.auth.service import auth as auth_service
from tillroll.config import Settings
from tillroll.errors import TillrollError
from tillroll.jobs import worker as jobs_worker
from tillroll.kit.db import Connection, Database, open_database, run
from tillroll.kit.migrate import migrate as apply_migrations
from tillroll.kit.replica import check_settings
from tillroll.kit.viewer import Viewer
from tillroll.merchants.service import merchant as merchant_service
from tillroll.receipts.export import Window, stream_csv, stream_jsonl
from tillroll.receipts.schemas import ReceiptFilters
from tillroll.receipts.service import ReceiptFilter
from tillroll.receipts.service import receipt as receipt_service

T = TypeVar("T")
_TIME_FORMATS = ["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S%z"]


def _with_db(
    settings: Settings, work: Callable[[Database], Awaitable[T]], *, migrate_first: bool = True
) -> T:
    """Run `work` against the database, migrated to the current schema first."""

    async def main() -> T:
        wire_facades()
        db = open_database(settings.database_url, pool_size=2)
        await db.connect()
        try:
            if migrate_first:
                await upgrade(db)
            return await work(db)
        finally:
            await db.close()

    try:
        return asyncio.run(main())
    except TillrollError as exc:
        raise click.ClickException(exc.detail) from None


async def upgrade(db: Database) -> list[str]:
    """Apply pending migrations, then render what they left to render."""
    applied = await apply_migrations(db)
    for step in DATA_UPGRADES:
        await step(db)
    return applied


def _in_tx(settings: Settings, work: Callable[[Connection], Awaitable[T]]) -> T:
    return _with_db(settings, lambda db: run(db, work, write=True))


@click.group()
@click.option(
    "--database-url", envvar="TILLROLL_DATABASE_URL", help="Overrides TILLROLL_DATABASE_URL."
)
@click.pass_context
def cli(ctx: click.Context, database_url: str | None) -> None:
    """Tillroll: a self-hosted receipts platform."""
    settings = Settings.from_env()
    if database_url:
        settings = (
            Settings(**{**settings.__dict__, "database_url": database_url})
            if hasattr(settings, "__dict__")
            else _replace_url(settings, database_url)
        )
    ctx.obj = settings


def _replace_url(settings: Settings, url: str) -> Settings:

    return replace(settings, database_url=url)


@cli.command()
@click.option("--host", default=None, help="Bind address (default TILLROLL_HOST or 127.0.0.1).")
@click.option("--port", default=None, type=int, help="Port (default TILLROLL_PORT or 8000).")
@click.option("--workers", default=None, type=int, help="Server processes (default 1).")
@click.pass_obj
def serve(settings: Settings, host: str | None, port: int | None, workers: int | None) -> None:
    """Serve the API and pages (migrates first).

    Logs one access line per request to stderr (method, path, status, duration, request id).
    """
    import os

    import uvicorn

    try:
        check_settings(settings)  # here, not in each server process
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    _with_db(settings, upgrade, migrate_first=False)
    os.environ["TILLROLL_DATABASE_URL"] = settings.database_url
    bind_host, bind_port = host or settings.host, port or settings.port
    click.echo(f"Tillroll listening on http://{bind_host}:{bind_port}  (API docs: /docs)")
    uvicorn.run(
        "tillroll.app:create_app",
        factory=True,
        host=bind_host,
        port=bind_port,
        workers=workers or settings.workers,
        loop="uvloop",
        http="httptools",
        log_config=_LOG_CONFIG,
        access_log=False,  # ours (`tillroll.access`) carries the request id and no query
        server_header=False,  # no header naming the software (docs/security.md)
    )


@cli.command(name="worker")
@click.option("--poll", default=0.5, show_default=True, help="Seconds between looks for due jobs.")
@click.pass_obj
def run_worker(settings: Settings, poll: float) -> None:
    """Run background jobs (webhook deliveries) until SIGTERM or Ctrl-C.

    Run as many as you like, beside or instead of the worker inside `tillroll serve`
    (TILLROLL_SERVE_WORKER=0): no two run one job at the same time.
    """
    import logging.config
    import signal

    logging.config.dictConfig(_LOG_CONFIG)

    async def work(db: Database) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await jobs_worker.serve(db, stop, poll=poll)

    _with_db(settings, work)


_LOG_CONFIG = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "uvicorn": {"handlers": ["stderr"], "level": "WARNING"},
        "tillroll": {"handlers": ["stderr"], "level": "INFO"},
    },
}
"""`serve`'s logging: one access line per request, warnings and tracebacks, on stderr."""


@cli.command()
@click.pass_obj
def migrate(settings: Settings) -> None:
    """Apply pending database migrations."""
    applied = _with_db(settings, upgrade, migrate_first=False)
    click.echo(f"applied: {', '.join(applied)}" if applied else "database is up to date")


@cli.group()
def merchants() -> None:
    """Create and list merchants (tenants)."""


@merchants.command("create")
@click.option("--name", required=True, help="The merchant's name.")
@click.pass_obj
def merchants_create(settings: Settings, name: str) -> None:
    """Create a merchant and print its first admin API key (shown once)."""
    merchant, key = _in_tx(settings, lambda conn: merchant_service.create(conn, name))
    click.echo(f"merchant {merchant.id} number {merchant.number} {merchant.name!r}")
    click.echo(f"admin key (store it now, it is not shown again): {key.secret}")


@merchants.command("list")
@click.pass_obj
def merchants_list(settings: Settings) -> None:
    """List merchants."""
    for m in _in_tx(settings, merchant_service.list):
        click.echo(f"{m.number}\t{m.id}\t{m.name}")


@cli.group()
def keys() -> None:
    """Manage a merchant's API keys."""


@keys.command("create")
@click.option("--merchant", "merchant_number", required=True, type=int, help="Merchant number.")
@click.option("--name", required=True, help="A label for the key.")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    type=click.Choice([s.value for s in Scope]),
    default=["read"],
    show_default=True,
    help="Repeat for several scopes.",
)
@click.pass_obj
def keys_create(
    settings: Settings, merchant_number: int, name: str, scopes: tuple[str, ...]
) -> None:
    """Create an API key and print its secret (shown once)."""

    async def work(conn: Connection) -> str:
        merchant = await merchant_service.by_number(conn, merchant_number)
        body = ApiKeyCreate(name=name, scopes=[Scope(s) for s in scopes])
        return (await auth_service.create_key(conn, merchant.id, body)).secret

    click.echo(_in_tx(settings, work))


@keys.command("list")
@click.option("--merchant", "merchant_number", required=True, type=int, help="Merchant number.")
@click.pass_obj
def keys_list(settings: Settings, merchant_number: int) -> None:
    """List a merchant's API keys (never their secrets)."""

    async def work(conn: Connection) -> list[str]:
        merchant = await merchant_service.by_number(conn, merchant_number)
        return [
            "\t".join([str(k.id), k.prefix + "…", ",".join(k.scopes), k.name])
            + ("\trevoked" if k.revoked_at else "")
            for k in await auth_service.list_keys(conn, merchant.id)
        ]

    for line in _in_tx(settings, work):
        click.echo(line)


@keys.command("revoke")
@click.option("--merchant", "merchant_number", required=True, type=int, help="Merchant number.")
@click.argument("key_id", type=click.UUID)
@click.pass_obj
def keys_revoke(settings: Settings, merchant_number: int, key_id: uuid.UUID) -> None:
    """Revoke an API key."""

    async def work(conn: Connection) -> None:
        merchant = await merchant_service.by_number(conn, merchant_number)
        await auth_service.revoke_key(conn, merchant.id, key_id)

    _in_tx(settings, work)
    click.echo(f"revoked {key_id}")


@cli.group()
def export() -> None:
    """Export data to standard output (progress on standard error)."""


@export.command("receipts")
@click.option("--merchant", "merchant_number", required=True, type=int, help="Merchant number.")
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv", show_default=True
)
@click.option(
    "--from",
    "issued_from",
    type=click.DateTime(_TIME_FORMATS),
    help="Issued at or after (UTC if no offset).",
)
@click.option(
    "--to",
    "issued_to",
    type=click.DateTime(_TIME_FORMATS),
    help="Issued at or before (UTC if no offset).",
)
@click.option("--branch-code", default=None, help="Only this branch.")
@click.pass_obj
def export_receipts(
    settings: Settings,
    merchant_number: int,
    fmt: str,
    issued_from: datetime | None,
    issued_to: datetime | None,
    branch_code: str | None,
) -> None:
    """Stream a merchant's receipts as CSV (docs/exports.md) or JSON lines."""
    filters = ReceiptFilters(
        issued_from=_aware(issued_from), issued_to=_aware(issued_to), branch_code=branch_code
    )

    async def work(db: Database) -> None:
        async def window(conn: Connection) -> tuple[uuid.UUID, ReceiptFilter, int]:
            merchant = await merchant_service.by_number(conn, merchant_number)
            where = await receipt_service.filter(conn, Viewer(merchant.id), filters)
            return merchant.id, where, await receipt_service.count(conn, merchant.id, where)

        merchant_id, where, total = await run(db, window, write=False)
        window_ = Window(where)
        chunks = (
            stream_csv(db, merchant_id, window_)
            if fmt == "csv"
            else stream_jsonl(db, merchant_id, window_)
        )
        out = sys.stdout.buffer
        with click.progressbar(length=total, label="receipts", file=sys.stderr) as bar:
            async for chunk in chunks:
                out.write(chunk)
                bar.update(chunk.count(b"\n"))
        out.flush()

    _with_db(settings, work)


def _aware(moment: datetime | None) -> datetime | None:
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=UTC)


@cli.command()
@click.option("--receipts", default=2000, show_default=True, help="How many receipts to create.")
@click.option("--seed", default=7, show_default=True, help="Random seed (same seed, same data).")
@click.option(
    "--key-file",
    default=".tillroll-demo-key",
    show_default=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where the demo admin key is kept; later runs print it again.",
)
@click.pass_obj
def demo(settings: Settings, receipts: int, seed: int, key_file: Path) -> None:
    """Load demo data: a merchant, 2 branches, 50 customers, receipts over 90 days."""
    from tillroll.demo import load_demo

    result = _with_db(
        settings, lambda db: load_demo(db, receipts=receipts, seed=seed, key_file=key_file)
    )
    click.echo(result)
