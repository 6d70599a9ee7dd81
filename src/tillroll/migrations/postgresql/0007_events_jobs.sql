-- The outbox (tillroll.events): one row per event, written in the transaction of the state
-- change it records; and background jobs (tillroll.jobs), claimed by workers.
CREATE TABLE events (
    merchant_id UUID NOT NULL REFERENCES merchants (id),
    id UUID NOT NULL,
    type TEXT NOT NULL,
    data JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (merchant_id, id)
);
CREATE INDEX ix_events_type ON events (merchant_id, type, id);

-- A job is due when status = 'pending' and run_at <= now. Claiming one moves its run_at
-- past the lease (a worker that dies mid-job leaves it due again) and sets claim.
CREATE TABLE jobs (
    id UUID PRIMARY KEY,
    kind TEXT NOT NULL,
    key TEXT,
    merchant_id UUID REFERENCES merchants (id),
    payload JSONB NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    run_at TIMESTAMPTZ NOT NULL,
    claim UUID,
    last_error TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    UNIQUE (kind, key)
);
CREATE INDEX ix_jobs_due ON jobs (status, run_at);
