"""Every sh and python block of README.md and docs/*.md runs against a fresh `make run`.

One demo database is built as `make run` builds it (`tillroll migrate`, `tillroll demo`); each
document gets a copy of it behind its own `tillroll serve` on a free port, so documents cannot
collide. A document's blocks run in the order written: sh blocks in bash (shell variables carry
from one block to the next), python blocks in one namespace. Only placeholders change:
`http://127.0.0.1:8000` becomes the server's URL (also `$TILLROLL_BASE_URL`), and `tr_sk_...`
(or `tr_sk_…`) the demo key, which both languages also find in `KEY`.

A block fails on a non-zero exit, an exception, or any HTTP answer of 400 or more, unless an
`<!-- expect: 404 409 -->` comment right before it names that status. A block that must not run
has `<!-- not run: the reason -->` right before it.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.test_docs import DOCUMENTS, ROOT

LANGUAGES = {"sh": "sh", "bash": "sh", "python": "python"}
PLACEHOLDER_URL = "http://127.0.0.1:8000"
PLACEHOLDER_KEYS = ("tr_sk_...", "tr_sk_…")
STATUS_MARK = "DOCS-RUN-STATUS"
BIN = Path(sys.executable).parent
_FENCE = re.compile(r"^```(\w+)\s*$")
_MARK = re.compile(r"^<!--\s*(not run|expect):\s*(.*?)\s*-->$")


@dataclass(frozen=True)
class Block:
    """One fenced example: where it starts, its language, code and what it may answer."""

    line: int
    language: str
    code: str
    skip: str | None = None
    expected: frozenset[int] = frozenset()


def blocks(text: str) -> list[Block]:
    """The sh and python blocks of a Markdown text, with the marks written right before them."""
    found, lines, n = [], text.splitlines(), 0
    while n < len(lines):
        fence = _FENCE.match(lines[n])
        if fence is None:
            n += 1
            continue
        end = next(i for i in range(n + 1, len(lines)) if lines[i].startswith("```"))
        if fence.group(1) in LANGUAGES:
            found.append(_block(lines, n, end, LANGUAGES[fence.group(1)]))
        n = end + 1
    return found


def _block(lines: list[str], start: int, end: int, language: str) -> Block:
    code = "\n".join(lines[start + 1 : end]) + "\n"
    before = next((line.strip() for line in reversed(lines[:start]) if line.strip()), "")
    mark = _MARK.match(before)
    if mark is None:
        return Block(start + 1, language, code)
    if mark.group(1) == "not run":
        assert mark.group(2), f"line {start + 1}: say why the block is not run"
        return Block(start + 1, language, code, skip=mark.group(2))
    return Block(start + 1, language, code, expected=frozenset(map(int, mark.group(2).split())))


def test_blocks_are_found_with_their_marks() -> None:
    text = (
        "```sh\necho 1\n```\n\n<!-- not run: needs a till -->\n```python\nprint(2)\n```\n"
        "```json\n{}\n```\n<!-- expect: 404 409 -->\n\n```bash\ncurl x\n```\n```\nplain\n```\n"
    )
    assert blocks(text) == [
        Block(1, "sh", "echo 1\n"),
        Block(6, "python", "print(2)\n", skip="needs a till"),
        Block(14, "sh", "curl x\n", expected=frozenset({404, 409})),
    ]


@dataclass(frozen=True)
class Demo:
    """The database `make run` leaves behind, and the key it printed."""

    directory: Path
    key: str


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    directory = tmp_path_factory.mktemp("demo")
    env = {**os.environ, "TILLROLL_DATABASE_URL": f"sqlite:///{directory / 'tillroll.db'}"}
    for command in (["migrate"], ["demo"]):
        done = subprocess.run(
            [str(BIN / "tillroll"), *command], cwd=directory, env=env, capture_output=True,
            text=True, check=True,
        )  # fmt: skip
    key = re.search(r"Demo API key.*: (tr_sk_\S+)", done.stdout)
    assert key is not None, done.stdout
    return Demo(directory, key.group(1))


@dataclass
class Server:
    """A `tillroll serve` of its own on a copy of the demo database, and the document's shell."""

    workdir: Path
    base_url: str
    env: dict[str, str]


@pytest.fixture
def server(demo: Demo, tmp_path: Path) -> Iterator[Server]:
    for name in ("tillroll.db", "tillroll.db-wal", "tillroll.db-shm"):
        if (demo.directory / name).exists():
            shutil.copy(demo.directory / name, tmp_path / name)
    (tmp_path / "docs").symlink_to(ROOT / "docs")
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "PATH": f"{_curl_recorder(tmp_path)}:{BIN}:{os.environ['PATH']}",
        "TILLROLL_DATABASE_URL": f"sqlite:///{tmp_path / 'tillroll.db'}",
        "TILLROLL_BASE_URL": base_url,
        "TILLROLL_PUBLIC_URL": base_url,  # signed receipt links point at this server
        "KEY": demo.key,
    }
    log = (tmp_path / "server.log").open("w+")
    process = subprocess.Popen(
        [str(BIN / "tillroll"), "serve", "--port", str(port)], cwd=tmp_path, env=env,
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        _wait_for(base_url, process)
        yield Server(tmp_path, base_url, env)
    finally:
        process.terminate()
        process.wait(timeout=10)
    log.seek(0)
    output = log.read()
    assert "Traceback" not in output, output


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _curl_recorder(directory: Path) -> Path:
    """A `curl` first on PATH that is the real curl, reporting each answer's status on stderr."""
    shim = directory / "bin"
    shim.mkdir()
    real = shutil.which("curl")
    assert real is not None, "the docs' shell examples need curl"
    script = shim / "curl"
    script.write_text(
        f"#!/bin/sh\nexec {real} --write-out '%{{stderr}}{STATUS_MARK} %{{http_code}}\\n' \"$@\"\n"
    )
    script.chmod(0o755)
    return shim


def _wait_for(base_url: str, process: subprocess.Popen[Any]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert process.poll() is None, "tillroll serve exited"
        try:
            if httpx.get(f"{base_url}/health").status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.05)
    raise AssertionError("tillroll serve did not answer /health")


def _runnable(document: Path) -> bool:
    return any(block.skip is None for block in blocks(document.read_text()))


@pytest.mark.parametrize(
    "document",
    [document for document in DOCUMENTS if _runnable(document)],
    ids=lambda p: p.relative_to(ROOT).as_posix(),
)
def test_examples_run_against_make_run(
    document: Path, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_document(document.read_text(), document.relative_to(ROOT).as_posix(), server, monkeypatch)


_FAILING = {
    "exit": "```sh\nfalse\n```\n",
    "curl 404": '```sh\ncurl -s -H "Authorization: Bearer $KEY" http://127.0.0.1:8000/v1/nope\n```\n',
    "python 401": "```python\nimport httpx\nhttpx.get('http://127.0.0.1:8000/v1/merchant')\n```\n",
    "exception": "```python\nraise ValueError('broken example')\n```\n",
    "other 4xx": "<!-- expect: 409 -->\n```sh\ncurl -s http://127.0.0.1:8000/v1/merchant\n```\n",
}


def test_a_broken_example_fails_and_marked_ones_do_not(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, text in _FAILING.items():
        with pytest.raises((AssertionError, ValueError)):
            run_document(text, name, server, monkeypatch)
    marked = (
        "<!-- expect: 401 -->\n```sh\ncurl -s http://127.0.0.1:8000/v1/merchant\n```\n"
        "<!-- not run: shows a failure -->\n```python\nraise ValueError\n```\n"
        '```sh\nN=$(echo 7)\n```\n```sh\ntest "$N" = 7\n```\n'
    )
    run_document(marked, "marked", server, monkeypatch)


def run_document(text: str, where: str, server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run a document's blocks in order; sh blocks share shell variables, python a namespace."""
    monkeypatch.chdir(server.workdir)
    for name in ("TILLROLL_BASE_URL", "KEY"):
        monkeypatch.setenv(name, server.env[name])
    namespace: dict[str, Any] = {"__name__": "__docs__", "KEY": server.env["KEY"]}
    state = server.workdir / "shell-state"
    state.write_text("")
    for block in blocks(text):
        if block.skip is not None:
            continue
        code = _substitute(block.code, server)
        label = f"{where}:{block.line}"
        if block.language == "sh":
            statuses = _run_sh(code, server, state, label)
        else:
            statuses = _run_python(code, namespace, label, monkeypatch)
        failed = [s for s in statuses if s >= 400 and s not in block.expected]
        assert not failed, f"{label}: HTTP {failed} (mark expected answers <!-- expect: … -->)"


def _substitute(code: str, server: Server) -> str:
    code = code.replace(PLACEHOLDER_URL, server.base_url)
    for placeholder in PLACEHOLDER_KEYS:
        code = code.replace(placeholder, server.env["KEY"])
    return code


def _run_sh(code: str, server: Server, state: Path, label: str) -> list[int]:
    script = f"set -eo pipefail\nset -a\n. {state}\n{code}\nexport -p > {state}\n"
    done = subprocess.run(
        ["bash", "-c", script], cwd=server.workdir, env=server.env, capture_output=True,
        text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, f"{label}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return [int(s) for s in re.findall(rf"{STATUS_MARK} (\d+)", done.stderr)]


def _run_python(
    code: str, namespace: dict[str, Any], label: str, monkeypatch: pytest.MonkeyPatch
) -> list[int]:
    statuses: list[int] = []
    sync_send = httpx.HTTPTransport.handle_request
    async_send = httpx.AsyncHTTPTransport.handle_async_request

    def record(transport: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
        response = sync_send(transport, request)
        statuses.append(response.status_code)
        return response

    async def record_async(
        transport: httpx.AsyncHTTPTransport, request: httpx.Request
    ) -> httpx.Response:
        response = await async_send(transport, request)
        statuses.append(response.status_code)
        return response

    with monkeypatch.context() as patch:
        patch.setattr(httpx.HTTPTransport, "handle_request", record)
        patch.setattr(httpx.AsyncHTTPTransport, "handle_async_request", record_async)
        exec(compile(code, label, "exec"), namespace)
    return statuses
