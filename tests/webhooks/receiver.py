"""A real local HTTP receiver for webhook tests (a thread serving on 127.0.0.1): it records
every request and answers as its `mode` says."""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int  # what the receiver answered (0: nothing)


@dataclass
class Receiver:
    """`mode`: ok, flaky (30 % answer 500), slow (answer after `delay`), redirect (302),
    retry_after (503 with `Retry-After: 120`), hang (never answer)."""

    mode: str = "ok"
    delay: float = 2.0
    received: list[Received] = field(default_factory=list)
    in_flight: dict[str, int] = field(default_factory=dict)
    max_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None
    port: int = 0

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self, port: int = 0) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: Any) -> None:
                pass

            def do_POST(self) -> None:
                receiver.handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Vanish: stop listening (connections are refused)."""
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def answer(self) -> tuple[int, dict[str, str]]:
        if self.mode == "flaky":
            return (500 if random.random() < 0.3 else 200), {}
        if self.mode == "slow":
            time.sleep(self.delay)
        if self.mode == "redirect":
            return 302, {"Location": self.url("/elsewhere")}
        if self.mode == "retry_after":
            return 503, {"Retry-After": "120"}
        if self.mode == "hang":
            time.sleep(3600)
        return 200, {}

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        body = request.rfile.read(int(request.headers.get("content-length", 0)))
        headers = {k.lower(): v for k, v in request.headers.items()}
        hook = request.path
        with self.lock:
            self.in_flight[hook] = self.in_flight.get(hook, 0) + 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight[hook])
            record = Received(hook, headers, body, 0)
            self.received.append(record)
        try:
            status, extra = self.answer()
            record.status = status
            request.send_response(status)
            for name, value in extra.items():
                request.send_header(name, value)
            reply = b'{"ok": true}' if status == 200 else b"x" * 5000
            request.send_header("Content-Length", str(len(reply)))
            request.end_headers()
            request.wfile.write(reply)
        finally:
            with self.lock:
                self.in_flight[hook] -= 1

    def delivered(self, path: str | None = None) -> list[Received]:
        return [r for r in self.received if r.status == 200 and path in (None, r.path)]
