-- Campaigns (tillroll.wallets): what a receipt earns into a customer's wallets, and the
-- earnings themselves, one row per campaign and receipt line (a purchase line's earn, or a
-- return line's / an order change's clawback), so a return claws back exactly what its
-- lines earned, pro rata and never twice (the unique key).
CREATE TABLE campaigns (
    merchant_id UUID NOT NULL REFERENCES merchants (id),
    id UUID NOT NULL,
    title TEXT NOT NULL,
    kind TEXT NOT NULL,
    percent TEXT,
    points BIGINT,
    per_amount BIGINT,
    starts_at TIMESTAMPTZ,
    ends_at TIMESTAMPTZ,
    branch_ids JSONB,
    categories JSONB,
    min_spend BIGINT NOT NULL,
    credit_lifetime_days INTEGER,
    wallet_title TEXT,
    archived_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (merchant_id, id)
);

CREATE TABLE wallet_earnings (
    merchant_id UUID NOT NULL,
    receipt_id UUID NOT NULL,
    line_no INTEGER NOT NULL,
    campaign_id UUID NOT NULL,
    cause TEXT NOT NULL,
    wallet_id UUID NOT NULL,
    entry_id UUID NOT NULL,
    of_receipt_id UUID NOT NULL,
    of_line_no INTEGER NOT NULL,
    quantity_micro BIGINT NOT NULL,
    amount BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (merchant_id, receipt_id, line_no, campaign_id, cause),
    FOREIGN KEY (merchant_id, campaign_id) REFERENCES campaigns (merchant_id, id),
    FOREIGN KEY (merchant_id, entry_id) REFERENCES wallet_entries (merchant_id, id)
);
CREATE INDEX wallet_earnings_of ON wallet_earnings (merchant_id, of_receipt_id, of_line_no);
CREATE INDEX wallet_entries_receipt ON wallet_entries (merchant_id, receipt_id);
