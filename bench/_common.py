"""Shared plumbing of the benchmarks: fresh databases, servers, wrk, figure lines.

Everything talks to 127.0.0.1 only. Servers are started in their own process group and
stopped by that group id; databases are fresh SQLite files under a scratch folder or fresh
`tillroll_bench_*` PostgreSQL databases that are dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
DEFAULT_SQLITE = "sqlite:////tmp/tillroll_bench/bench.db"
WORKERS = 2


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument(
        "--database-url",
        default=DEFAULT_SQLITE,
        help="sqlite:///path (fresh files are made next to it) or postgresql://… (the cluster: "
        "fresh tillroll_bench_* databases are created on it and dropped afterwards)",
    )
    p.add_argument("--quick", action="store_true", help="smaller sizes, shorter runs")
    return p


def venv_bin(root: Path) -> Path:
    """The interpreter folder of a checkout: this one's, or `<root>/.venv/bin`."""
    return VENV_BIN if root == ROOT else root / ".venv" / "bin"


def dialect_of(url: str) -> str:
    return "sqlite" if url.startswith("sqlite:///") else "postgresql"


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def fmt(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}".replace(",", "")
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}" if value < 1 else f"{value:.2f}"


def figure(name: str, value: float, unit: str, base: float, base_unit: str, target: str) -> str:
    ratio = value / base if base else float("nan")
    line = (
        f"figure: {name} = {fmt(value)} {unit}; baseline {fmt(base)} {base_unit}; "
        f"ratio {ratio:.2f}; target {target}"
    )
    return line


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- fresh databases ---------------------------------------------------------------------


@dataclass
class FreshDatabase:
    url: str
    dialect: str
    admin_url: str | None = None
    name: str | None = None
    path: Path | None = None


def _pg_with_db(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


@contextlib.contextmanager
def fresh_database(base_url: str, label: str) -> Iterator[FreshDatabase]:
    """A new, empty database for one measurement; removed afterwards."""
    suffix = f"{label}_{secrets.token_hex(3)}"
    if base_url.startswith("sqlite:///"):
        base = Path(base_url.removeprefix("sqlite:///"))
        folder = base.parent / f"{base.stem}_{suffix}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "tillroll.db"
        try:
            yield FreshDatabase(f"sqlite:///{path}", "sqlite", path=path)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    name = f"tillroll_bench_{suffix}"
    assert re.fullmatch(r"tillroll_bench_\w+", name)
    asyncio.run(_pg_admin(base_url, f"CREATE DATABASE {name}"))
    try:
        yield FreshDatabase(_pg_with_db(base_url, name), "postgresql", base_url, name)
    finally:
        asyncio.run(_pg_admin(base_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


async def _pg_admin(url: str, sql: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


# --- the tillroll CLI ---------------------------------------------------------------------


def tillroll_cli(url: str, *args: str, timeout: int = 120, root: Path = ROOT) -> str:
    env = {**os.environ, "TILLROLL_DATABASE_URL": url}
    out = subprocess.run(
        [str(venv_bin(root) / "tillroll"), *args],
        env=env,
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return out.stdout


def migrate_and_merchant(url: str, root: Path = ROOT) -> tuple[str, str]:
    """`tillroll migrate` then `tillroll merchants create` (of the checkout at `root`);
    (merchant_id, admin key)."""
    tillroll_cli(url, "migrate", root=root)
    out = tillroll_cli(url, "merchants", "create", "--name", "Bench BV", root=root)
    merchant = re.search(r"merchant ([0-9a-f-]{36})", out)
    key = re.search(r"(tr_sk_\S+)", out)
    if merchant is None or key is None:
        raise RuntimeError(f"could not parse `tillroll merchants create` output: {out!r}")
    return merchant.group(1), key.group(1)


# --- servers -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def server(
    app: str, env: dict[str, str], *, workers: int = WORKERS, root: Path = ROOT
) -> Iterator[str]:
    """`uvicorn <app> --factory` with uvloop/httptools, run from the checkout at `root`;
    yields the base URL."""
    port = free_port()
    cmd = [
        str(venv_bin(root) / "python"), "-m", "uvicorn", app, "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
        "--loop", "uvloop", "--http", "httptools", "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    logfile = open(f"/tmp/tillroll_bench_server_{port}.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        cmd,
        cwd=root,
        env={**os.environ, **env},
        stdout=logfile,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited: see {logfile.name}")
            try:
                with urllib.request.urlopen(base + "/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server did not start: see {logfile.name}")
            time.sleep(0.2)
        time.sleep(1.0)  # let the second worker finish its startup too
        yield base
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        logfile.close()


# --- wrk ---------------------------------------------------------------------------------


@dataclass
class WrkResult:
    requests: int
    seconds: float
    rps: float
    non_2xx: int
    socket_errors: int
    p50_ms: float
    p99_ms: float


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    assert m, text
    value, unit = float(m.group(1)), m.group(2)
    return value * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def wrk(url: str, script: Path, *, seconds: int, connections: int = 32) -> WrkResult:
    cmd = [
        "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "60s", "--latency",
        "-s", str(script), url,
    ]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 120).stdout
    m = re.search(r"(\d+) requests in ([\d.]+)(s|m)", out)
    if m is None:
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    seconds_run = float(m.group(2)) * (60 if m.group(3) == "m" else 1)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.MULTILINE)
    return WrkResult(
        requests=int(m.group(1)),
        seconds=seconds_run,
        rps=int(m.group(1)) / seconds_run,
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(int(x) for x in sock.groups()) if sock else 0,
        p50_ms=_ms(p50.group(1)) if p50 else float("nan"),
        p99_ms=_ms(p99.group(1)) if p99 else float("nan"),
    )
