"""Settings, read once from `TILLROLL_*` environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields

_PREFIX = "TILLROLL_"


@dataclass(frozen=True, slots=True)
class Settings:
    """Every setting Tillroll reads. The environment variable is `TILLROLL_<NAME>`."""

    database_url: str = field(
        default="sqlite:///./tillroll.db",
        metadata={"doc": "sqlite:///path/to/file.db or postgresql://user:pass@host:port/db"},
    )
    host: str = field(default="127.0.0.1", metadata={"doc": "Address `tillroll serve` binds."})
    port: int = field(default=8000, metadata={"doc": "Port `tillroll serve` listens on."})
    workers: int = field(default=1, metadata={"doc": "Server processes for `tillroll serve`."})
    max_body_bytes: int = field(
        default=4 * 1024 * 1024, metadata={"doc": "Largest request body accepted (413 above)."}
    )
    pool_size: int = field(default=10, metadata={"doc": "PostgreSQL connections per process."})
    read_database_url: str = field(
        default="",
        metadata={"doc": "postgresql:// of a streaming replica for reads; empty: the primary."},
    )
    read_max_lag_ms: int = field(
        default=1000,
        metadata={"doc": "Reads go to the primary while the replica is further behind."},
    )
    group_max_items: int = field(
        default=64,
        metadata={"doc": "Most receipt requests committed together in one transaction; 1: off."},
    )
    group_wait_ms: int = field(
        default=2,
        metadata={"doc": "Longest a group waits for company once others are queued (ms)."},
    )
    idempotency_retention_hours: int = field(
        default=48, metadata={"doc": "How long an Idempotency-Key's response is replayed."}
    )

    auth_failures_per_minute: int = field(
        default=20,
        metadata={"doc": "Failed authentications per client address per minute (429 above)."},
    )
    api_key_cache_seconds: int = field(
        default=5,
        metadata={
            "doc": "Seconds a server process remembers an API key it has read (0: read it on "
            "every request). A key revoked through this process is refused at once; one "
            "revoked elsewhere (another process, the CLI) within this time."
        },
    )
    trusted_proxies: str = field(
        default="",
        metadata={"doc": "Comma-separated proxy addresses whose X-Forwarded-For names the client."},
    )
    serve_worker: int = field(
        default=1,
        metadata={"doc": "1: each `tillroll serve` process also runs background jobs; 0: not."},
    )
    dev_mode: int = field(
        default=0,
        metadata={"doc": "1: webhooks may target private and loopback addresses (development)."},
    )
    cors_origins: str = field(
        default="",
        metadata={"doc": "Comma-separated origins allowed by CORS (`*` for any); empty: off."},
    )

    public_url: str = field(
        default="http://127.0.0.1:8000",
        metadata={"doc": "Base URL of the server as shoppers reach it (signed receipt links)."},
    )
    link_ttl_days: int = field(
        default=30, metadata={"doc": "Days a signed receipt link (`download_url`) stays valid."}
    )
    render_timeout_seconds: int = field(
        default=10, metadata={"doc": "Longest a receipt PDF/HTML render may take (503 above)."}
    )
    smtp_host: str = field(
        default="", metadata={"doc": "SMTP server for receipt e-mail; empty: off."}
    )
    smtp_port: int = field(default=587, metadata={"doc": "SMTP port."})
    smtp_security: str = field(
        default="starttls", metadata={"doc": "`starttls`, `tls` (implicit) or `none`."}
    )
    smtp_username: str = field(default="", metadata={"doc": "SMTP login; empty: no AUTH."})
    smtp_password: str = field(default="", metadata={"doc": "SMTP password."})
    smtp_from: str = field(
        default="receipts@localhost", metadata={"doc": "Sender address of receipt e-mail."}
    )
    smtp_ca_file: str = field(
        default="",
        metadata={
            "doc": "PEM file of the CAs that sign the SMTP server's certificate; empty: system's."
        },
    )
    smtp_verify: int = field(
        default=1,
        metadata={"doc": "0: do not verify the SMTP server's certificate (development only)."},
    )

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for f in fields(cls):
            raw = env.get(_PREFIX + f.name.upper())
            if raw is None or raw == "":
                continue
            values[f.name] = int(raw) if f.type == "int" else raw
        return cls(**values)  # type: ignore[arg-type]
