"""Fixtures for tests that deliver webhooks to a real receiver on 127.0.0.1 (a plugin of
the root conftest, so tests outside `tests/webhooks/` can use them)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from tests.webhooks.receiver import Receiver
from tillroll.webhooks import delivery


@pytest.fixture
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Dev mode (receivers on 127.0.0.1), retries milliseconds apart."""
    monkeypatch.setenv("TILLROLL_DEV_MODE", "1")
    monkeypatch.setattr(delivery, "RETRY_BASE", timedelta(milliseconds=10))
    monkeypatch.setattr(delivery, "RETRY_CAP", timedelta(milliseconds=50))


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver().start()
    yield r
    r.stop()
